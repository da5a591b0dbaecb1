"""The simulated phone's system UI: status bar (clock, battery), boot and lock timing,
notifications that slide in at random times, and "show taps" dots."""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import numpy as np

from tapbot.sim.apps import layout as L
from tapbot.sim.mirror import mirrored
from tapbot.sim.phone_state import EPS, PhoneEvent, UiState

logger = logging.getLogger(__name__)

_SHOW_TAPS = L.SETTINGS_ROWS.index("Show taps")  # its toggle's index

_NOTIF_TEXTS = ("Alice: See you at 10?", "Bob: Lunch today?", "Update available",
                "Carol: Call me back", "Battery saver tip", "Dave: Photos sent")


class PhoneSystemUi:
    """The phone's system UI (a part of :class:`~tapbot.sim.phone.SimPhone`).

    Owns the status bar's clock origin, the notifications' random stream and the positions of
    the "show taps" dots.
    """

    def _init_system_ui(self) -> None:
        self._rng_notif = np.random.default_rng([self.options.seed, 3])
        self._clock_start_min = int(self._ui.clock_start[:2]) * 60 + int(self._ui.clock_start[3:])
        self._dot_pos: dict[int, tuple[int, int]] = {}
        self._status_known: tuple[int, int, tuple[str, int]] | None = None

    def boot_state(self, t: float | None = None) -> str:
        """``"booting"`` from a reboot until the lock screen shows, else ``"booted"``."""
        t = self.clock.now() if t is None else t
        self.update(t)
        st, _ = self._state_shown_at(t)
        return "booting" if st.mode == "reboot" else "booted"

    @mirrored
    def set_show_touches(self, on: bool, t: float | None = None) -> None:
        """Switch "show taps" (Settings row "Show taps"): a dot wherever a finger touches."""
        t = self.clock.now() if t is None else t
        self.update(t)
        toggles = list(self._state.toggles)
        toggles[_SHOW_TAPS] = bool(on)
        self._set_now(t, replace(self._state, toggles=tuple(toggles)))

    def _black_s(self) -> float:
        return min(1.0, self.options.faults.boot_s * 0.2)

    def _ui_boot_end(self, t0: float) -> float:
        return self._visible_at(t0 + self.options.faults.boot_s)

    def _status(self, td: float) -> tuple[str, int]:
        if not self._ui.clock_ticks:
            return self._ui.clock_start, self._ui.battery_start_pct
        minute = math.floor(td / 60.0 + EPS)
        drained = math.floor(self._ui.battery_drain_pct_per_hour * td / 3600.0 + EPS)
        known = self._status_known
        if known is not None and known[0] == minute and known[1] == drained:
            return known[2]  # (every refresh of a minute asks: the text made once)
        minutes = (self._clock_start_min + minute) % (24 * 60)
        battery = max(5, self._ui.battery_start_pct - drained)
        status = f"{minutes // 60:02d}:{minutes % 60:02d}", battery
        self._status_known = (minute, drained, status)
        return status

    def _show_taps(self, st: UiState) -> bool:
        return st.toggles[_SHOW_TAPS]

    def _dots_changed(self, t: float, x: float | None, y: float | None, fid: int) -> None:
        if not self._show_taps(self._state):
            return
        dots = dict(self._dot_pos)
        if x is None:
            dots.pop(fid, None)
        else:
            dots[fid] = (round(x), round(y))
        self._dot_pos = dots
        self._set_now(t, replace(self._state, dots=tuple(dots[k] for k in sorted(dots))))

    def _first_notification(self) -> None:
        if self._ui.notifications_per_hour > 0:
            gap = float(self._rng_notif.exponential(3600.0 / self._ui.notifications_per_hour))
            self._push(gap, PhoneEvent("notif"))

    def _handle_notif(self, te: float) -> None:
        """A notification arrives (unless frozen); the next one is scheduled."""
        rate = self._ui.notifications_per_hour
        self._push(te + float(self._rng_notif.exponential(3600.0 / rate)), PhoneEvent("notif"))
        text = _NOTIF_TEXTS[int(self._rng_notif.integers(len(_NOTIF_TEXTS)))]
        if self._freeze_end is not None:
            return
        self._set_now(te, replace(self._state, notif=(text, self._visible_at(te))))
        logger.debug("notification %r at %.3f s", text, te)
