"""A rotary delta robot on a GRBL controller that moves the three arms as axes X, Y, Z.

The controller is set up in degrees (steps per degree in $100-$102), so every G-code line
is a joint move. A straight line in robot mm is cut into short segments, each converted by
inverse kinematics; the feed of each segment is the joint-space rate that makes the
effector cover it at the asked speed. Every segment of a move is solved before the first
byte is written, so an unreachable target is refused with nothing sent.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from pydantic import Field

from tapbot.core.clock import Clock
from tapbot.core.errors import HardwareError
from tapbot.robots.delta import DeltaGeometry
from tapbot.robots.grbl.backend import GrblOptions, GrblRobot, PortOpener, open_serial
from tapbot.robots.grbl.gcode import ZFinger, num

logger = logging.getLogger(__name__)


class DeltaGrblOptions(GrblOptions):
    """``type: delta-grbl``: GRBL options plus the delta's geometry and where it stands."""

    geometry: DeltaGeometry
    center_mm: tuple[float, float] = Field(
        (0.0, 0.0), description="robot XY under the centre of the base plate")
    base_height_mm: float = Field(
        250.0, description="height of the base plate (motor axes) above robot z = 0")
    home_angles_deg: tuple[float, float, float] = Field(
        (0.0, 0.0, 0.0), description="arm angles after homing (or at power-on without it)")
    segment_mm: float = Field(1.0, gt=0, le=20, description="longest straight segment")
    finger: ZFinger = Field(default_factory=ZFinger)


class DeltaGrblRobot(GrblRobot):
    """Joint-move delta robot; the effector tip is the finger (one finger)."""

    options: DeltaGrblOptions

    def __init__(self, options: DeltaGrblOptions, clock: Clock,
                 opener: PortOpener = open_serial) -> None:
        super().__init__(options, clock, opener)
        self.geometry = options.geometry
        self._pos: tuple[float, float, float] | None = None
        self._at_home_pose = False

    # -- frames ----------------------------------------------------------------------------
    def to_delta(self, p: tuple[float, float, float]) -> tuple[float, float, float]:
        cx, cy = self.options.center_mm
        return (p[0] - cx, p[1] - cy, p[2] - self.options.base_height_mm)

    def from_delta(self, q: tuple[float, float, float]) -> tuple[float, float, float]:
        cx, cy = self.options.center_mm
        return (q[0] + cx, q[1] + cy, q[2] + self.options.base_height_mm)

    def joints_for(self, p: tuple[float, float, float]) -> tuple[float, float, float]:
        """Arm angles (deg) for robot point ``p`` (mm); SafetyError when unreachable."""
        return self.geometry.inverse(self.to_delta(p))

    def point_for(self, angles: tuple[float, float, float]) -> tuple[float, float, float]:
        """Robot point (mm) for arm angles (deg)."""
        return self.from_delta(self.geometry.forward(angles))

    # -- motion ----------------------------------------------------------------------------
    def _set_home(self) -> None:
        a = self.options.home_angles_deg
        self.link.command(f"G92 X{num(a[0])} Y{num(a[1])} Z{num(a[2])}")
        self._pos = self.point_for(a)
        self._at_home_pose = True

    def setup(self) -> None:
        """Connect; the first time (no homing) the arms are taken to be at the home angles,
        on a reconnect the controller's own joint position is kept."""
        reconnecting = self.was_connected
        super().setup()
        if reconnecting:
            self._pos = self.request_position()
            self._at_home_pose = True  # leave the current pose with one joint move
        elif not self.options.homing:
            self._set_home()

    def home(self) -> None:
        """``$H`` (when configured), then the joint positions are the home angles."""
        if self.options.homing:
            super().home()
            self._set_home()
        elif self._pos is None:
            self._set_home()

    def _segments(self, target: tuple[float, float, float],
                  speed_mm_s: float) -> list[str]:
        if self._pos is None:
            raise HardwareError("the delta's position is unknown", hint="home it first")
        start = self._pos
        length = math.dist(start, target)
        n = max(1, math.ceil(length / self.options.segment_mm - 1e-9))
        if self._at_home_pose:
            n = 1  # the home pose may lie outside the work envelope: one joint move leaves it
        lines: list[str] = []
        prev = self.joints_for(start)
        for i in range(1, n + 1):
            f = i / n
            p = tuple(s + (t - s) * f for s, t in zip(start, target, strict=True))
            joints = self.joints_for(p)  # type: ignore[arg-type]
            dt = (length / n) / speed_mm_s
            rate = math.dist(prev, joints) / dt * 60.0 if dt > 0 else 1.0
            lines.append(f"G1 X{num(joints[0])} Y{num(joints[1])} Z{num(joints[2])} "
                         f"F{max(1, round(rate))}")
            prev = joints
        return lines

    def _go(self, target: tuple[float, float, float], speed_mm_s: float) -> None:
        if not speed_mm_s > 0:
            raise HardwareError(f"speed must be positive, got {speed_mm_s} mm/s")
        lines = self._segments(target, speed_mm_s)  # all solved before anything is sent
        self._run(lines)
        self._pos = target
        self._at_home_pose = False

    def move_to(self, x_mm: float, y_mm: float, speed_mm_s: float) -> None:
        z = self._pos[2] if self._pos is not None else 0.0
        self._go((x_mm, y_mm, z), speed_mm_s)

    def move_along(self, points_mm: Sequence[tuple[float, float]],
                   speeds_mm_s: Sequence[float]) -> None:
        """Stream every leg's joint segments together (see the Cartesian backend); all legs
        are solved before anything is sent."""
        if len(points_mm) != len(speeds_mm_s):
            raise HardwareError("move_along needs one speed per point")
        z = self._require_pos()[2]
        start, home_pose = self._pos, self._at_home_pose
        lines: list[str] = []
        try:
            for (x, y), v in zip(points_mm, speeds_mm_s, strict=True):
                if not v > 0:
                    raise HardwareError(f"speed must be positive, got {v} mm/s")
                lines += self._segments((x, y, z), v)
                self._pos = (x, y, z)
                self._at_home_pose = False
        finally:
            self._pos, self._at_home_pose = start, home_pose
        self._run(lines)
        if points_mm:
            self._pos = (points_mm[-1][0], points_mm[-1][1], z)
            self._at_home_pose = False

    def finger_down(self, finger: int, z_mm: float) -> None:
        self._finger(finger)
        x, y, _ = self._require_pos()
        self._go((x, y, z_mm), self.options.finger.z_speed_mm_s)

    def finger_up(self, finger: int, z_mm: float) -> None:
        self._finger(finger)
        x, y, _ = self._require_pos()
        self._go((x, y, z_mm), self.options.finger.z_speed_mm_s)

    def _require_pos(self) -> tuple[float, float, float]:
        if self._pos is None:
            raise HardwareError("the delta's position is unknown", hint="home it first")
        return self._pos

    def request_position(self) -> tuple[float, float, float]:
        """Ask the controller for the joint angles and convert them to robot mm."""
        joints = self.link.work_position(self.link.request_status())
        return self.point_for((joints[0], joints[1], joints[2]))
