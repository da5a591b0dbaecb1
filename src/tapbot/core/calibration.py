"""The result of calibration: plain geometry between screen px, robot mm and camera px."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tapbot.core.errors import CalibrationError
from tapbot.core.geometry import Homography, PointMm, PointPx

CALIBRATION_VERSION = 1


class Calibration(BaseModel):
    """Maps for one device on one rig.

    ``screen_to_robot`` maps device screen px to robot deck mm (XY); ``camera_to_screen`` maps
    camera px to device screen px. ``contact_z_mm`` is the finger height that touches the glass,
    ``clearance_z_mm`` the height the finger hovers at. ``residual_mm`` is the fit's RMS residual
    (0 for a calibration taken from the twin's known geometry).
    """

    model_config = ConfigDict(frozen=True)

    version: int = CALIBRATION_VERSION
    rig: str = "twin"
    device: str = "phone"
    screen_to_robot: list[list[float]]
    camera_to_screen: list[list[float]]
    contact_z_mm: float
    clearance_z_mm: float
    residual_mm: float = 0.0
    source: str = Field("measured", description="'measured' or 'twin-truth'")

    @property
    def screen_to_robot_h(self) -> Homography:
        return Homography.from_list(self.screen_to_robot)

    @property
    def camera_to_screen_h(self) -> Homography:
        return Homography.from_list(self.camera_to_screen)

    def screen_to_robot_mm(self, p: PointPx) -> PointMm:
        x, y = self.screen_to_robot_h.apply_point(p.x, p.y)
        return PointMm(x, y)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise CalibrationError(
                f"{path}: no calibration file", hint="run 'tapbot calibrate' to make one"
            ) from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise CalibrationError(
                f"{path}: unreadable calibration ({exc})", hint="run 'tapbot calibrate' again"
            ) from exc
        if not isinstance(raw, dict) or raw.get("version") != CALIBRATION_VERSION:
            found = raw.get("version") if isinstance(raw, dict) else "?"
            raise CalibrationError(
                f"{path}: calibration version {found} is not {CALIBRATION_VERSION}",
                hint="run 'tapbot calibrate' again",
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise CalibrationError(
                f"{path}: field '{field}': {first['msg']}", hint="run 'tapbot calibrate' again"
            ) from exc
