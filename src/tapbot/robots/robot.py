"""The robot front-end: limits, state and timing shared by every backend (DESIGN rule 6).

No target outside the configured envelope, and no finger height below the safe contact depth,
ever reaches a backend: :class:`Robot` checks every point of a touch path before the first
move. ``close()`` always leaves the fingers up and parked.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tapbot.core.clock import Clock
from tapbot.core.errors import SafetyError
from tapbot.core.geometry import PointMm
from tapbot.core.paths import TouchPath
from tapbot.core.tool import ToolGeometry
from tapbot.robots.base import RobotBackend

logger = logging.getLogger(__name__)


class Envelope(BaseModel):
    """The box the fingers may reach, in robot millimetres (inclusive bounds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x_mm: tuple[float, float] = (0.0, 200.0)
    y_mm: tuple[float, float] = (0.0, 200.0)
    z_mm: tuple[float, float] = (-5.0, 50.0)

    @model_validator(mode="after")
    def _ordered(self) -> Envelope:
        for name in ("x_mm", "y_mm", "z_mm"):
            lo, hi = getattr(self, name)
            if not lo < hi:
                raise ValueError(f"{name} must be (min, max) with min < max, got ({lo}, {hi})")
        return self

    def contains(self, x: float, y: float, z: float) -> bool:
        return (
            self.x_mm[0] <= x <= self.x_mm[1]
            and self.y_mm[0] <= y <= self.y_mm[1]
            and self.z_mm[0] <= z <= self.z_mm[1]
        )


class RobotSettings(BaseModel):
    """Front-end settings every robot shares, from the rig config's ``robot:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    envelope: Envelope = Envelope()
    park_mm: tuple[float, float] = (0.0, 0.0)
    travel_speed_mm_s: float = Field(250.0, gt=0)
    max_drag_speed_mm_s: float = Field(500.0, gt=0)
    clearance_mm: float = Field(3.0, gt=0, description="hover height above the glass")
    overtravel_mm: float = Field(
        0.0, ge=0, le=2.0, description="how far below the glass a finger may be commanded"
    )
    tool: ToolGeometry = ToolGeometry()


class Robot:
    """Front-end over one :class:`RobotBackend`: checked, stateful, timed.

    ``contact_z_mm`` (the glass height) comes from calibration; the safe contact depth is
    ``contact_z_mm - overtravel_mm``, and nothing is ever commanded below it.
    """

    def __init__(
        self,
        backend: RobotBackend,
        clock: Clock,
        settings: RobotSettings,
        contact_z_mm: float,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.settings = settings
        self.contact_z_mm = contact_z_mm
        self.clearance_z_mm = contact_z_mm + settings.clearance_mm
        self._homed = False
        self._down: set[int] = set()
        self._xy = PointMm(*settings.park_mm)
        self.check_point(PointMm(*settings.park_mm), self.clearance_z_mm, what="park position")
        self.check_point(PointMm(*settings.park_mm), self.safe_depth_z_mm, what="contact depth")

    # -- state -------------------------------------------------------------------------------
    @property
    def homed(self) -> bool:
        return self._homed

    @property
    def fingers_down(self) -> frozenset[int]:
        return frozenset(self._down)

    @property
    def position(self) -> PointMm:
        """Last commanded XY (cached; ``backend.request_position()`` asks the hardware)."""
        return self._xy

    @property
    def safe_depth_z_mm(self) -> float:
        """The lowest a finger may go: the contact depth less the overtravel, to the
        micrometre (2.13 - 2.0 is 0.1299999999999999 in floats: not below a floor of 0.13)."""
        return round(self.contact_z_mm - self.settings.overtravel_mm, 6)

    # -- safety ------------------------------------------------------------------------------
    def check_point(self, p: PointMm, z_mm: float, *, what: str = "target") -> None:
        """Raise :class:`SafetyError` unless ``p`` at height ``z_mm`` is allowed."""
        env = self.settings.envelope
        if not env.contains(p.x, p.y, z_mm):
            raise SafetyError(
                f"{what} ({p.x:.2f}, {p.y:.2f}, {z_mm:.2f}) mm lies outside the work envelope "
                f"x{env.x_mm} y{env.y_mm} z{env.z_mm}",
                hint="check the calibration and the robot envelope in the rig config",
            )
        if z_mm < self.safe_depth_z_mm - 1e-9:
            raise SafetyError(
                f"{what} height {z_mm:.2f} mm is below the safe contact depth "
                f"{self.safe_depth_z_mm:.2f} mm",
                hint="re-run calibration; never command below the glass",
            )

    def check_path(self, path: TouchPath) -> None:
        for _, p in path.points:
            self.check_point(p, self.contact_z_mm, what=f"{path.label or 'touch'} point")
        if path.finger >= self.backend.fingers:
            raise SafetyError(f"finger {path.finger} does not exist on this robot")

    # -- motion ------------------------------------------------------------------------------
    def setup(self) -> None:
        self.backend.setup()

    def home(self) -> None:
        self.lift_all()
        self.backend.home()
        self._homed = True
        self._xy = PointMm(*self.settings.park_mm)

    def move_to(self, p: PointMm, speed_mm_s: float | None = None) -> None:
        """Travel (fingers as they are) to ``p``; refused if outside the envelope."""
        z = self.contact_z_mm if self._down else self.clearance_z_mm
        self.check_point(p, z)
        self.backend.move_to(p.x, p.y, speed_mm_s or self.settings.travel_speed_mm_s)
        self._xy = p

    def finger_down(self, finger: int = 0) -> float:
        """Lower ``finger`` to the glass; returns the contact time on the rig clock."""
        self.check_point(self._xy, self.contact_z_mm, what="contact")
        self.backend.finger_down(finger, self.contact_z_mm)
        self._down.add(finger)
        return self.clock.now()

    def finger_up(self, finger: int = 0) -> float:
        """Raise ``finger`` to clearance; returns the time it left the glass."""
        t = self.clock.now()
        self.backend.finger_up(finger, self.clearance_z_mm)
        self._down.discard(finger)
        return t

    def lift_all(self) -> None:
        for finger in range(self.backend.fingers):
            self.backend.finger_up(finger, self.clearance_z_mm)
        self._down.clear()

    def lower_until(self, p: PointMm, touched: Callable[[], bool], *, z_start_mm: float,
                    z_floor_mm: float, step_mm: float = 0.05, finger: int = 0) -> float | None:
        """Probe for the glass: lower ``finger`` over ``p`` in ``step_mm`` steps from
        ``z_start_mm`` until ``touched()`` says a touch registered; returns that height, or
        ``None`` when ``z_floor_mm`` was reached first. The finger is lifted afterwards.

        This is the one motion allowed below the calibrated contact height (calibration is
        what finds it), so it is bounded by the envelope's floor and by ``z_floor_mm``.
        """
        if step_mm <= 0:
            raise SafetyError(f"probe step must be positive, got {step_mm} mm")
        env = self.settings.envelope
        floor = max(z_floor_mm, env.z_mm[0])
        if not env.contains(p.x, p.y, z_start_mm):
            raise SafetyError(f"probe start ({p.x:.2f}, {p.y:.2f}, {z_start_mm:.2f}) mm lies "
                              "outside the work envelope")
        self.lift_all()
        self.backend.move_to(p.x, p.y, self.settings.travel_speed_mm_s)
        self._xy = p
        z = z_start_mm
        found: float | None = None
        try:
            while z >= floor - 1e-9:
                self.backend.finger_down(finger, z)
                self._down.add(finger)
                if touched():
                    found = z
                    break
                z = round(z - step_mm, 6)
        finally:
            self.backend.finger_up(finger, max(z_start_mm, self.clearance_z_mm))
            self._down.discard(finger)
        return found

    def perform(self, path: TouchPath) -> tuple[float, float]:
        """Execute one touch path; returns ``(t_down, t_up)`` on the rig clock.

        The whole path is checked before anything moves. The finger travels to the first
        point at clearance, lands, follows the points at the speed their times ask (capped at
        ``max_drag_speed_mm_s``), waits out the path's duration and lifts. Consecutive moving
        legs go to the backend together (``move_along``); a stretch where the finger stays put
        is a hold, waited out on the clock.
        """
        self.check_path(path)
        self.move_to(path.start)
        try:
            t_down = self.finger_down(path.finger)
            legs: list[PointMm] = []
            speeds: list[float] = []

            def flush() -> None:
                if legs:
                    self.backend.move_along([(q.x, q.y) for q in legs], speeds)
                    self._xy = legs[-1]
                    legs.clear()
                    speeds.clear()

            prev_t, prev_p = path.points[0]
            for t_rel, p in path.points[1:]:
                dt = t_rel - prev_t
                dist = prev_p.distance_to(p)
                if dist > 1e-6:
                    legs.append(p)
                    speeds.append(min(dist / dt if dt > 0 else float("inf"),
                                      self.settings.max_drag_speed_mm_s))
                else:
                    flush()
                    self.clock.sleep((t_down + t_rel) - self.clock.now())
                prev_t, prev_p = t_rel, p
            flush()
            self.clock.sleep((t_down + path.points[-1][0]) - self.clock.now())
        finally:
            t_up = self.finger_up(path.finger)
        return t_down, t_up

    def check_pair(self, a: TouchPath, b: TouchPath) -> list[tuple[float, PointMm, PointMm]]:
        """Check a two-finger gesture before anything moves; returns its merged timeline.

        ``a`` and ``b`` are the paths of fingers 0 and 1 (in either order). Both must start and
        end together; every point must be allowed at contact height, and the fingers'
        centre-to-centre distance must stay within the tool's ``pair_separation_mm`` all along
        (between points too: both fingers move on straight lines at constant speed).
        """
        sep = self.backend.pair_separation_mm
        if self.backend.fingers < 2 or sep is None:
            raise SafetyError(f"a two-finger gesture needs a robot with two fingers; this one "
                              f"has {self.backend.fingers}",
                              hint="configure a two-finger tool (robot fingers: 2)")
        if {a.finger, b.finger} != {0, 1}:
            raise SafetyError(f"a two-finger gesture needs paths for fingers 0 and 1, got "
                              f"{a.finger} and {b.finger}")
        if a.finger == 1:
            a, b = b, a
        if (abs(a.points[0][0] - b.points[0][0]) > 1e-9
                or abs(a.points[-1][0] - b.points[-1][0]) > 1e-9):
            raise SafetyError("the two fingers' paths must start and end at the same times",
                              hint="build both paths from one two-finger stroke")
        self.check_path(a)
        self.check_path(b)
        times = sorted({t for t, _ in a.points} | {t for t, _ in b.points})
        timeline = [(t, _path_at(a, t), _path_at(b, t)) for t in times]
        lo, hi = sep
        legs = list(itertools.pairwise(timeline)) or [(timeline[0], timeline[0])]
        for (_, a0, b0), (_, a1, b1) in legs:
            d_min, d_max = _separation_range(a0, b0, a1, b1)
            if d_min < lo - 1e-9 or d_max > hi + 1e-9:
                raise SafetyError(
                    f"{a.label or 'pinch'}: the fingers would be {d_min:.1f}..{d_max:.1f} mm "
                    f"apart; this tool allows {lo:g}..{hi:g} mm",
                    hint="make the gesture wider or narrower")
        return timeline

    def perform_pair(self, a: TouchPath, b: TouchPath) -> tuple[float, float]:
        """Execute a two-finger gesture (pinch, zoom, two-finger drag) with fingers 0 and 1;
        returns ``(t_down, t_up)`` on the rig clock.

        Checked like :meth:`perform` (plus the tool's finger separation) before anything moves.
        Both fingers travel up to their first points, land together, follow their points in
        step (each leg at the speed its faster-moving finger needs, capped at
        ``max_drag_speed_mm_s``) and lift together.
        """
        timeline = self.check_pair(a, b)
        self.lift_all()
        _, a0, b0 = timeline[0]
        self.backend.move_pair_to((a0.x, a0.y), (b0.x, b0.y), self.settings.travel_speed_mm_s)
        self._xy = a0
        t_down = t_up = self.clock.now()
        try:
            self.backend.pair_down(self.contact_z_mm)
            self._down |= {0, 1}
            t_down = self.clock.now()
            prev_t, prev_a, prev_b = timeline[0]
            for t_rel, pa, pb in timeline[1:]:
                dt = t_rel - prev_t
                dist = max(prev_a.distance_to(pa), prev_b.distance_to(pb))
                if dist > 1e-6:
                    speed = min(dist / dt if dt > 0 else float("inf"),
                                self.settings.max_drag_speed_mm_s)
                    self.backend.move_pair_to((pa.x, pa.y), (pb.x, pb.y), speed)
                    self._xy = pa
                self.clock.sleep((t_down + t_rel - timeline[0][0]) - self.clock.now())
                prev_t, prev_a, prev_b = t_rel, pa, pb
        finally:
            t_up = self.clock.now()
            self.backend.pair_up(self.clearance_z_mm)
            self._down -= {0, 1}
        return t_down, t_up

    def park(self) -> None:
        self.lift_all()
        self.backend.move_to(*self.settings.park_mm, self.settings.travel_speed_mm_s)
        self._xy = PointMm(*self.settings.park_mm)

    def close(self) -> None:
        """Fingers up and parked, whatever happened; then release the backend."""
        try:
            self.park()
        except Exception:
            logger.exception("could not park the robot; lifting fingers only")
            try:
                self.lift_all()
            except Exception:
                logger.exception("could not lift the fingers")
            raise
        finally:
            self.backend.stop()


def _path_at(path: TouchPath, t: float) -> PointMm:
    """Where ``path``'s finger is at ``t`` (linear between points, held outside them)."""
    pts = path.points
    if t <= pts[0][0]:
        return pts[0][1]
    for (t0, p0), (t1, p1) in itertools.pairwise(pts):
        if t0 <= t <= t1:
            f = 0.0 if t1 <= t0 else (t - t0) / (t1 - t0)
            return PointMm(p0.x + f * (p1.x - p0.x), p0.y + f * (p1.y - p0.y))
    return pts[-1][1]


def _separation_range(a0: PointMm, b0: PointMm, a1: PointMm, b1: PointMm
                      ) -> tuple[float, float]:
    """Min and max distance of two fingers moving in step on straight lines a0->a1, b0->b1.

    The difference vector moves on a straight line, so its length is largest at an end and
    smallest at the foot of the perpendicular from the origin (if that lies within the leg).
    """
    dx0, dy0 = b0.x - a0.x, b0.y - a0.y
    dx1, dy1 = b1.x - a1.x, b1.y - a1.y
    ex, ey = dx1 - dx0, dy1 - dy0
    ends = (math.hypot(dx0, dy0), math.hypot(dx1, dy1))
    lo = min(ends)
    ee = ex * ex + ey * ey
    if ee > 0:
        u = -(dx0 * ex + dy0 * ey) / ee
        if 0 < u < 1:
            lo = min(lo, math.hypot(dx0 + u * ex, dy0 + u * ey))
    return lo, max(ends)
