"""The robot's tool as the camera sees it from above: its parts and their sizes, in robot mm.

One description for every layer that needs it: the robot's settings carry it (the rig's
``robot: {tool: ...}``), and the masks that hide the tool from the detectors draw it.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class ToolGeometry(BaseModel):
    """The tool as the camera sees it from above, in robot mm from finger 0's tip: what the
    runner masks so the tool is never taken for the phone's answer. The defaults are the usual
    pinch head at rest (the twin's): fingertips (with their shadow) of ``finger_radius_mm``,
    finger 1 ``second_finger_mm`` from finger 0 (ignored on a one-finger robot), arms
    ``arm_width_mm`` wide up to a ``carriage_size_mm`` carriage centred ``carriage_offset_mm``
    from the tips and ``carriage_z_mm`` above the glass, every part widened by ``margin_mm``.
    Measure your tool and set it in the rig's ``robot: {tool: ...}``.

    The robot front-end keeps it as a setting; the runner's masks draw it (through
    :meth:`parts_mm`); both read this one description."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    finger_radius_mm: float = Field(6.0, gt=0)
    second_finger_mm: tuple[float, float] | None = (20.0, 0.0)
    arm_width_mm: float = Field(5.0, gt=0)
    carriage_size_mm: tuple[float, float] = (40.0, 24.0)
    carriage_offset_mm: tuple[float, float] = (0.0, 30.0)
    carriage_z_mm: float = Field(35.0, ge=0)
    margin_mm: float = Field(2.0, ge=0)
    camera_height_mm: float = Field(
        300.0, gt=0, description="the lowest the camera's lens may be above the glass "
                                 "(how far parallax pushes the carriage out)")

    @model_validator(mode="after")
    def _check(self) -> ToolGeometry:
        if min(self.carriage_size_mm) <= 0:
            raise ValueError("carriage_size_mm: both sides must be > 0 mm")
        return self

    def with_fingers(self, fingers: int) -> ToolGeometry:
        """This tool on a robot with ``fingers`` fingers (finger 1 dropped on a one-finger
        robot)."""
        if fingers >= 2 or self.second_finger_mm is None:
            return self
        return self.model_copy(update={"second_finger_mm": None})

    def parts_mm(self, tip_mm: tuple[float, float]) -> list[tuple[np.ndarray, float]]:
        """The tool's parts with finger 0's tip at ``tip_mm`` (robot mm): (N x 2 robot-mm
        polygon, height above the glass in mm), fingers first, then arms, then the carriage;
        always the same parts in the same order."""
        f0 = np.asarray(tip_mm, dtype=np.float64)
        tips = [f0] if self.second_finger_mm is None else \
            [f0, f0 + np.asarray(self.second_finger_mm, dtype=np.float64)]
        m = self.margin_mm
        ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        ring = np.c_[np.cos(ang), np.sin(ang)] * (self.finger_radius_mm + m)
        parts: list[tuple[np.ndarray, float]] = [(tip + ring, 0.0) for tip in tips]
        off = np.asarray(self.carriage_offset_mm, dtype=np.float64)
        centre = np.mean(tips, axis=0) + off
        w, h = self.carriage_size_mm
        norm = float(np.hypot(*off))
        d = off / norm if norm > 0 else np.array([0.0, 1.0])  # from the tips to the carriage
        side = np.array([-d[1], d[0]])
        near = centre - d * (h / 2)  # the carriage's edge facing the tips
        a = self.arm_width_mm / 2 + m
        for tip in tips:
            reach = float((near - tip) @ d)
            if reach > 0:
                parts.append((np.array([tip - side * a, tip + side * a,
                                        tip + side * a + d * reach,
                                        tip - side * a + d * reach]), self.carriage_z_mm))
        hw, hh = w / 2 + m, h / 2 + m
        parts.append((np.array([centre - side * hw - d * hh, centre + side * hw - d * hh,
                                centre + side * hw + d * hh, centre - side * hw + d * hh]),
                      self.carriage_z_mm))
        return parts
