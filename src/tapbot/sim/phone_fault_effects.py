"""The fault engine's effects on the simulated phone: faults arriving by schedule or by rate,
held back while another is going on, and what each does (freeze, stall, ANR and crash
dialogs, the app closing, reboot, glitch, ghost touch, dead zone, drift, slowdown, bump), logged
as ground truth with start and end, and as logcat-like lines.

A bump moves the phone on the deck, which the phone itself cannot do: the fault engine draws
it, logs it, and tells the listeners registered with :meth:`PhoneFaultEffects.on_bump` (the
:class:`~tapbot.sim.world.SimWorld` the phone lies in)."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from tapbot.sim.apps import layout as L
from tapbot.sim.faults import AMOUNT_DEFAULTS, BUMP_RANDOM_DEG, FaultEvent
from tapbot.sim.phone_state import EPS, HELD, PhoneEvent, UiState
from tapbot.sim.truth import TruthFault

logger = logging.getLogger(__name__)

GHOST_HOLD_S = 0.06
APP_FAULT_POLL_S = 1.0
STALL_WAIT_S = 60.0  # an armed stall with no reaction to slow within this time lapses
LOG_KEPT = 2000  # log lines kept for log_lines
#: Android's Choreographer logs a main-thread stall once it skipped this many frames or more
#: (``SKIPPED_FRAME_WARNING_LIMIT``)
SKIPPED_FRAMES_LOGGED = 30

#: ``listener(t, dx_mm, dy_mm, rotation_deg)``: the phone was knocked at ``t``; its screen
#: centre moved by (dx, dy) deck mm and it turned by ``rotation_deg`` about that centre.
BumpListener = Callable[[float, float, float, float], None]


class PhoneFaultEffects:
    """Injected faults (a part of :class:`~tapbot.sim.phone.SimPhone`).

    Owns the fault going on (``_active``), faults waiting for it to end, and each fault's
    effect state: the freeze's end, an armed stall, the leak of a slowdown, the dead zone, the
    touch drift, recent crashes (for "keeps stopping"), and the log.
    """

    def _init_faults(self) -> None:
        self._rng_faults = np.random.default_rng([self.options.seed, 2])
        self._freeze_end: float | None = None
        self._active: TruthFault | None = None  # the fault going on now
        self._guard = -math.inf  # no fault may start before this time
        self._waiting: list[PhoneEvent] = []
        self._stall: tuple[TruthFault | None, float, str | None] | None = None
        self._stall_due = 0.0
        self._leak: tuple[float, float] | None = None  # (since, ms per minute)
        self._dead_zone: tuple[float, float, float, float] | None = None  # px rect
        self._drift: tuple[float, float, float] | None = None  # (since, vx, vy) px/s
        self._last_crash: dict[str, float] = {}
        self._log: deque[tuple[float, str]] = deque(maxlen=LOG_KEPT)
        self._bump_listeners: list[BumpListener] = []

    def on_bump(self, listener: BumpListener) -> None:
        """Call ``listener(t, dx_mm, dy_mm, rotation_deg)`` whenever a bump fault knocks the
        phone (the world registers itself to move the screen on its deck)."""
        self._bump_listeners.append(listener)

    @property
    def may_bump(self) -> bool:
        """Whether any bump is scheduled or has a rate (if not, the pose never changes)."""
        fo = self.options.faults
        return "bump" in fo.rates() or any(fe.kind == "bump" for fe in fo.schedule)

    def _first_faults(self) -> None:
        for fe in self.options.faults.schedule:
            self._push(fe.at_s, PhoneEvent("fault", fault=fe))
        for kind, rate in self.options.faults.rates().items():
            self._push(self._interarrival(rate), PhoneEvent("arrival", action=kind))

    def log_lines(self, since: float) -> list[tuple[float, str]]:
        """Logcat-like crash/ANR lines after ``since`` (bounded history)."""
        self.update(self.clock.now())
        return [(t, s) for t, s in self._log if t > since]

    def _reported(self, t: float, x: float, y: float) -> tuple[float, float]:
        if self._drift is None:
            return x, y
        t0, vx, vy = self._drift
        return x + vx * (t - t0), y + vy * (t - t0)

    def _in_dead_zone(self, x: float, y: float) -> bool:
        if self._dead_zone is None:
            return False
        x0, y0, x1, y1 = self._dead_zone
        return x0 <= x <= x1 and y0 <= y <= y1

    def _interarrival(self, rate_per_hour: float) -> float:
        return float(self._rng_faults.exponential(3600.0 / rate_per_hour))

    def _random_fault(self, kind: str, t: float) -> FaultEvent:
        rng, fo = self._rng_faults, self.options.faults
        extra: dict[str, Any] = {}
        if kind in ("freeze", "dead_zone", "drift", "slowdown"):
            lo, hi = fo.duration_range(kind)
            extra["duration_s"] = float(rng.uniform(lo, hi))
        if kind == "glitch":
            extra["style"] = ("black", "bars", "tear")[int(rng.integers(3))]
            extra["frames"] = int(rng.integers(2, 7))
        if kind == "ghost_touch":
            extra["at"] = (float(rng.uniform(0.05, 0.95)), float(rng.uniform(0.08, 0.92)))
        if kind == "dead_zone":
            x0, y0 = float(rng.uniform(0.0, 0.7)), float(rng.uniform(0.05, 0.8))
            extra["region"] = (x0, y0, x0 + 0.3, y0 + 0.12)
        return FaultEvent(kind=kind, at_s=t, **extra)

    def _handle_arrival(self, te: float, kind: str) -> None:
        """A random ``kind`` fault arrives; the next one is scheduled."""
        self._push(te + self._interarrival(self.options.faults.rates()[kind]),
                   PhoneEvent("arrival", action=kind))
        self._handle_fault(te, PhoneEvent("fault", fault=self._random_fault(kind, te)))

    def _defer(self, t: float, ev: PhoneEvent) -> bool:
        """Hold ``ev`` back if a fault is going on or ended too recently; True if held."""
        if self._active is not None or self._freeze_end is not None:
            if len(self._waiting) < 16:
                self._waiting.append(ev)
            else:
                logger.warning("fault at %.3f s dropped: too many waiting", t)
            return True
        if t < self._guard - EPS:
            self._push(self._guard, ev)
            return True
        return False

    def _begin(self, kind: str, t0: float, t_end: float | None, app: str,
               due: float, **details: Any) -> TruthFault:
        fault = TruthFault(kind, t0, t_end, app, details)
        if abs(due - t0) > 1e-6:
            fault.details["due_s"] = due
        self._truth.faults.append(fault)
        self._active = fault
        if t_end is not None:
            self._push(t_end, PhoneEvent("end", action=kind))
        logger.info("%s fault on %s starts at %.3f s", kind, app, t0)
        return fault

    def _end_fault(self, fault: TruthFault, t: float) -> None:
        if fault.t_end is None:
            fault.t_end = t
        if self._active is fault:
            self._active = None
            self._guard = t + self.options.faults.gap_s
            for i, ev in enumerate(self._waiting):
                self._push(self._guard + i * 1e-6, ev)
            self._waiting.clear()

    def _handle_fault(self, t0: float, ev: PhoneEvent) -> None:
        fe = ev.fault
        assert fe is not None
        if self._defer(t0, ev):
            return
        st = self._state
        kind = fe.kind
        due = fe.at_s
        if kind in ("stall", "anr", "crash", "close"):
            front = st.app
            wrong_app = fe.app is not None and fe.app != front
            if st.mode != "on" or wrong_app or (kind == "close" and front == L.LAUNCHER) \
                    or st.dialog is not None:
                self._push(t0 + APP_FAULT_POLL_S, ev)  # wait until that app is in front
                return
        shown, _ = self._state_shown_at(t0)
        app = shown.app if shown.mode == "on" else ("Lock" if shown.mode == "lock" else "System")
        if kind == "freeze":
            end = t0 + (fe.length_s or 0.0)
            self._freeze_end = end
            self._history.append((t0, shown, t0))
            self._begin("freeze", t0, end, app, due)
        elif kind in ("crash", "anr"):
            app = st.app
            again = kind == "crash" and t0 - self._last_crash.get(app, -math.inf) \
                <= self.options.faults.keeps_stopping_window_s
            if kind == "crash":
                self._last_crash[app] = t0
            self._state = replace(st, dialog=(kind, app, again), dialog_t=t0, transition=None)
            self._push(self._visible_at(t0), PhoneEvent("show"))
            self._begin(kind, t0, None, app, due, **({"again": True} if again else {}))
            pkg = L.PACKAGES[app]
            if kind == "crash":
                self._log.append((t0, "E AndroidRuntime: FATAL EXCEPTION: main"))
                self._log.append((t0, f"E AndroidRuntime: Process: {pkg}, PID: 4242"))
                self._log.append((t0, "E AndroidRuntime: java.lang.IllegalStateException: "
                                      "twin crash"))
            else:
                self._log.append((t0, f"E ActivityManager: ANR in {pkg} ({pkg}/.MainActivity)"))
                self._log.append((t0, "E ActivityManager: Reason: Input dispatching timed out"))
        elif kind == "close":
            app = st.app
            v = self._visible_at(t0)
            self._state = self._kill(st, app, v)
            self._push(v, PhoneEvent("show"))
            end = v + (self._ui.close_s if self._ui.transitions else 0.0)
            self._begin("close", t0, max(end, v), app, due)
            self._log.append((t0, f"I ActivityManager: Process {L.PACKAGES[app]} (pid 4242) "
                                  "has died: fg TOP"))
        elif kind == "reboot":
            self._reboot(t0, due, cause=None)
        elif kind == "glitch":
            frames = fe.frames or 3
            style = fe.style or "bars"
            v = self._visible_at(t0)
            end = v + frames / self._hz
            self._state = replace(st, glitch=(style, v, end))
            self._push(v, PhoneEvent("show"))
            self._begin("glitch", v, end, app, due, style=style, frames=frames)
        elif kind == "ghost_touch":
            fx, fy = fe.at if fe.at is not None else (0.5, 0.5)
            x, y = fx * self._w, fy * self._h
            fault = self._begin("ghost_touch", t0, t0 + GHOST_HOLD_S, app, due,
                                x_px=x, y_px=y)
            fid = self._next_finger
            self._next_finger += 1
            self._down(t0, x, y, fid, ghost=True)
            fault.details["target"] = self._truth.touches[-1].target
            self._push(t0 + GHOST_HOLD_S, PhoneEvent("ghost_up", payload=(fid, x, y)))
        elif kind == "dead_zone":
            x0, y0, x1, y1 = fe.region or (0.3, 0.4, 0.7, 0.5)
            self._dead_zone = (x0 * self._w, y0 * self._h, x1 * self._w, y1 * self._h)
            self._begin("dead_zone", t0, t0 + (fe.length_s or 0.0), app, due,
                        region=[x0, y0, x1, y1])
        elif kind == "drift":
            rate = fe.amount or AMOUNT_DEFAULTS["drift"]
            angle = float(self._rng_faults.uniform(0, 2 * math.pi))
            self._drift = (t0, rate * math.cos(angle), rate * math.sin(angle))
            self._begin("drift", t0, t0 + (fe.length_s or 0.0), app, due, px_per_s=rate,
                        direction_deg=math.degrees(angle))
        elif kind == "slowdown":
            rate = fe.amount or AMOUNT_DEFAULTS["slowdown"]
            self._leak = (t0, rate)
            self._begin("slowdown", t0, t0 + (fe.length_s or 0.0), app, due,
                        ms_per_minute=rate, ends_with="reboot")
        elif kind == "bump":
            self._bump(t0, fe, app, due)
        elif kind == "stall":
            extra = fe.amount or AMOUNT_DEFAULTS["stall"]
            self._stall = (None, extra, fe.app)
            # armed: it blocks other faults until the response it slows has shown
            armed = TruthFault("stall", t0, None, fe.app or "", {"armed": True})
            self._active = armed
            self._stall_due = due
            self._push(t0 + STALL_WAIT_S, PhoneEvent("end", action="stall_expire", payload=armed))

    def _bump(self, t0: float, fe: FaultEvent, app: str, due: float) -> None:
        """Knock the phone: draw what the event leaves unset, log it, tell the listeners."""
        rng = self._rng_faults
        shift = fe.amount or AMOUNT_DEFAULTS["bump"]
        direction = (fe.direction_deg if fe.direction_deg is not None
                     else float(rng.uniform(0.0, 360.0)))
        rotation = (fe.rotation_deg if fe.rotation_deg is not None
                    else float(rng.uniform(-BUMP_RANDOM_DEG, BUMP_RANDOM_DEG)))
        a = math.radians(direction)
        dx, dy = shift * math.cos(a), shift * math.sin(a)
        # instantaneous: it ends where it starts (the "end" at t0 keeps the gap after it)
        self._begin("bump", t0, t0, app, due, shift_mm=shift, direction_deg=direction,
                    dx_mm=dx, dy_mm=dy, rotation_deg=rotation)
        if not self._bump_listeners:
            logger.debug("bump at %.3f s: no world to move the phone in", t0)
        for listener in self._bump_listeners:
            listener(t0, dx, dy, rotation)

    def _fire_stall(self, t_touch: float, extra: float, app: str) -> TruthFault:
        due = self._stall_due
        armed = self._active
        self._stall = None
        fault = TruthFault("stall", t_touch, None, app, {"extra_s": extra, "armed_s": due})
        self._truth.faults.append(fault)
        if armed is not None and armed.kind == "stall":
            self._active = fault
        return fault

    def _handle_end(self, te: float, ev: PhoneEvent) -> None:
        kind = ev.action
        if kind == "stall_expire":  # no reaction came to slow down: the stall never happened
            if self._active is ev.payload:
                logger.info("stall armed at %.3f s expired: no touch to slow down", self._stall_due)
                self._stall = None
                self._active = None
                for i, w in enumerate(self._waiting):
                    self._push(te + i * 1e-6, w)
                self._waiting.clear()
            return
        if kind == "boot":  # a boot finished: the lock screen shows
            mode = "lock" if self._ui.lock_after_reboot else "on"
            self._state = replace(self._state, mode=mode, lock_lift=HELD, t_mode=te)
            self._push(te, PhoneEvent("show"))
            if self._active is not None and self._active.kind == "reboot":
                self._end_fault(self._active, te)
            return
        fault = self._active
        if fault is None or fault.kind != kind:
            return
        if kind == "freeze":
            self._freeze_end = None
            shown = self._visible_at(te)
            self._push(shown, PhoneEvent("show"))
            self._log_skipped_frames(fault.t_start, shown)
            logger.info("phone unfrozen at %.3f s", te)
        elif kind == "glitch":
            self._state = replace(self._state, glitch=None)
        elif kind == "dead_zone":
            self._dead_zone = None
        elif kind == "drift":
            self._drift = None
        elif kind == "slowdown":
            self._end_fault(fault, te)
            self._reboot(te, te, cause="slowdown")
            return
        self._end_fault(fault, te)

    def _log_skipped_frames(self, t0: float, t1: float) -> None:
        """What Android's Choreographer logs when the main thread, stalled from ``t0``, draws
        its first frame again at ``t1``: the frames it skipped (a freeze's only trace in
        logcat; nothing when it skipped fewer than :data:`SKIPPED_FRAMES_LOGGED`)."""
        skipped = math.floor((t1 - t0) * self.profile.refresh_hz + EPS)
        if skipped >= SKIPPED_FRAMES_LOGGED:
            self._log.append((t1, f"I Choreographer: Skipped {skipped} frames!  The "
                                  "application may be doing too much work on its main thread."))

    def _reboot(self, t0: float, due: float, cause: str | None) -> None:
        old = self._state
        self._state = UiState(mode="reboot", t_mode=self._visible_at(t0), toggles=old.toggles)
        self._leak = None
        self._stall = None
        for touch in self._fingers.values():  # fingers on the glass stay, but go nowhere
            touch.dead = True
            touch.dragging = False
        self._dot_pos = {}
        self._push(self._visible_at(t0), PhoneEvent("show"))
        end = self._ui_boot_end(t0)
        app = old.app if old.mode == "on" else "System"
        details = {"cause": cause} if cause else {}
        self._begin("reboot", t0, None, app, due, **details)
        self._push(end, PhoneEvent("end", action="boot"))
        self._log.append((t0, "I ActivityManager: Start proc system reboot requested"))
