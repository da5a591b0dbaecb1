"""The simulated phone: apps that react to touches after a seeded latency, a display that
changes only on refresh boundaries, injected freezes and crashes, and ground truth.

Events are processed lazily: a time-ordered queue holds pending UI reactions, display updates
and faults, and everything due at or before ``t`` is processed whenever the phone is touched
or asked for its screen at ``t``. A short history of display states lets the camera render
frames of the recent past.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tapbot.core.clock import Clock
from tapbot.devices.link import TouchEvent
from tapbot.devices.profile import DeviceProfile
from tapbot.sim.apps import (
    COUNTER,
    LAUNCHER,
    LAUNCHER_APPS,
    VIDEO,
    VIDEO_FPS,
    DisplayKey,
    hit_test,
    render_screen,
)
from tapbot.sim.faults import FAULT_GAP_S, FaultOptions
from tapbot.sim.truth import GroundTruth, TruthFault, TruthResponse, TruthTouch

logger = logging.getLogger(__name__)

HISTORY_S = 12.0  # how far back screen_at can look
_EPS = 1e-9


class Lognormal(BaseModel):
    """A response-latency distribution: lognormal with the given median (ms) and sigma."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    median_ms: float = Field(gt=0)
    sigma: float = Field(ge=0)


class LatencyOptions(BaseModel):
    """Response latency per kind of reaction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    counter: Lognormal = Lognormal(median_ms=70.0, sigma=0.3)
    launch: Lognormal = Lognormal(median_ms=180.0, sigma=0.25)
    nav: Lognormal = Lognormal(median_ms=90.0, sigma=0.25)
    video: Lognormal = Lognormal(median_ms=80.0, sigma=0.3)
    dismiss: Lognormal = Lognormal(median_ms=90.0, sigma=0.25)


class SimPhoneOptions(BaseModel):
    """Options of the simulated phone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: DeviceProfile = DeviceProfile()
    seed: int = Field(0, ge=0)
    faults: FaultOptions = FaultOptions()
    latency: LatencyOptions = LatencyOptions()
    history_s: float = Field(HISTORY_S, gt=0, description="how far back screen_at can look")


@dataclass(frozen=True, slots=True)
class _State:
    """The logical UI state."""

    app: str = LAUNCHER
    counter: int = 0
    video_paused: bool = False
    video_pos: float = 0.0  # video time at video_anchor
    video_anchor: float = 0.0
    dialog: str | None = None


@dataclass(slots=True)
class _Event:
    kind: str  # "ui" | "show" | "fault" | "freeze_end" | "arrival"
    action: str = ""
    screen: tuple[str, str | None] | None = None  # front screen the reaction belongs to
    t_touch: float | None = None
    t_ready: float | None = None
    what: str = ""
    fault_kind: str = ""
    duration_s: float | None = None
    responses: list[tuple[float, float, str, str]] = field(default_factory=list)


