"""The simulated phone: apps and system UI that react to touches after seeded latencies, a
display that changes only on refresh boundaries, injected faults, and ground truth.

Events are processed lazily: a time-ordered queue holds pending UI reactions, display updates
and faults, and everything due at or before ``t`` is processed whenever the phone is touched
or asked for its screen at ``t``. A short history of logical states lets the camera render
frames of the recent past; everything that moves by itself (video, game, music, transitions,
momentum scrolling, the clock, notifications, boot animation) is a pure function of the state
and the display time, so the display key of any frame is cheap and exact.

:class:`SimPhone` is composed of its parts, one module each: the logical state
(:mod:`~tapbot.sim.phone_state`), the display and render cache
(:mod:`~tapbot.sim.phone_display`), the system UI (:mod:`~tapbot.sim.phone_system_ui`),
touch input (:mod:`~tapbot.sim.phone_touch`), app navigation (:mod:`~tapbot.sim.phone_nav`)
and the faults' effects (:mod:`~tapbot.sim.phone_fault_effects`); its options are in
:mod:`~tapbot.sim.phone_options`.
"""

from __future__ import annotations

import heapq
import logging

from tapbot.core.clock import Clock
from tapbot.devices.profile import DeviceProfile
from tapbot.sim.phone_display import PhoneDisplay
from tapbot.sim.phone_fault_effects import PhoneFaultEffects
from tapbot.sim.phone_nav import PhoneNavigation
from tapbot.sim.phone_options import (
    HISTORY_S,
    LatencyOptions,
    Lognormal,
    SimPhoneOptions,
    SystemUiOptions,
)
from tapbot.sim.phone_state import EPS, PhoneEvent, UiState
from tapbot.sim.phone_system_ui import PhoneSystemUi
from tapbot.sim.phone_touch import PhoneTouch
from tapbot.sim.truth import GroundTruth

__all__ = ["HISTORY_S", "LatencyOptions", "Lognormal", "SimPhone", "SimPhoneOptions",
           "SystemUiOptions"]

logger = logging.getLogger(__name__)


class SimPhone(PhoneTouch, PhoneNavigation, PhoneFaultEffects, PhoneSystemUi, PhoneDisplay):
    """A phone on the twin's deck. The world feeds it touches in screen px, in time order.

    This class owns the event queue, the current logical state and the ground truth; each
    base class owns one part of the phone (see the module's docstring).
    """

    def __init__(self, options: SimPhoneOptions, clock: Clock) -> None:
        self.options = options
        self.profile: DeviceProfile = options.profile
        self.clock = clock
        self._ui = options.system_ui
        self._truth = GroundTruth()
        self._w, self._h = self.profile.screen_px
        self._aspect = self._h / self._w
        self._queue: list[tuple[float, int, PhoneEvent]] = []
        self._seq = 0
        start = {"unlocked": "on", "locked": "lock", "boot": "reboot"}[self._ui.start]
        self._state = UiState(mode=start)
        self._init_navigation()
        self._init_faults()
        self._init_system_ui()
        self._init_touch()
        self._init_display()
        if start == "reboot":
            self._push(self._ui_boot_end(0.0), PhoneEvent("end", action="boot"))
        self._first_faults()
        self._first_notification()

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
        while self._queue and self._queue[0][0] <= t + EPS:
            te, _, ev = heapq.heappop(self._queue)
            self._handle(te, ev)
        if t > self._t_done:
            self._t_done = t
            self._prune()

    def _push(self, t: float, ev: PhoneEvent) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (t, self._seq, ev))

    def _set_now(self, t: float, st: UiState) -> None:
        """Change the state at once (system actions with no latency); visible next refresh."""
        self._state = st
        self._push(self._visible_at(t), PhoneEvent("show"))

    def _handle(self, te: float, ev: PhoneEvent) -> None:
        k = ev.kind
        if k == "ui":
            self._handle_ui(te, ev)
        elif k == "show":
            self._handle_show(te, ev)
        elif k == "fault":
            self._handle_fault(te, ev)
        elif k == "end":
            self._handle_end(te, ev)
        elif k == "arrival":
            self._handle_arrival(te, ev.action)
        elif k == "ghost_up":
            fid, x, y = ev.payload
            if fid in self._fingers:
                self._up(te, x, y, fid)
        elif k == "notif":
            self._handle_notif(te)
