"""The twin's factories: a simulated phone, robot, camera and the true calibration."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
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

logger = logging.getLogger(__name__)


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


def twin_lens(camera: SimCamera) -> tuple[float, float, float] | None:
    """The twin camera's lens in the calibration's one-parameter form ``(kappa, cx, cy)``
    (``Calibration.camera_distortion``: seen = c + (ideal - c) * (1 + kappa * |ideal - c|^2)),
    or ``None`` for a lens without distortion.

    Exact for the twin's default lens (OpenCV ``k1`` only, square pixels: ``kappa = k1 / f^2``
    about the principal point); with ``k2`` it is the least-squares ``kappa`` over the
    screen's image and the worst error is logged.
    """
    k1, k2 = (float(v) for v in camera.distortion[:2])
    if k1 == 0.0 and k2 == 0.0:
        return None
    f = float(camera.intrinsics[0, 0])
    c = camera.intrinsics[:2, 2].astype(np.float64)
    w, h = camera.world.phone.profile.screen_px
    xs, ys = np.meshgrid(np.linspace(-0.5, w - 0.5, 17), np.linspace(-0.5, h - 0.5, 33))
    q = camera.true_screen_to_camera().apply(np.c_[xs.ravel(), ys.ravel()]) - c
    r2 = np.sum(q * q, axis=1, keepdims=True)
    shift = q * (k1 * r2 / f**2 + k2 * (r2 / f**2) ** 2)  # OpenCV's radial terms, in px
    basis = q * r2  # the model's shift per unit kappa
    kappa = float(np.sum(basis * shift) / np.sum(basis * basis))
    worst_px = float(np.abs(basis * kappa - shift).max())
    if worst_px > 0.05:
        logger.warning("the twin's lens is modelled to within %.2f camera px over the screen "
                       "(k2 is not in the calibration's one-parameter model)", worst_px)
    return kappa, float(c[0]), float(c[1])


class TwinCalibrationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


def twin_calibration(options: dict[str, Any], ctx: BuildContext,
                     section: tuple[str | int, ...], camera: Camera) -> Calibration:
    """The twin's true geometry as a calibration (measuring it is the calibrate room's job):
    camera -> screen from *ideal* camera px, with the camera's lens in ``camera_distortion``."""
    ctx.validate(TwinCalibrationOptions, options, section)
    world = _world(ctx, section, "calibration")
    if not isinstance(camera, SimCamera):
        raise ConfigError("calibration type 'twin' needs the twin's camera (camera type: sim)")
    cam_to_screen: Homography = camera.true_camera_to_screen()
    lens = twin_lens(camera)
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
        camera_distortion=lens,
    )


DEVICE_TYPES["sim"] = build_sim_device
ROBOT_TYPES["sim"] = build_sim_robot
CAMERA_TYPES["sim"] = build_sim_camera
CALIBRATION_TYPES["twin"] = twin_calibration
