"""The twin's device link: what adb would tell about the simulated phone (never the truth)."""

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
        """Crash lines after ``since`` (like logcat)."""
        return self._phone.log_lines(since)

    def launch_app(self, name: str) -> None:
        """Bring app ``name`` to the front now (visible from the next refresh)."""
        self._phone.open_app(name, self._clock.now())

    def boot_state(self) -> str:
        return "booted"
