"""A rig: one robot, one camera, one device and their calibration, built from config."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tapbot.cameras.base import Camera
from tapbot.core.calibration import Calibration, profile_fingerprint
from tapbot.core.clock import Clock, MonotonicClock, wall_time
from tapbot.devices.link import DeviceLink
from tapbot.devices.profile import DeviceProfile
from tapbot.rig import (
    real_backends,  # noqa: F401  (registers the real hardware types)
    sim_backends,  # noqa: F401  (registers the twin's types)
)
from tapbot.rig.config import RigConfig, load_rig_config
from tapbot.rig.registry import (
    CALIBRATION_TYPES,
    CAMERA_TYPES,
    DEVICE_TYPES,
    ROBOT_TYPES,
    BuildContext,
    lookup,
)
from tapbot.robots.robot import Robot, RobotSettings

logger = logging.getLogger(__name__)


@dataclass
class Rig:
    """One test station, ready to run flows.

    ``truth`` is the twin's ground truth (``None`` on real hardware). Only scoring tools and
    tests may read it (DESIGN rule 7); the runner and the monitors never do.
    """

    name: str
    clock: Clock
    robot: Robot
    camera: Camera
    device: DeviceProfile
    link: DeviceLink | None
    calibration: Calibration
    config: RigConfig
    truth: Any = None

    def open(self) -> None:
        """Connect everything and home the robot."""
        self.camera.setup()
        self.robot.setup()
        self.robot.home()

    def close(self) -> None:
        """Fingers up and parked, camera released, whatever happened before."""
        try:
            self.robot.close()
        finally:
            self.camera.stop()


class FileCalibrationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path
    max_age_days: float | None = 30.0


def file_calibration(options: dict[str, Any], ctx: BuildContext,
                     section: tuple[str | int, ...], camera: Camera) -> Calibration:
    """A calibration saved by ``tapbot calibrate`` (a path relative to the rig file)."""
    opts = ctx.validate(FileCalibrationOptions, options, section)
    path = opts.path if opts.path.is_absolute() else ctx.base_dir / opts.path
    ctx.shared["calibration_check"] = (str(path), opts.max_age_days)
    return Calibration.load(path)


CALIBRATION_TYPES["file"] = file_calibration


def build_rig(path: Path | None = None, *, seed: int | None = None,
              overrides: dict[str, dict[str, Any]] | None = None) -> Rig:
    """Build a rig from a YAML file (``None``: the twin with defaults).

    ``overrides`` merges extra options into sections (``{"device": {...}, "camera": {...}}``),
    which is how the CLI's flags reach the twin without a file.
    """
    config, doc = load_rig_config(path)
    overrides = overrides or {}
    ctx = BuildContext(doc=doc, base_dir=path.parent if path else Path.cwd(),
                       seed=config.seed if seed is None else seed)

    device_section = config.devices[0]
    dev_opts = {**device_section.options(), **overrides.get("device", {})}
    dev_opts.pop("name", None)
    handle = lookup(DEVICE_TYPES, device_section.type, ("devices", 0), ctx)(
        dev_opts, ctx, ("devices", 0))

    cam_opts = {**config.camera.options(), **overrides.get("camera", {})}
    camera = lookup(CAMERA_TYPES, config.camera.type, ("camera",), ctx)(
        cam_opts, ctx, ("camera",))

    robot_opts = {**config.robot.options(), **overrides.get("robot", {})}
    settings_keys = set(RobotSettings.model_fields)
    settings = ctx.validate(
        RobotSettings, {k: v for k, v in robot_opts.items() if k in settings_keys}, ("robot",))
    backend = lookup(ROBOT_TYPES, config.robot.type, ("robot",), ctx)(
        {k: v for k, v in robot_opts.items() if k not in settings_keys}, ctx, ("robot",))

    cal_section = dict(overrides.get("calibration") or config.calibration.model_dump())
    calibration = lookup(CALIBRATION_TYPES, cal_section.pop("type"), ("calibration",), ctx)(
        cal_section, ctx, ("calibration",), camera)
    where, max_age_days = ctx.shared.get("calibration_check", ("calibration", None))
    calibration.check_fresh(rig=config.name, device=handle.profile.name,
                            profile=profile_fingerprint(handle.profile), now=wall_time(),
                            max_age_s=None if max_age_days is None else max_age_days * 86400.0,
                            where=where)

    clock = ctx.clock or MonotonicClock()
    robot = Robot(backend, clock, settings, contact_z_mm=calibration.contact_z_mm)
    logger.info("built rig %s (robot %s, camera %s, device %s)", config.name,
                config.robot.type, config.camera.type, handle.profile.name)
    return Rig(name=config.name, clock=clock, robot=robot, camera=camera,
               device=handle.profile, link=handle.link, calibration=calibration,
               config=config, truth=handle.truth)
