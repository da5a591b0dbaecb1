"""The result of calibration: plain geometry between screen px, robot mm and camera px."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tapbot.core.errors import CalibrationError
from tapbot.core.geometry import Homography, PointMm, PointPx

CALIBRATION_VERSION = 2  # 2: glass plane, probe points, created time, profile fingerprint


def profile_fingerprint(profile: BaseModel) -> str:
    """A short stable fingerprint of a device profile (screen size, mm, buttons...)."""
    return hashlib.sha256(profile.model_dump_json().encode()).hexdigest()[:16]


def _rows(matrix: list[list[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(row) for row in matrix)


@functools.lru_cache(maxsize=64)
def _homography(rows: tuple[tuple[float, ...], ...]) -> Homography:
    """The homography of a calibration's matrix, made once per matrix (a run maps every touch
    and tool outline through it; a homography is read-only)."""
    return Homography.from_list(rows)


class ProbePoint(BaseModel):
    """One probe touch: where the robot was sent, where the phone saw it, the glass height.

    ``residual_mm`` is the distance between ``robot_mm`` and the fitted map's image of
    ``screen_px``; ``inlier`` is false for a point the fit rejected as an outlier.
    """

    model_config = ConfigDict(frozen=True)

    screen_px: tuple[float, float]
    robot_mm: tuple[float, float]
    z_mm: float
    residual_mm: float = 0.0
    inlier: bool = True


class Calibration(BaseModel):
    """Maps for one device on one rig.

    ``screen_to_robot`` maps device screen px to robot deck mm (XY); ``camera_to_screen`` maps
    camera px to device screen px. ``contact_z_mm`` is the finger height that touches the glass,
    ``clearance_z_mm`` the height the finger hovers at. ``residual_mm`` is the fit's RMS residual
    over the inlier probe points (0 for a calibration taken from the twin's known geometry) and
    ``max_residual_mm`` the worst one; ``points`` holds every probe with its own residual.
    ``created_at``, ``rig``, ``device`` and ``profile`` let a run refuse a stale calibration
    (see ``tapbot.calibrate.check_fresh``).
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
    max_residual_mm: float = 0.0
    model: str = Field("affine", description="'affine' or 'homography' (screen -> robot)")
    glass_plane: tuple[float, float, float] | None = Field(
        None, description="glass height z = a * x_mm + b * y_mm + c (robot mm)")
    points: list[ProbePoint] = Field(default_factory=list)
    created_at: float | None = Field(None, description="wall time (s since the epoch)")
    profile: str | None = Field(None, description="fingerprint of the device profile")
    camera_method: str | None = Field(
        None, description="how camera -> screen was found: markers, pattern, screenshot, quad")
    camera_distortion: tuple[float, float, float] | None = Field(
        None, description="radial lens distortion (kappa 1/px^2, cx, cy); camera_to_screen then "
        "maps undistorted camera px")

    @property
    def screen_to_robot_h(self) -> Homography:
        return _homography(_rows(self.screen_to_robot))

    @property
    def camera_to_screen_h(self) -> Homography:
        return _homography(_rows(self.camera_to_screen))

    def screen_to_robot_mm(self, p: PointPx) -> PointMm:
        x, y = self.screen_to_robot_h.apply_point(p.x, p.y)
        return PointMm(x, y)

    def glass_z_mm(self, p: PointMm) -> float:
        """The glass height under robot point ``p`` (``contact_z_mm`` without a plane)."""
        if self.glass_plane is None:
            return self.contact_z_mm
        a, b, c = self.glass_plane
        return a * p.x + b * p.y + c

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

    def check_fresh(self, *, rig: str, device: str, profile: str | None, now: float,
                    max_age_s: float | None, where: str = "calibration") -> None:
        """Refuse a calibration made for another rig, device or profile, or older than
        ``max_age_s`` (wall seconds; ``None``: no age limit). The twin's truth and the
        placeholder a rig is built with while calibrating always pass.
        """
        if self.source in ("twin-truth", "placeholder"):
            return
        how = f"run 'tapbot calibrate --rig <rig file>' to make a new one for rig '{rig}'"
        if self.rig != rig:
            raise CalibrationError(f"{where}: made for rig '{self.rig}', this is '{rig}'",
                                   hint=how)
        if self.device != device:
            raise CalibrationError(
                f"{where}: made for device '{self.device}', this rig has '{device}'", hint=how)
        if profile is not None and self.profile is not None and self.profile != profile:
            raise CalibrationError(
                f"{where}: made for another profile of device '{device}' (screen size or "
                "buttons changed)", hint=how)
        if max_age_s is not None:
            if self.created_at is None:
                raise CalibrationError(f"{where}: has no creation time", hint=how)
            age = now - self.created_at
            if age > max_age_s:
                raise CalibrationError(
                    f"{where}: is {age / 86400:.1f} days old, older than the limit of "
                    f"{max_age_s / 86400:.1f} days", hint=how)
