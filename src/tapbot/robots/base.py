"""The robot contract for implementers (:class:`RobotBackend`).

A backend only translates to its hardware: XY moves at a speed, finger down to a height, finger
up. Limits, state and documents live in the front-end (:class:`tapbot.robots.Robot`). Every
method blocks until the motion has finished on the rig's clock, so the caller can timestamp
contact right after ``finger_down`` returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class RobotBackend(ABC):
    """One motion stage with ``fingers`` contact tips, driven in robot millimetres."""

    fingers: int = 1

    @abstractmethod
    def setup(self) -> None:
        """Connect and make ready (homing is separate)."""

    @abstractmethod
    def stop(self) -> None:
        """Disconnect; the front-end has already lifted and parked the fingers."""

    @abstractmethod
    def home(self) -> None:
        """Find the machine origin; afterwards positions are absolute."""

    @abstractmethod
    def move_to(self, x_mm: float, y_mm: float, speed_mm_s: float) -> None:
        """Move XY to the target at up to ``speed_mm_s``; the fingers keep their height."""

    @abstractmethod
    def finger_down(self, finger: int, z_mm: float) -> None:
        """Lower ``finger`` to height ``z_mm`` (the glass, from calibration)."""

    @abstractmethod
    def finger_up(self, finger: int, z_mm: float) -> None:
        """Raise ``finger`` to the clearance height ``z_mm``."""

    @abstractmethod
    def request_position(self) -> tuple[float, float, float]:
        """Ask the hardware where it is: (x_mm, y_mm, z_mm of finger 0)."""
