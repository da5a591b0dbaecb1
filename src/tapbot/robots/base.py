"""The robot contract for implementers (:class:`RobotBackend`).

A backend only translates to its hardware: XY moves at a speed, finger down to a height, finger
up. Limits, state and documents live in the front-end (:class:`tapbot.robots.Robot`). Every
method blocks until the motion has finished on the rig's clock, so the caller can timestamp
contact right after ``finger_down`` returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from tapbot.core.errors import HardwareError


class RobotBackend(ABC):
    """One motion stage with ``fingers`` contact tips, driven in robot millimetres.

    Every backend moves finger 0 with ``move_to``. A backend with two fingers (a pinch tool)
    also implements the optional pair methods (``move_pair_to``, ``pair_down``, ``pair_up``) and
    states the centre-to-centre distance its fingers can have in ``pair_separation_mm``; a
    one-finger backend inherits defaults that raise :class:`HardwareError`.
    """

    fingers: int = 1
    #: (min, max) centre-to-centre distance of fingers 0 and 1 in mm; ``None``: one finger.
    pair_separation_mm: tuple[float, float] | None = None

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

    def move_along(self, points_mm: Sequence[tuple[float, float]],
                   speeds_mm_s: Sequence[float]) -> None:
        """Move through every point in turn, each leg at its speed (a drag on the glass).

        This default makes one ``move_to`` per leg. Backends whose controller plans ahead
        (GRBL) override it to stream the legs together, so a swipe keeps its speed instead of
        stopping at every sample.
        """
        for (x, y), v in zip(points_mm, speeds_mm_s, strict=True):
            self.move_to(x, y, v)

    # -- optional: two fingers (pinch / zoom) -------------------------------------------------
    def move_pair_to(self, a_mm: tuple[float, float], b_mm: tuple[float, float],
                     speed_mm_s: float) -> None:
        """Move so that finger 0 ends at ``a_mm`` and finger 1 at ``b_mm`` (XY, robot mm), both
        fingers arriving together, neither faster than ``speed_mm_s``; heights are kept."""
        raise HardwareError(f"this robot has one finger ({type(self).__name__})",
                            hint="use a robot with a two-finger tool for pinch and zoom")

    def pair_down(self, z_mm: float) -> None:
        """Lower fingers 0 and 1 together to height ``z_mm``."""
        raise HardwareError(f"this robot has one finger ({type(self).__name__})",
                            hint="use a robot with a two-finger tool for pinch and zoom")

    def pair_up(self, z_mm: float) -> None:
        """Raise fingers 0 and 1 together to the clearance height ``z_mm``."""
        raise HardwareError(f"this robot has one finger ({type(self).__name__})",
                            hint="use a robot with a two-finger tool for pinch and zoom")
