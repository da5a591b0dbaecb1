"""The digitizer's log against the robot's touches: ghost touches and touch drift.

A rig with a device link reads the phone's own touch reports (``getevent`` on Android). Every
finger-down the robot made should appear there, at the time and place the finger touched:

* a reported finger-down that no robot touch explains is a **ghost touch** (the panel felt a
  touch nobody made);
* a robot touch the panel reports away from where the finger was, by more than
  ``drift_max_mm``, landed **off target**; offsets that grow touch after touch are **touch
  drift** (a panel whose calibration walks away).

A touch the panel never reported at all (a dead zone) is the runner's business: it knows
whether the screen answered. Nothing here reads the twin's ground truth: only what the robot
was told to do and what the phone's log says.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from tapbot.devices.link import TouchEvent

#: A reported finger-down this close in time to a robot touch's down (or while the robot's
#: finger is on the glass) is that touch.
MATCH_WINDOW_S = 0.05


@dataclass(frozen=True, slots=True)
class GhostSighting:
    """A finger-down in the digitizer log that no robot touch explains."""

    t_down: float
    t_up: float | None
    x_px: float
    y_px: float


@dataclass(frozen=True, slots=True)
class DriftSighting:
    """Touches reported off target: the offset of the touch that showed it (mm), when the
    offsets began growing (``t_onset``, fitted back to zero) and how fast (mm/s)."""

    t_onset: float
    t_seen: float
    offset_mm: float
    rate_mm_s: float | None


class TouchLog:
    """Keeps the robot's recent touches and the digitizer's recent reports, and compares them.

    Feed it :meth:`commanded` after every robot touch and :meth:`reported` with the link's
    new events (in time order). :meth:`ghosts` returns finger-downs no robot touch explains;
    :meth:`offset_mm` is how far the panel reported a robot touch from where it was.
    """

    def __init__(self, px_per_mm: tuple[float, float], keep_s: float = 30.0) -> None:
        self.px_per_mm = px_per_mm
        self.keep_s = keep_s
        self._touches: deque[tuple[float, float, tuple[float, float]]] = deque()
        self._events: deque[TouchEvent] = deque()
        self._pending: list[TouchEvent] = []  # downs not yet judged (their touch may follow)
        self.t_read = -math.inf  # the newest report time seen

    def commanded(self, t_down: float, t_up: float, start_px: tuple[float, float]) -> None:
        """The robot touched at ``start_px`` (screen px) from ``t_down`` to ``t_up``."""
        self._touches.append((t_down, t_up, start_px))
        self._forget(t_up)

    def reported(self, events: list[TouchEvent]) -> None:
        """New digitizer reports (any order; older than the newest already seen are skipped)."""
        for e in sorted(events, key=lambda e: e.t):
            if e.t <= self.t_read:
                continue
            self._events.append(e)
            if e.action == "down":
                self._pending.append(e)
            self.t_read = e.t
        self._forget(self.t_read)

    def _forget(self, now: float) -> None:
        horizon = now - self.keep_s
        while self._touches and self._touches[0][1] < horizon:
            self._touches.popleft()
        while self._events and self._events[0].t < horizon:
            self._events.popleft()

    def ghosts(self, settled_before: float) -> list[GhostSighting]:
        """Finger-downs reported before ``settled_before`` (by then every robot touch that
        could explain them has been fed) that no robot touch explains; each is returned once.

        A robot touch explains one finger-down: the one nearest where it touched, reported
        while its finger was on the glass (give or take ``MATCH_WINDOW_S``); a second one
        then is a ghost too.
        """
        judged = [e for e in self._pending if e.t < settled_before]
        self._pending = [e for e in self._pending if e.t >= settled_before]
        if not judged:  # (most scans: matching every kept touch is then wasted)
            return []
        # only a touch whose window reaches a judged down can explain it (the others'
        # downs, whichever they are, are not among them)
        lo, hi = judged[0].t - MATCH_WINDOW_S, judged[-1].t + MATCH_WINDOW_S
        explained = {id(self.reported_down(t_down, start, t_up)) for t_down, t_up, start
                     in self._touches if t_down <= hi and t_up >= lo}
        out = []
        for e in judged:
            if id(e) not in explained:
                up = next((u.t for u in self._events if u.action == "up" and u.t >= e.t), None)
                out.append(GhostSighting(e.t, up, e.x_px, e.y_px))
        return out

    def reported_down(self, t_down: float, start_px: tuple[float, float] | None = None,
                      t_up: float | None = None) -> TouchEvent | None:
        """The finger-down the panel reported for a robot touch that went down at ``t_down``
        (at ``start_px``, lifting at ``t_up``): of the downs reported meanwhile, the nearest
        to where it touched (or in time, without a place)."""
        t_end = (t_down if t_up is None else t_up) + MATCH_WINDOW_S
        near = [e for e in self._events
                if e.action == "down" and t_down - MATCH_WINDOW_S <= e.t <= t_end]
        if not near:
            return None
        if start_px is None:
            return min(near, key=lambda e: abs(e.t - t_down))
        return min(near, key=lambda e: math.hypot(e.x_px - start_px[0], e.y_px - start_px[1]))

    def offset_mm(self, t_down: float, start_px: tuple[float, float]) -> float | None:
        """How far (mm) the panel reported the robot touch at ``t_down`` from ``start_px``;
        None when it did not report it."""
        e = self.reported_down(t_down, start_px)
        if e is None:
            return None
        dx = (e.x_px - start_px[0]) / self.px_per_mm[0]
        dy = (e.y_px - start_px[1]) / self.px_per_mm[1]
        return math.hypot(dx, dy)


class DriftWatch:
    """Turns the offsets of successive robot touches into drift episodes.

    An episode is confirmed by a touch off target by more than ``max_mm``; its onset is the
    time the offsets, fitted as a straight line in time, left zero (bounded by the last touch
    that was on target). It ends at the first touch back within ``max_mm / 3``.
    """

    def __init__(self, max_mm: float) -> None:
        self.max_mm = max_mm
        self.active = False
        self._last_on_target = -math.inf
        self._rising: list[tuple[float, float]] = []  # (t, offset mm) above the noise floor

    @property
    def floor_mm(self) -> float:
        return self.max_mm / 3.0

    def feed(self, t: float, offset_mm: float) -> DriftSighting | None:
        """One robot touch's offset; a sighting when it confirms a new episode."""
        if offset_mm <= self.floor_mm:
            self.active = False
            self._rising.clear()
            self._last_on_target = t
            return None
        self._rising.append((t, offset_mm))
        if self.active or offset_mm <= self.max_mm:
            return None
        self.active = True
        return DriftSighting(self._onset(), t, offset_mm, self._rate())

    def _rate(self) -> float | None:
        if len(self._rising) < 2:
            return None
        ts = np.array([p[0] for p in self._rising])
        ds = np.array([p[1] for p in self._rising])
        if float(np.ptp(ts)) <= 1e-6:
            return None
        slope = float(np.polyfit(ts, ds, 1)[0])
        return slope if slope > 0 else None

    def _onset(self) -> float:
        t_first = self._rising[0][0]
        rate = self._rate()
        lo = self._last_on_target if math.isfinite(self._last_on_target) else t_first - 60.0
        if rate is None:  # one point: between the last touch on target and this one
            return (lo + t_first) / 2.0
        ts = np.array([p[0] for p in self._rising])
        ds = np.array([p[1] for p in self._rising])
        intercept = float(np.mean(ds) - rate * np.mean(ts))
        t0 = -intercept / rate
        return min(max(t0, lo), t_first)
