"""The twin's factories: a simulated phone, robot, camera and the true calibration."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from tapbot.cameras.base import Camera
from tapbot.core.calibration import Calibration
from tapbot.core.clock import VirtualClock
from tapbot.core.errors import ConfigError
from tapbot.core.geometry import Homography
from tapbot.rig.registry import (
    CALIBRATION_TYPES,
    CAMERA_TYPES,
    DEVICE_TYPES,
    ROBOT_TYPES,
    BuildContext,
    DeviceHandle,
)
from tapbot.sim import (
    SimCamera,
    SimCameraOptions,
    SimDeviceLink,
    SimPhone,
    SimPhoneOptions,
    SimRobot,
    SimRobotOptions,
    SimWorld,
)


class SimDeckOptions(BaseModel):
    """Where the twin phone lies on the deck (its true pose, hidden from calibration)."""

    model_config = ConfigDict(extra="forbid")

    screen_origin_mm: tuple[float, float] = (40.0, 30.0)
    rotation_deg: float = 0.0
    glass_z_mm: float = 0.0


def _world(ctx: BuildContext, section: tuple[str | int, ...], what: str) -> SimWorld:
    world = ctx.shared.get("sim_world")
    if world is None:
        raise ConfigError(
            f"{ctx.doc.where(section) if ctx.doc else 'rig'}: the {what} of type 'sim' needs a "
            "device of type 'sim'",
            hint="use type: sim for every part, or real backends for every part",
        )
    return world


def build_sim_device(options: dict[str, Any], ctx: BuildContext,
                     section: tuple[str | int, ...]) -> DeviceHandle:
    deck_keys = set(SimDeckOptions.model_fields)
    deck = ctx.validate(SimDeckOptions, {k: v for k, v in options.items() if k in deck_keys},
                        section)
    phone_opts = {k: v for k, v in options.items() if k not in deck_keys}
    phone_opts.setdefault("seed", ctx.seed)
    opts = ctx.validate(SimPhoneOptions, phone_opts, section)
    if ctx.clock is None:
        ctx.clock = VirtualClock()
    if not isinstance(ctx.clock, VirtualClock):
        raise ConfigError("a 'sim' device needs the twin's virtual clock; do not mix it with "
                          "real backends")
    phone = SimPhone(opts, ctx.clock)
    world = SimWorld(ctx.clock, phone, screen_origin_mm=deck.screen_origin_mm,
                     rotation_deg=deck.rotation_deg, glass_z_mm=deck.glass_z_mm)
    ctx.shared["sim_world"] = world
    return DeviceHandle(profile=phone.profile, link=SimDeviceLink(phone, ctx.clock),
                        truth=phone.truth)


def build_sim_robot(options: dict[str, Any], ctx: BuildContext,
                    section: tuple[str | int, ...]) -> SimRobot:
    world = _world(ctx, section, "robot")
    options = dict(options)
    options.setdefault("seed", ctx.seed + 1)
    robot = SimRobot(ctx.validate(SimRobotOptions, options, section), world)
    ctx.shared["sim_robot"] = robot
    return robot


def build_sim_camera(options: dict[str, Any], ctx: BuildContext,
                     section: tuple[str | int, ...]) -> SimCamera:
    world = _world(ctx, section, "camera")
    options = dict(options)
    options.setdefault("seed", ctx.seed + 2)
    return SimCamera(ctx.validate(SimCameraOptions, options, section), world)


class TwinCalibrationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


def twin_calibration(options: dict[str, Any], ctx: BuildContext,
                     section: tuple[str | int, ...], camera: Camera) -> Calibration:
    """The twin's true geometry as a calibration (measuring it is the calibrate room's job)."""
    ctx.validate(TwinCalibrationOptions, options, section)
    world = _world(ctx, section, "calibration")
    if not isinstance(camera, SimCamera):
        raise ConfigError("calibration type 'twin' needs the twin's camera (camera type: sim)")
    cam_to_screen: Homography = camera.true_camera_to_screen()
    screen_to_robot = world.true_screen_to_robot()  # screen px -> deck mm
    robot = ctx.shared.get("sim_robot")
    if isinstance(robot, SimRobot):  # deck mm -> commanded mm: undo the gantry's shear
        screen_to_robot = screen_to_robot.then(robot.true_machine_to_deck().inverse())
    return Calibration(
        rig="twin",
        device=world.phone.profile.name,
        screen_to_robot=screen_to_robot.to_list(),
        camera_to_screen=cam_to_screen.to_list(),
        contact_z_mm=world.glass_z_mm,
        clearance_z_mm=world.glass_z_mm + 3.0,
        residual_mm=0.0,
        source="twin-truth",
    )


DEVICE_TYPES["sim"] = build_sim_device
ROBOT_TYPES["sim"] = build_sim_robot
CAMERA_TYPES["sim"] = build_sim_camera
CALIBRATION_TYPES["twin"] = twin_calibration
