"""The twin's robot: an XY gantry carrying a one- or two-finger tool over the world's deck.

The two-finger tool is the usual pinch head: the carriage carries a rotary axis, and on it a
symmetric separation axis (one lead screw with left- and right-hand threads) that holds two
fingers, each on its own Z. Finger 0 sits at ``centre - separation/2 * (cos a, sin a)``, finger 1
at ``centre + separation/2 * (cos a, sin a)``. A one-finger tool has its finger at the centre.

What the machine gets wrong, like a real one:

* **repeatability**: each move lands with Gaussian noise (``repeatability_mm`` per axis);
* **backlash**: each of X and Y loses ``backlash_mm`` of motion when it reverses direction (a
  play operator: the load stays within ``motor +- backlash/2`` and is dragged along);
* **shear**: the gantry's axes are not square: moving Y by 1 mm also moves the tool by
  ``shear_pct/100`` mm along deck X (deck = ``(x + k*y, y)``);
* **travel limits**: a target outside ``travel_*`` is refused before any motion with a
  :class:`TravelLimitAlarm` (like a controller's soft limits); motion stays locked out until
  :meth:`SimRobot.home`.

Positions the controller reports (``request_position``) are the commanded ones, as a real
controller's machine position is; the true tip positions on the deck come from
:meth:`SimRobot.true_finger_position` and the world's tool history. Timing is exact: every move
is a coordinated rest-to-rest trapezoid on the virtual clock.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tapbot.core.errors import HardwareError
from tapbot.core.geometry import Homography
from tapbot.robots.base import RobotBackend
from tapbot.sim.mirror import mirrored
from tapbot.sim.world import SimWorld, ToolPose

logger = logging.getLogger(__name__)

CONTACT_SAMPLE_HZ = 120.0
#: Height of the carriage's underside above a finger's tip (for the camera's arm).
CARRIAGE_ABOVE_TIP_MM = 30.0


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


class TravelLimitAlarm(HardwareError):
    """The twin's controller refused a target outside its travel (soft-limit alarm)."""

    code = "TB430"


class SimRobotOptions(BaseModel):
    """Options of the simulated robot (the ``robot:`` section of a twin rig)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingers: Literal[1, 2] = Field(2, description="1: one finger; 2: the pinch tool")
    max_speed_mm_s: float = Field(300.0, gt=0)
    accel_mm_s2: float = Field(3000.0, gt=0)
    finger_down_s: float = Field(0.04, ge=0)
    finger_up_s: float = Field(0.04, ge=0)
    repeatability_mm: float = Field(0.05, ge=0, description="landing noise, sigma per axis")
    backlash_mm: float = Field(0.02, ge=0, le=2.0, description="lost motion on reversal")
    shear_pct: float = Field(0.1, ge=-5.0, le=5.0, description="gantry skew: deck x += k*y")
    seed: int = Field(0, ge=0)
    home_mm: tuple[float, float] = (0.0, 0.0)
    start_z_mm: float = Field(10.0, description="finger height before the first move")
    travel_x_mm: tuple[float, float] = (-30.0, 260.0)
    travel_y_mm: tuple[float, float] = (-30.0, 260.0)
    travel_z_mm: tuple[float, float] = (-8.0, 60.0)
    separation_mm: tuple[float, float] = Field(
        (12.0, 90.0), description="centre-to-centre range of the two fingers")
    start_separation_mm: float = Field(20.0, gt=0)
    separation_speed_mm_s: float = Field(200.0, gt=0)
    separation_accel_mm_s2: float = Field(2000.0, gt=0)
    rotation_speed_deg_s: float = Field(720.0, gt=0)
    rotation_accel_deg_s2: float = Field(7200.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> SimRobotOptions:
        for name in ("travel_x_mm", "travel_y_mm", "travel_z_mm", "separation_mm"):
            lo, hi = getattr(self, name)
            if not lo < hi:
                raise ValueError(f"{name}: must be (min, max) with min < max, got ({lo}, {hi})")
        lo, hi = self.separation_mm
        if not lo <= self.start_separation_mm <= hi:
            raise ValueError(f"start_separation_mm: {self.start_separation_mm} lies outside "
                             f"separation_mm ({lo}, {hi})")
        if lo <= 0:
            raise ValueError("separation_mm: the minimum must be > 0")
        return self


@dataclass(frozen=True, slots=True)
class _Axes:
    """The machine's state: motor (commanded) carriage XY, load XY after backlash, landing
    noise, tool angle (rad) and separation (mm), finger heights."""

    mx: float
    my: float
    lx: float
    ly: float
    nx: float
    ny: float
    angle: float
    sep: float
    z: tuple[float, ...]


def _play(load: float, motor: float, backlash: float) -> float:
    """Backlash as a play operator: the load stays within ``motor +- backlash/2``."""
    half = backlash / 2
    return min(max(load, motor - half), motor + half)


@dataclass(frozen=True, slots=True)
class _Motion:
    """One coordinated move (or a Z move) of the tool, for the world's history."""

    t_start: float
    t_end: float
    a: _Axes
    b: _Axes
    profile: tuple[float, float, float] | None  # (distance, speed, accel) of the leading axis
    robot: SimRobot

    def fraction(self, t: float) -> float:
        tau = t - self.t_start
        if tau <= 0:
            return 0.0
        if tau >= self.t_end - self.t_start:
            return 1.0
        if self.profile is None:  # linear (Z moves)
            return tau / (self.t_end - self.t_start)
        d, v, acc = self.profile
        return trapezoid_distance(tau, d, v, acc) / d

    def axes_at(self, t: float) -> _Axes:
        f = self.fraction(t)
        if f >= 1.0:
            return self.b
        return _Axes(*self._between(f))

    def _between(self, f: float) -> tuple[float, float, float, float, float, float, float,
                                          float, tuple[float, ...]]:
        """The fields of :class:`_Axes` a fraction ``f`` (< 1) of the way."""
        a, b, bl = self.a, self.b, self.robot.options.backlash_mm
        mx, my = a.mx + f * (b.mx - a.mx), a.my + f * (b.my - a.my)
        return (mx, my, _play(a.lx, mx, bl), _play(a.ly, my, bl),
                a.nx + f * (b.nx - a.nx), a.ny + f * (b.ny - a.ny),
                a.angle + f * (b.angle - a.angle), a.sep + f * (b.sep - a.sep),
                tuple(za + f * (zb - za) for za, zb in zip(a.z, b.z, strict=True)))

    def pose_at(self, t: float) -> ToolPose:
        f = self.fraction(t)
        if f >= 1.0:
            return self.robot._pose(self.b)
        # (the camera asks for several poses of every frame while the tool moves: no _Axes)
        _, _, lx, ly, nx, ny, angle, sep, z = self._between(f)
        return self.robot._tool_pose(lx + nx, ly + ny, angle, sep, z)