class SimPhone:
    """A phone on the twin's deck. The world feeds it touches in screen px, in time order."""

    def __init__(self, options: SimPhoneOptions, clock: Clock) -> None:
        self.options = options
        self.profile: DeviceProfile = options.profile
        self.clock = clock
        self._truth = GroundTruth()
        self._w, self._h = self.profile.screen_px
        self._hz = float(self.profile.refresh_hz)
        self._rng_latency = np.random.default_rng([options.seed, 1])
        self._rng_faults = np.random.default_rng([options.seed, 2])
        self._queue: list[tuple[float, int, _Event]] = []
        self._seq = 0
        self._state = _State()
        self._t_done = -math.inf  # events up to this time are processed
        # display history: (t_from, state, frozen_at)
        self._history: deque[tuple[float, _State, float | None]] = deque()
        self._history.append((-math.inf, self._state, None))
        self._freeze_end: float | None = None
        self._crash_fault: TruthFault | None = None
        self._fault_guard = -math.inf  # no fault may start before this time
        self._deferred_faults: list[_Event] = []
        self._open_touches: list[TruthTouch] = []
        self._digitizer: deque[TouchEvent] = deque(maxlen=20000)
        self._log: deque[tuple[float, str]] = deque(maxlen=2000)
        self._renders: OrderedDict[tuple[DisplayKey, int, int], np.ndarray] = OrderedDict()
        for fe in options.faults.schedule:
            self._push(fe.at_s, _Event("fault", fault_kind=fe.kind, duration_s=fe.duration_s))
        for kind, rate in (("freeze", options.faults.freeze_per_hour),
                           ("crash", options.faults.crash_per_hour)):
            if rate > 0:
                self._push(self._draw_interarrival(rate), _Event("arrival", fault_kind=kind))

    # ------------------------------------------------------------------ public API

    @property
    def truth(self) -> GroundTruth:
        """Ground truth up to the clock's now (pending events are processed first)."""
        self.update(self.clock.now())
        return self._truth

    @property
    def front_app(self) -> str:
        """The app in front right now (logical state, not necessarily visible yet)."""
        self.update(self.clock.now())
        return self._state.app

    def update(self, t: float) -> None:
        """Process every pending event due at or before ``t``."""
        while self._queue and self._queue[0][0] <= t + _EPS:
            te, _, ev = heapq.heappop(self._queue)
            self._handle(te, ev)
        if t > self._t_done:
            self._t_done = t
            self._prune()

    def touch_down(self, t: float, x_px: float, y_px: float) -> None:
        """A finger lands on the glass at screen px (x, y) at time ``t``."""
        self.update(t)
        self._digitizer.append(TouchEvent(t, "down", float(x_px), float(y_px)))
        if self._freeze_end is not None:
            touch = TruthTouch(t, x_px, y_px, None, False, "ignored:freeze")
            logger.debug("touch at %.3f s ignored: phone frozen", t)
        else:
            target = hit_test(self._state.app, self._state.dialog, x_px, y_px, self._w, self._h)
            touch = TruthTouch(t, x_px, y_px, None, target != "ignored:dialog", target)
            self._react(t, target)
        self._truth.touches.append(touch)
        self._open_touches.append(touch)

    def touch_move(self, t: float, x_px: float, y_px: float) -> None:
        """A touching finger moves to screen px (x, y) at time ``t`` (apps ignore moves)."""
        self.update(t)
        self._digitizer.append(TouchEvent(t, "move", float(x_px), float(y_px)))

    def touch_up(self, t: float, x_px: float, y_px: float) -> None:
        """A finger leaves the glass at screen px (x, y) at time ``t``."""
        self.update(t)
        self._digitizer.append(TouchEvent(t, "up", float(x_px), float(y_px)))
        if self._open_touches:
            best = min(self._open_touches,
                       key=lambda tt: math.hypot(tt.x_px - x_px, tt.y_px - y_px))
            best.t_up = t
            self._open_touches.remove(best)

    def screen_at(self, t: float, scale: float = 1.0) -> np.ndarray:
        """What the display shows at ``t``: BGR uint8 of (round(H*scale), round(W*scale), 3).

        The returned array is shared with a cache; copy it before drawing on it.
        """
        key = self.display_key(t)
        w, h = max(1, round(self._w * scale)), max(1, round(self._h * scale))
        ck = (key, w, h)
        img = self._renders.get(ck)
        if img is None:
            img = render_screen(key, w, h)
            img.setflags(write=False)
            self._renders[ck] = img
            if len(self._renders) > 32:
                self._renders.popitem(last=False)
        else:
            self._renders.move_to_end(ck)
        return img

    def display_key(self, t: float) -> Hashable:
        """A key for the screen content at ``t``: equal keys <=> identical screens."""
        self.update(t)
        state, frozen_at = self._state_shown_at(t)
        t_eff = frozen_at if frozen_at is not None else t
        video_frame = None
        if state.app == VIDEO:
            if state.video_paused:
                vt = state.video_pos
            else:
                t_disp = math.floor(t_eff * self._hz + _EPS) / self._hz
                vt = state.video_pos + max(0.0, t_disp - state.video_anchor)
            video_frame = math.floor(vt * VIDEO_FPS + _EPS)
        return DisplayKey(
            app=state.app,
            counter=state.counter if state.app == COUNTER else None,
            video_frame=video_frame,
            paused=state.video_paused if state.app == VIDEO else False,
            dialog=state.dialog,
        )

    def open_app(self, name: str, t: float | None = None) -> None:
        """Bring ``name`` to the front at once (like ``adb am start``); no truth response."""
        if name != LAUNCHER and name not in LAUNCHER_APPS:
            raise ValueError(f"unknown app {name!r}; known: {', '.join(LAUNCHER_APPS)}")
        t = self.clock.now() if t is None else t
        self.update(t)
        self._push(t, _Event("ui", action=f"open:{name}", t_ready=t))

    def digitizer_events(self, since: float) -> list[TouchEvent]:
        """Touch reports the phone's digitizer saw after ``since`` (bounded history)."""
        self.update(self.clock.now())
        return [e for e in self._digitizer if e.t > since]

    def log_lines(self, since: float) -> list[tuple[float, str]]:
        """Logcat-like crash lines after ``since`` (bounded history)."""
        self.update(self.clock.now())
        return [(t, s) for t, s in self._log if t > since]

    # ------------------------------------------------------------------ internals

    def _push(self, t: float, ev: _Event) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (t, self._seq, ev))

    def _visible_at(self, r: float) -> float:
        return math.ceil(r * self._hz - _EPS) / self._hz

    def _latency(self, which: str) -> float:
        dist: Lognormal = getattr(self.options.latency, which)
        z = float(self._rng_latency.standard_normal())
        return dist.median_ms / 1000.0 * math.exp(dist.sigma * z)

    def _draw_interarrival(self, rate_per_hour: float) -> float:
        return float(self._rng_faults.exponential(3600.0 / rate_per_hour))

    def _screen(self) -> tuple[str, str | None]:
        return self._state.app, self._state.dialog

    def _react(self, t: float, target: str) -> None:
        """Schedule the reaction to a touch-down on ``target`` (logical state at ``t``)."""
        st = self._state
        if st.dialog is not None:
            if target in ("dialog:close", "nav:back", "nav:home"):
                self._schedule(t, "dismiss", "dismiss", f"close {st.dialog} dialog")
            return
        if target == "counter:+":
            self._schedule(t, "counter", "counter+1", f"counter {st.counter} -> {st.counter + 1}")
        elif target.startswith("launcher:"):
            name = target.split(":", 1)[1]
            self._schedule(t, "launch", f"open:{name}", f"open {name}")
        elif target in ("nav:back", "nav:home") and st.app != LAUNCHER:
            self._schedule(t, "nav", f"open:{LAUNCHER}", f"{target} -> launcher")
        elif target == "video:toggle":
            what = "play" if st.video_paused else "pause"
            self._schedule(t, "video", "video:toggle", f"video {what}")
        else:
            logger.debug("touch on %s at %.3f s: nothing reactive", target, t)

    def _schedule(self, t: float, latency: str, action: str, what: str) -> None:
        r = t + self._latency(latency)
        self._push(r, _Event("ui", action=action, screen=self._screen(), t_touch=t, t_ready=r,
                             what=what))

    def _handle(self, te: float, ev: _Event) -> None:
        if ev.kind == "ui":
            self._handle_ui(te, ev)
        elif ev.kind == "show":
            self._handle_show(te, ev)
        elif ev.kind == "fault":
            self._handle_fault(te, ev)
        elif ev.kind == "freeze_end":
            self._freeze_end = None
            self._push(self._visible_at(te), _Event("show"))
            logger.info("phone unfrozen at %.3f s", te)
        elif ev.kind == "arrival":
            rate = (self.options.faults.freeze_per_hour if ev.fault_kind == "freeze"
                    else self.options.faults.crash_per_hour)
            nxt = _Event("arrival", fault_kind=ev.fault_kind)
            self._push(te + self._draw_interarrival(rate), nxt)
            dur = None
            if ev.fault_kind == "freeze":
                lo, hi = self.options.faults.freeze_duration_s
                dur = float(self._rng_faults.uniform(lo, hi))
            self._handle_fault(te, _Event("fault", fault_kind=ev.fault_kind, duration_s=dur))

    def _handle_ui(self, r: float, ev: _Event) -> None:
        if self._freeze_end is not None:  # reactions wait for the freeze to end
            self._push(self._freeze_end, ev)
            return
        if ev.screen is not None and ev.screen != self._screen():
            logger.debug("reaction %s dropped: front screen changed", ev.action)
            return
        st = self._state
        action = ev.action
        if action == "counter+1":
            st = replace(st, counter=st.counter + 1)
        elif action == "video:toggle":
            if st.video_paused:
                st = replace(st, video_paused=False, video_anchor=r)
            else:
                st = replace(st, video_paused=True,
                             video_pos=st.video_pos + max(0.0, r - st.video_anchor))
        elif action == "dismiss" or (action.startswith("open:") and st.dialog is not None):
            crashed = st.dialog
            st = replace(st, dialog=None, app=LAUNCHER)
            if crashed == COUNTER:
                st = replace(st, counter=0)
            if crashed == VIDEO:
                st = replace(st, video_pos=0.0, video_anchor=r, video_paused=False)
            if action.startswith("open:"):
                st = self._open(st, action.split(":", 1)[1], r)
        elif action.startswith("open:"):
            st = self._open(st, action.split(":", 1)[1], r)
        self._state = st
        show = _Event("show", action=action)
        if ev.t_touch is not None:
            show.responses.append((ev.t_touch, r, st.app, ev.what))
        self._push(self._visible_at(r), show)

    @staticmethod
    def _open(st: _State, name: str, r: float) -> _State:
        if name == VIDEO and st.app != VIDEO:
            return replace(st, app=VIDEO, video_pos=0.0, video_anchor=r, video_paused=False)
        return replace(st, app=name)

    def _handle_show(self, v: float, ev: _Event) -> None:
        if self._freeze_end is not None:
            self._push(self._visible_at(self._freeze_end), ev)
            return
        _, last_state, last_frozen = self._history[-1]
        if not (last_state == self._state and last_frozen is None):
            self._history.append((v, self._state, None))
        for t_touch, r, app, what in ev.responses:
            self._truth.responses.append(TruthResponse(t_touch, r, v, v - t_touch, app, what))
        if self._crash_fault is not None and self._state.dialog is None:
            self._crash_fault.t_end = v
            self._crash_fault = None
            self._fault_guard = v + FAULT_GAP_S
            logger.info("crash dialog dismissed; launcher visible at %.3f s", v)
            for i, fev in enumerate(self._deferred_faults):
                self._push(self._fault_guard + i * _EPS, fev)
            self._deferred_faults.clear()

    def _handle_fault(self, t0: float, ev: _Event) -> None:
        if self._crash_fault is not None:
            if len(self._deferred_faults) < 16:
                self._deferred_faults.append(ev)
            else:
                logger.warning("%s fault at %.3f s dropped: too many waiting", ev.fault_kind, t0)
            return
        if self._freeze_end is not None or t0 < self._fault_guard:
            later = max(self._fault_guard, (self._freeze_end or 0.0) + FAULT_GAP_S)
            logger.debug("%s fault due at %.3f s moved to %.3f s", ev.fault_kind, t0, later)
            self._push(later, ev)
            return
        shown, _ = self._state_shown_at(t0)
        app = shown.dialog or shown.app
        if ev.fault_kind == "freeze":
            assert ev.duration_s is not None
            end = t0 + ev.duration_s
            self._freeze_end = end
            self._fault_guard = end + FAULT_GAP_S
            self._history.append((t0, shown, t0))
            self._push(end, _Event("freeze_end"))
            self._truth.faults.append(TruthFault("freeze", t0, end, app))
            logger.info("freeze of %.2f s starts at %.3f s", ev.duration_s, t0)
        else:
            crashed = self._state.app
            self._state = replace(self._state, dialog=crashed)
            self._crash_fault = TruthFault("crash", t0, None, crashed)
            self._fault_guard = math.inf
            self._truth.faults.append(self._crash_fault)
            self._push(self._visible_at(t0), _Event("show"))
            pkg = crashed.lower()
            self._log.append((t0, "E AndroidRuntime: FATAL EXCEPTION: main"))
            self._log.append((t0, f"E AndroidRuntime: Process: com.twin.{pkg}, PID: 4242"))
            self._log.append((t0, "E AndroidRuntime: java.lang.IllegalStateException: twin crash"))
            logger.info("%s crashes at %.3f s", crashed, t0)

    def _state_shown_at(self, t: float) -> tuple[_State, float | None]:
        for t_from, state, frozen_at in reversed(self._history):
            if t_from <= t + _EPS:
                return state, frozen_at
        logger.debug("screen asked for %.3f s, older than the kept history", t)
        _, state, frozen_at = self._history[0]
        return state, frozen_at

    def _prune(self) -> None:
        horizon = self._t_done - self.options.history_s
        while len(self._history) > 1 and self._history[1][0] <= horizon:
            self._history.popleft()
