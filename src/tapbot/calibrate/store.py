"""Where calibrations live: ``calibrations/<rig>/<device>.json`` (versioned JSON)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tapbot.core.calibration import Calibration
from tapbot.rig.registry import CALIBRATION_TYPES, BuildContext

logger = logging.getLogger(__name__)

__all__ = ["UNCALIBRATED", "calibration_path", "save_calibration"]

DEFAULT_ROOT = Path("calibrations")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "unnamed"


def calibration_path(rig: str, device: str, root: Path = DEFAULT_ROOT) -> Path:
    """The file a calibration of ``device`` on ``rig`` is saved to."""
    return root / _safe(rig) / f"{_safe(device)}.json"


def save_calibration(cal: Calibration, path: Path | None = None,
                     root: Path = DEFAULT_ROOT) -> Path:
    """Save ``cal`` (to its default path under ``root`` unless ``path`` is given)."""
    out = path or calibration_path(cal.rig, cal.device, root)
    cal.save(out)
    logger.info("saved calibration to %s", out)
    return out


def _uncalibrated(options: dict[str, Any], ctx: BuildContext, section: tuple[str | int, ...],
                  camera: Any) -> Calibration:
    """A placeholder while calibrating: no maps yet (calibration measures them).

    Its ``source`` is ``placeholder``: nothing may run flows on a rig built with it.
    """
    ctx.validate(_NoOptions, options, section)
    return Calibration(rig="uncalibrated", device="uncalibrated", source="placeholder",
                       screen_to_robot=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                       camera_to_screen=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                       contact_z_mm=0.0, clearance_z_mm=3.0)


class _NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: ``build_rig(..., overrides={"calibration": UNCALIBRATED})`` builds a rig to calibrate.
UNCALIBRATED: dict[str, Any] = {"type": "uncalibrated"}
CALIBRATION_TYPES.setdefault("uncalibrated", _uncalibrated)
