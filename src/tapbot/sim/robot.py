"""The twin's robot: a gantry with one finger, trapezoidal moves on the world's virtual clock."""

from __future__ import annotations

import logging
import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tapbot.robots.base import RobotBackend
from tapbot.sim.world import SimWorld

logger = logging.getLogger(__name__)

CONTACT_SAMPLE_HZ = 120.0


def trapezoid_time(distance_mm: float, speed_mm_s: float, accel_mm_s2: float) -> float:
    """Time of a rest-to-rest move with a trapezoidal (or triangular) velocity profile."""
    d, v, a = abs(distance_mm), speed_mm_s, accel_mm_s2
    if d <= 0:
        return 0.0
    if d < v * v / a:
        return 2.0 * math.sqrt(d / a)
    return d / v + v / a


def trapezoid_distance(t: float, distance_mm: float, speed_mm_s: float,
                       accel_mm_s2: float) -> float:
    """Distance covered after ``t`` seconds of the move above (clamped to the move)."""
    d, v, a = abs(distance_mm), speed_mm_s, accel_mm_s2
    total = trapezoid_time(d, v, a)
    if t <= 0:
        return 0.0
    if t >= total:
        return d
    if d < v * v / a:  # triangular
        half = total / 2
        if t <= half:
            return 0.5 * a * t * t
        rem = total - t
        return d - 0.5 * a * rem * rem
    ta = v / a
    if t <= ta:
        return 0.5 * a * t * t
    if t <= total - ta:
        return 0.5 * a * ta * ta + v * (t - ta)
    rem = total - t
    return d - 0.5 * a * rem * rem


class SimRobotOptions(BaseModel):
    """Options of the simulated robot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_speed_mm_s: float = Field(300.0, gt=0)
    accel_mm_s2: float = Field(3000.0, gt=0)
    finger_down_s: float = Field(0.04, ge=0)
    finger_up_s: float = Field(0.04, ge=0)
    repeatability_mm: float = Field(0.05, ge=0)
    seed: int = Field(0, ge=0)
    home_mm: tuple[float, float] = (0.0, 0.0)
    start_z_mm: float = Field(10.0, description="finger height before the first move")


class SimRobot(RobotBackend):
    """A one-finger gantry over a :class:`SimWorld`; every motion advances its virtual clock."""

    fingers = 1

    def __init__(self, options: SimRobotOptions, world: SimWorld) -> None:
        self.options = options
        self.world = world
        self._rng = np.random.default_rng([options.seed, 3])
        self._x, self._y = options.home_mm
        self._z: list[float] = [options.start_z_mm] * self.fingers
        self._down: list[bool] = [False] * self.fingers
        self._ready = False

    def setup(self) -> None:
        self._ready = True

    def stop(self) -> None:
        self._ready = False

    def home(self) -> None:
        self.move_to(*self.options.home_mm, self.options.max_speed_mm_s)

    def _check_finger(self, finger: int) -> None:
        if not 0 <= finger < self.fingers:
            raise ValueError(f"finger {finger} does not exist (this robot has {self.fingers})")

    def move_to(self, x_mm: float, y_mm: float, speed_mm_s: float) -> None:
        """Move XY at up to ``speed_mm_s`` (capped at ``max_speed_mm_s``); lands with noise."""
        if not speed_mm_s > 0:
            raise ValueError(f"speed_mm_s must be > 0, got {speed_mm_s}")
        v = min(speed_mm_s, self.options.max_speed_mm_s)
        a = self.options.accel_mm_s2
        sigma = self.options.repeatability_mm
        nx, ny = (self._rng.normal(0.0, sigma, 2) if sigma > 0 else (0.0, 0.0))
        tx, ty = x_mm + float(nx), y_mm + float(ny)
        x0, y0 = self._x, self._y
        d = math.hypot(tx - x0, ty - y0)
        duration = trapezoid_time(d, v, a)
        t0 = self.world.clock.now()
        self.world.clock.sleep(duration)
        self._x, self._y = tx, ty
        for finger in range(self.fingers):
            if self._down[finger] and d > 0:
                n = math.floor(duration * CONTACT_SAMPLE_HZ)
                times = [k / CONTACT_SAMPLE_HZ for k in range(1, n + 1)]
                if not times or times[-1] < duration - 1e-12:
                    times.append(duration)
                for tau in times:
                    f = trapezoid_distance(tau, d, v, a) / d
                    self.world.finger_contact(finger, t0 + tau, x0 + f * (tx - x0),
                                              y0 + f * (ty - y0), self._z[finger], "move")

    def finger_down(self, finger: int, z_mm: float) -> None:
        """Lower ``finger`` to ``z_mm``; touches the glass at the end if it reaches it."""
        self._check_finger(finger)
        self.world.clock.sleep(self.options.finger_down_s)
        self._z[finger] = z_mm
        self._down[finger] = True
        self.world.finger_contact(finger, self.world.clock.now(), self._x, self._y, z_mm, "down")

    def finger_up(self, finger: int, z_mm: float) -> None:
        """Raise ``finger`` to ``z_mm``; the touch ends as the motion starts."""
        self._check_finger(finger)
        if self._down[finger]:
            self.world.finger_contact(finger, self.world.clock.now(), self._x, self._y,
                                      self._z[finger], "up")
        self.world.clock.sleep(self.options.finger_up_s)
        self._z[finger] = z_mm
        self._down[finger] = False

    def request_position(self) -> tuple[float, float, float]:
        return self._x, self._y, self._z[0]
