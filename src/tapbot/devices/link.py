"""The device link contract: what a rig can ask the phone itself (adb on a real rig).

Monitors may use a link where a real rig would have adb; nothing here is ground truth.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from tapbot.core.errors import HardwareError


@dataclass(frozen=True, slots=True)
class TouchEvent:
    """One touch report from the device's digitizer (like ``getevent``), in screen px."""

    t: float
    action: str  # "down" | "move" | "up"
    x_px: float
    y_px: float


class DeviceLink(ABC):
    """A connection to the phone under test."""

    @abstractmethod
    def screenshot(self) -> np.ndarray:
        """A pixel-exact BGR screenshot at the device's resolution."""

    @abstractmethod
    def touch_events(self, since: float) -> list[TouchEvent]:
        """Touch reports with time after ``since``."""

    @abstractmethod
    def log_lines(self, since: float) -> list[tuple[float, str]]:
        """Crash/ANR log lines (like logcat) after ``since``."""

    @abstractmethod
    def launch_app(self, name: str) -> None:
        """Start an app by name."""

    @abstractmethod
    def boot_state(self) -> str:
        """``"booted"``, ``"booting"`` or ``"offline"``."""

    # Optional capabilities (calibration uses them when a link offers them). ------------------
    def show_image(self, image: np.ndarray) -> None:
        """Show a full-screen BGR image (a calibration pattern) until ``clear_image``."""
        raise HardwareError(f"{type(self).__name__} cannot show an image on the phone")

    def clear_image(self) -> None:
        """Stop showing the image from ``show_image``."""
        raise HardwareError(f"{type(self).__name__} cannot show an image on the phone")

    def set_show_touches(self, on: bool) -> None:
        """Switch the phone's own touch-location overlay (Android's "show taps") on or off."""
        raise HardwareError(f"{type(self).__name__} cannot switch the touch overlay")
