"""Rotary delta robot kinematics (three arms on motors 120 degrees apart, Tapster style).

Geometry from config; angles in degrees, positions in mm in the delta's own frame (origin
at the centre of the base plate, z up, so the effector works at negative z). Forward
kinematics gives the effector position from the three arm angles, inverse kinematics the
angles for a position; a target no arm can reach is refused with :class:`SafetyError`.
The maths follows the classic closed-form solution of the three-sphere intersection.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tapbot.core.errors import SafetyError

_SQRT3 = math.sqrt(3.0)
_SIN120 = _SQRT3 / 2.0
_COS120 = -0.5
_TAN30 = 1.0 / _SQRT3


class DeltaGeometry(BaseModel):
    """Arm lengths and plate radii of a rotary delta, plus the joint limits.

    ``base_radius_mm``: centre of the base to a motor axis; ``effector_radius_mm``: centre of
    the effector to a lower-arm joint; ``upper_arm_mm``: motor axis to elbow;
    ``lower_arm_mm``: elbow to effector joint (the parallelogram rods).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_radius_mm: float = Field(gt=0)
    effector_radius_mm: float = Field(gt=0)
    upper_arm_mm: float = Field(gt=0)
    lower_arm_mm: float = Field(gt=0)
    min_angle_deg: float = -80.0
    max_angle_deg: float = 90.0

    @model_validator(mode="after")
    def _limits(self) -> DeltaGeometry:
        if not self.min_angle_deg < self.max_angle_deg:
            raise ValueError("min_angle_deg must be below max_angle_deg")
        return self

    # The classic solution is written for the plate sides: side = 2 * sqrt(3) * radius.
    @property
    def _f(self) -> float:
        return 2.0 * _SQRT3 * self.base_radius_mm

    @property
    def _e(self) -> float:
        return 2.0 * _SQRT3 * self.effector_radius_mm

    def forward(self, angles_deg: tuple[float, float, float]) -> tuple[float, float, float]:
        """Effector position (x, y, z) mm for arm angles in degrees (0 = arm horizontal)."""
        rf, re = self.upper_arm_mm, self.lower_arm_mm
        t = (self._f - self._e) * _TAN30 / 2.0
        th1, th2, th3 = (math.radians(a) for a in angles_deg)
        y1 = -(t + rf * math.cos(th1))
        z1 = -rf * math.sin(th1)
        y2 = (t + rf * math.cos(th2)) * 0.5
        x2 = y2 * _SQRT3
        z2 = -rf * math.sin(th2)
        y3 = (t + rf * math.cos(th3)) * 0.5
        x3 = -y3 * _SQRT3
        z3 = -rf * math.sin(th3)
        dnm = (y2 - y1) * x3 - (y3 - y1) * x2
        w1 = y1 * y1 + z1 * z1
        w2 = x2 * x2 + y2 * y2 + z2 * z2
        w3 = x3 * x3 + y3 * y3 + z3 * z3
        a1 = (z2 - z1) * (y3 - y1) - (z3 - z1) * (y2 - y1)
        b1 = -((w2 - w1) * (y3 - y1) - (w3 - w1) * (y2 - y1)) / 2.0
        a2 = -(z2 - z1) * x3 + (z3 - z1) * x2
        b2 = ((w2 - w1) * x3 - (w3 - w1) * x2) / 2.0
        a = a1 * a1 + a2 * a2 + dnm * dnm
        b = 2.0 * (a1 * b1 + a2 * (b2 - y1 * dnm) - z1 * dnm * dnm)
        c = (b2 - y1 * dnm) ** 2 + b1 * b1 + dnm * dnm * (z1 * z1 - re * re)
        d = b * b - 4.0 * a * c
        if d < 0 or dnm == 0:
            raise SafetyError(f"arm angles {angles_deg} give no effector position",
                              hint="check the delta geometry in the rig config")
        z0 = -0.5 * (b + math.sqrt(d)) / a
        return ((a1 * z0 + b1) / dnm, (a2 * z0 + b2) / dnm, z0)

    def _angle_yz(self, x0: float, y0: float, z0: float) -> float | None:
        rf, re = self.upper_arm_mm, self.lower_arm_mm
        y1 = -0.5 * _TAN30 * self._f
        y0 -= 0.5 * _TAN30 * self._e
        if z0 == 0:
            return None
        a = (x0 * x0 + y0 * y0 + z0 * z0 + rf * rf - re * re - y1 * y1) / (2.0 * z0)
        b = (y1 - y0) / z0
        d = -(a + b * y1) ** 2 + rf * (b * b * rf + rf)
        if d < 0:
            return None
        yj = (y1 - a * b - math.sqrt(d)) / (b * b + 1.0)
        zj = a + b * yj
        angle = math.degrees(math.atan2(-zj, y1 - yj))
        return angle

    def inverse(self, p: tuple[float, float, float]) -> tuple[float, float, float]:
        """Arm angles in degrees for effector position ``p``; refuses unreachable targets."""
        x, y, z = p
        angles = (
            self._angle_yz(x, y, z),
            self._angle_yz(x * _COS120 + y * _SIN120, y * _COS120 - x * _SIN120, z),
            self._angle_yz(x * _COS120 - y * _SIN120, y * _COS120 + x * _SIN120, z),
        )
        if any(a is None for a in angles):
            raise SafetyError(f"delta target ({x:.2f}, {y:.2f}, {z:.2f}) mm is out of reach",
                              hint="move the phone closer to the centre or lower the deck")
        result = (float(angles[0]), float(angles[1]), float(angles[2]))  # type: ignore[arg-type]
        for a in result:
            if not self.min_angle_deg <= a <= self.max_angle_deg:
                raise SafetyError(
                    f"delta target ({x:.2f}, {y:.2f}, {z:.2f}) mm needs an arm angle of "
                    f"{a:.1f} deg, outside {self.min_angle_deg:g}..{self.max_angle_deg:g}",
                    hint="move the phone closer to the centre or adjust the joint limits")
        return result