class SimRobot(RobotBackend):
    """The twin's gantry over a :class:`SimWorld`; every motion advances its virtual clock."""

    def __init__(self, options: SimRobotOptions, world: SimWorld) -> None:
        self.options = options
        self.world = world
        self.fingers = options.fingers
        self.pair_separation_mm = options.separation_mm if options.fingers == 2 else None
        self._rng = np.random.default_rng([options.seed, 3])
        self._k = options.shear_pct / 100.0
        angle, sep = 0.0, options.start_separation_mm
        ox, oy = self._offset(0, angle, sep)
        cx, cy = options.home_mm[0] - ox, options.home_mm[1] - oy
        self._axes = _Axes(cx, cy, cx, cy, 0.0, 0.0, angle, sep,
                           (options.start_z_mm,) * self.fingers)
        self._down: list[bool] = [False] * self.fingers
        self._alarm: str | None = None
        self._ready = False
        world.tool_rests(world.clock.now(), self._pose(self._axes))
        world.mirror.register("robot", self)

    # ------------------------------------------------------------------ kinematics

    def _offset(self, finger: int, angle: float, sep: float) -> tuple[float, float]:
        """A finger's offset from the carriage centre (machine mm)."""
        if self.fingers == 1:
            return 0.0, 0.0
        s = (-0.5 if finger == 0 else 0.5) * sep
        return s * math.cos(angle), s * math.sin(angle)

    def _deck(self, x: float, y: float) -> tuple[float, float]:
        """Machine XY -> deck XY (the gantry's shear)."""
        return x + self._k * y, y

    def _pose(self, ax: _Axes) -> ToolPose:
        return self._tool_pose(ax.lx + ax.nx, ax.ly + ax.ny, ax.angle, ax.sep, ax.z)

    def _tool_pose(self, cx: float, cy: float, angle: float, sep: float,
                   z: tuple[float, ...]) -> ToolPose:
        """The tool's pose with the carriage (load plus landing noise) at machine (cx, cy):
        the same arithmetic as :meth:`_offset` and :meth:`_deck`, its cosine and sine taken
        once."""
        k = self._k
        if self.fingers == 1:
            offsets = [(0.0, 0.0)]
        else:
            c, s = math.cos(angle), math.sin(angle)
            h0, h1 = -0.5 * sep, 0.5 * sep
            offsets = [(h0 * c, h0 * s), (h1 * c, h1 * s)]
        tips = []
        for (ox, oy), zi in zip(offsets, z, strict=True):
            x, y = cx + ox, cy + oy
            tips.append((x + k * y, y, zi))
        carriage_z = max(z) + CARRIAGE_ABOVE_TIP_MM
        return ToolPose(tuple(tips), (cx + k * cy, cy, carriage_z))

    def true_machine_to_deck(self) -> Homography:
        """The gantry's true map from commanded (machine) XY to deck XY: its shear. A twin
        calibration that maps screen px to robot mm is ``deck_to_machine`` after the world's
        screen-to-deck map (backlash and noise aside)."""
        return Homography(np.array([[1.0, self._k, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))

    def true_finger_position(self, finger: int = 0) -> tuple[float, float, float]:
        """Where the finger's tip really is on the deck (x, y, z mm): for tests and truth."""
        self._check_finger(finger)
        return self._pose(self._axes).fingers[finger]

    # ------------------------------------------------------------------ checks

    def _check_finger(self, finger: int) -> None:
        if not 0 <= finger < self.fingers:
            raise ValueError(f"finger {finger} does not exist (this robot has {self.fingers})")

    def _check_motion(self) -> None:
        if self._alarm is not None:
            raise TravelLimitAlarm(f"the twin robot is in alarm ({self._alarm}); motion is "
                                   "locked out", hint="home the robot to clear the alarm")

    def _check_travel(self, cx: float, cy: float, zs: tuple[float, ...], sep: float) -> None:
        o = self.options
        bad = []
        if not o.travel_x_mm[0] <= cx <= o.travel_x_mm[1]:
            bad.append(f"carriage x {cx:.2f} mm outside {o.travel_x_mm}")
        if not o.travel_y_mm[0] <= cy <= o.travel_y_mm[1]:
            bad.append(f"carriage y {cy:.2f} mm outside {o.travel_y_mm}")
        for i, z in enumerate(zs):
            if not o.travel_z_mm[0] <= z <= o.travel_z_mm[1]:
                bad.append(f"finger {i} z {z:.2f} mm outside {o.travel_z_mm}")
        if self.fingers == 2 and not o.separation_mm[0] - 1e-9 <= sep <= o.separation_mm[1] + 1e-9:
            bad.append(f"separation {sep:.2f} mm outside {o.separation_mm}")
        if bad:
            self._alarm = "soft limit: " + "; ".join(bad)
            logger.warning("twin robot alarm: %s", self._alarm)
            raise TravelLimitAlarm(f"target refused, {self._alarm}",
                                   hint="keep targets inside the robot's travel; home to clear")

    # ------------------------------------------------------------------ motion core

    def _move(self, cx: float, cy: float, angle: float, sep: float, speed_mm_s: float) -> None:
        """Coordinated move of carriage, angle and separation to the commanded targets."""
        if not speed_mm_s > 0:
            raise ValueError(f"speed_mm_s must be > 0, got {speed_mm_s}")
        self._check_motion()
        a = self._axes
        self._check_travel(cx, cy, a.z, sep)
        o = self.options
        # the move time of each axis; the slowest sets the pace, all axes move in proportion
        tip_d = max(math.hypot((cx + self._offset(i, angle, sep)[0])
                               - (a.mx + self._offset(i, a.angle, a.sep)[0]),
                               (cy + self._offset(i, angle, sep)[1])
                               - (a.my + self._offset(i, a.angle, a.sep)[1]))
                    for i in range(self.fingers))
        legs = [(tip_d, min(speed_mm_s, o.max_speed_mm_s), o.accel_mm_s2),
                (math.hypot(cx - a.mx, cy - a.my), o.max_speed_mm_s, o.accel_mm_s2)]
        if self.fingers == 2:
            legs.append((abs(sep - a.sep), o.separation_speed_mm_s, o.separation_accel_mm_s2))
            legs.append((abs(math.degrees(angle - a.angle)), o.rotation_speed_deg_s,
                         o.rotation_accel_deg_s2))
        lead = max(legs, key=lambda leg: trapezoid_time(*leg))
        duration = trapezoid_time(*lead)
        sigma = o.repeatability_mm
        nx, ny = (self._rng.normal(0.0, sigma, 2) if sigma > 0 else (0.0, 0.0))
        bl = o.backlash_mm
        end = _Axes(cx, cy, _play(a.lx, cx, bl), _play(a.ly, cy, bl), float(nx), float(ny),
                    angle, sep, a.z)
        t0 = self.world.clock.now()
        motion = _Motion(t0, t0 + duration, a, end, lead if lead[0] > 0 else None, self)
        self.world.tool_motion(motion)
        self.world.clock.sleep(duration)
        self._axes = end
        if duration <= 0 or not any(self._down):
            return
        n = math.floor(duration * CONTACT_SAMPLE_HZ)
        times = [k / CONTACT_SAMPLE_HZ for k in range(1, n + 1)]
        if not times or times[-1] < duration - 1e-12:
            times.append(duration)
        for tau in times:
            pose = motion.pose_at(t0 + tau)
            for finger in range(self.fingers):
                if self._down[finger]:
                    x, y, z = pose.fingers[finger]
                    self.world.finger_contact(finger, t0 + tau, x, y, z, "move")

    def _move_z(self, fingers: tuple[int, ...], z_mm: float, duration: float) -> None:
        a = self._axes
        zs = tuple(z_mm if i in fingers else z for i, z in enumerate(a.z))
        self._check_travel(a.mx, a.my, zs, a.sep)
        t0 = self.world.clock.now()
        end = _Axes(a.mx, a.my, a.lx, a.ly, a.nx, a.ny, a.angle, a.sep, zs)
        self.world.tool_motion(_Motion(t0, t0 + duration, a, end, None, self))
        self.world.clock.sleep(duration)
        self._axes = end

    def _lower(self, fingers: tuple[int, ...], z_mm: float) -> None:
        for f in fingers:
            self._check_finger(f)
        self._move_z(fingers, z_mm, self.options.finger_down_s)
        t = self.world.clock.now()
        pose = self._pose(self._axes)
        for f in fingers:
            self._down[f] = True
            x, y, z = pose.fingers[f]
            self.world.finger_contact(f, t, x, y, z, "down")

    def _raise(self, fingers: tuple[int, ...], z_mm: float) -> None:
        for f in fingers:
            self._check_finger(f)
        t = self.world.clock.now()
        pose = self._pose(self._axes)
        for f in fingers:
            if self._down[f]:
                x, y, z = pose.fingers[f]
                self.world.finger_contact(f, t, x, y, z, "up")
            self._down[f] = False
        self._move_z(fingers, z_mm, self.options.finger_up_s)

    # ------------------------------------------------------------------ RobotBackend

    @mirrored
    def setup(self) -> None:
        self._ready = True

    @mirrored
    def stop(self) -> None:
        self._ready = False

    @mirrored
    def home(self) -> None:
        """Clear any alarm and bring finger 0 to ``home_mm``."""
        if self._alarm is not None:
            logger.info("twin robot alarm cleared by homing")
        self._alarm = None
        self.move_to(*self.options.home_mm, self.options.max_speed_mm_s)

    @mirrored
    def move_to(self, x_mm: float, y_mm: float, speed_mm_s: float) -> None:
        """Move finger 0 to (x, y) at up to ``speed_mm_s`` (capped at ``max_speed_mm_s``); the
        tool keeps its angle and separation, the fingers their heights."""
        a = self._axes
        ox, oy = self._offset(0, a.angle, a.sep)
        self._move(x_mm - ox, y_mm - oy, a.angle, a.sep, speed_mm_s)

    @mirrored
    def finger_down(self, finger: int, z_mm: float) -> None:
        """Lower ``finger`` to ``z_mm``; touches the glass at the end if it reaches it."""
        self._check_motion()
        self._lower((finger,), z_mm)

    @mirrored
    def finger_up(self, finger: int, z_mm: float) -> None:
        """Raise ``finger`` to ``z_mm``; the touch ends as the motion starts."""
        self._raise((finger,), z_mm)

    def request_position(self) -> tuple[float, float, float]:
        """The controller's (commanded) position of finger 0: x, y, z in robot mm."""
        a = self._axes
        ox, oy = self._offset(0, a.angle, a.sep)
        return a.mx + ox, a.my + oy, a.z[0]

    @mirrored
    def move_pair_to(self, a_mm: tuple[float, float], b_mm: tuple[float, float],
                     speed_mm_s: float) -> None:
        """Finger 0 to ``a_mm``, finger 1 to ``b_mm``: carriage to the midpoint, the rotary
        axis to their direction, the separation axis to their distance, in one move."""
        if self.fingers < 2:
            super().move_pair_to(a_mm, b_mm, speed_mm_s)
        dx, dy = b_mm[0] - a_mm[0], b_mm[1] - a_mm[1]
        sep = math.hypot(dx, dy)
        angle = math.atan2(dy, dx) if sep > 0 else self._axes.angle
        # keep the rotary axis continuous (no spin the long way round)
        cur = self._axes.angle
        angle = cur + (angle - cur + math.pi) % (2 * math.pi) - math.pi
        self._move((a_mm[0] + b_mm[0]) / 2, (a_mm[1] + b_mm[1]) / 2, angle, sep, speed_mm_s)

    @mirrored
    def pair_down(self, z_mm: float) -> None:
        """Lower both fingers together; both touch at the same instant if they reach glass."""
        if self.fingers < 2:
            super().pair_down(z_mm)
        self._check_motion()
        self._lower((0, 1), z_mm)

    @mirrored
    def pair_up(self, z_mm: float) -> None:
        """Raise both fingers together."""
        if self.fingers < 2:
            super().pair_up(z_mm)
        self._raise((0, 1), z_mm)
