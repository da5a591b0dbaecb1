"""The twin's device link: what adb would tell about the simulated phone (never the truth).

Like adb it offers a pixel-exact screenshot, the digitizer's event log (``getevent -lt``: it
includes ghost touches and drifted positions, and misses touches in a dead zone, exactly as a
real digitizer would), crash/ANR lines (``logcat``), launching an app, the boot state, and the
optional capabilities calibration uses: a full-screen image and Android's "show taps".
"""

from __future__ import annotations

import logging

import numpy as np

from tapbot.core.clock import Clock
from tapbot.devices.link import DeviceLink, TouchEvent
from tapbot.sim.phone import SimPhone

logger = logging.getLogger(__name__)


class SimDeviceLink(DeviceLink):
    """A device link to a :class:`SimPhone`: screenshots, digitizer reports, crash logs."""

    def __init__(self, phone: SimPhone, clock: Clock) -> None:
        self._phone = phone
        self._clock = clock

    def screenshot(self) -> np.ndarray:
        """What the display shows now, at the device's resolution (a fresh copy)."""
        return self._phone.screen_at(self._clock.now(), 1.0).copy()

    def touch_events(self, since: float) -> list[TouchEvent]:
        """Digitizer reports after ``since`` (like getevent)."""
        return self._phone.digitizer_events(since)

    def log_lines(self, since: float) -> list[tuple[float, str]]:
        """Crash and ANR lines after ``since`` (like logcat)."""
        return self._phone.log_lines(since)

    def launch_app(self, name: str) -> None:
        """Bring app ``name`` to the front now (visible from the next refresh)."""
        self._phone.open_app(name, self._clock.now())

    def boot_state(self) -> str:
        """``"booting"`` from a reboot until the lock screen shows, else ``"booted"``."""
        return self._phone.boot_state(self._clock.now())

    def show_image(self, image: np.ndarray) -> None:
        """Show a full-screen BGR image from the next refresh until ``clear_image`` or home."""
        self._phone.show_image(image, self._clock.now())

    def clear_image(self) -> None:
        """Stop showing the image."""
        self._phone.clear_image(self._clock.now())

    def set_show_touches(self, on: bool) -> None:
        """Android's "show taps": a dot on the display wherever a finger touches."""
        self._phone.set_show_touches(on, self._clock.now())
