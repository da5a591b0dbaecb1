"""Factories of the real hardware: GRBL robots, OpenCV and replay cameras, Android over adb.

Registered by ``type`` name next to the twin's (DESIGN rule 2). Real parts run on the
rig's monotonic clock; a replay camera also runs on the twin's virtual clock (to re-analyse
a recording deterministically). Nothing here connects: ``build_rig`` only builds, and the
rig's ``open()`` (or the first use) talks to the hardware.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from tapbot.cameras.opencv import OpenCvCamera, OpenCvCameraOptions
from tapbot.cameras.replay import ReplayCamera, ReplayCameraOptions
from tapbot.core.clock import Clock, MonotonicClock, VirtualClock
from tapbot.core.errors import ConfigError
from tapbot.devices.adb import AdbDeviceLink, AdbLinkOptions
from tapbot.devices.profile import DeviceProfile
from tapbot.rig.registry import (
    CAMERA_TYPES,
    DEVICE_TYPES,
    ROBOT_TYPES,
    BuildContext,
    DeviceHandle,
)
from tapbot.robots.grbl.backend import GrblOptions, GrblRobot
from tapbot.robots.grbl.delta import DeltaGrblOptions, DeltaGrblRobot


def real_clock(ctx: BuildContext, section: tuple[str | int, ...], what: str) -> Clock:
    """The rig's monotonic clock (made on first use); refuses the twin's virtual clock."""
    if ctx.clock is None:
        ctx.clock = MonotonicClock()
    if isinstance(ctx.clock, VirtualClock):
        where = ctx.doc.where(section) if ctx.doc else "rig"
        raise ConfigError(
            f"{where}: the {what} is real hardware and cannot run on the twin's virtual clock",
            hint="use real backends for every part (or type: sim for every part)")
    return ctx.clock


def build_grbl_robot(options: dict[str, Any], ctx: BuildContext,
                     section: tuple[str | int, ...]) -> GrblRobot:
    opts = ctx.validate(GrblOptions, options, section)
    return GrblRobot(opts, real_clock(ctx, section, "GRBL robot"))


def build_delta_robot(options: dict[str, Any], ctx: BuildContext,
                      section: tuple[str | int, ...]) -> DeltaGrblRobot:
    opts = ctx.validate(DeltaGrblOptions, options, section)
    return DeltaGrblRobot(opts, real_clock(ctx, section, "delta robot"))


def build_opencv_camera(options: dict[str, Any], ctx: BuildContext,
                        section: tuple[str | int, ...]) -> OpenCvCamera:
    opts = ctx.validate(OpenCvCameraOptions, options, section)
    return OpenCvCamera(opts, real_clock(ctx, section, "USB camera"))


def build_replay_camera(options: dict[str, Any], ctx: BuildContext,
                        section: tuple[str | int, ...]) -> ReplayCamera:
    opts = ctx.validate(ReplayCameraOptions, options, section)
    if not opts.path.is_absolute():
        opts = opts.model_copy(update={"path": ctx.base_dir / opts.path})
    if ctx.clock is None:
        ctx.clock = MonotonicClock()
    return ReplayCamera(opts, ctx.clock)


class AdbDeviceOptions(AdbLinkOptions):
    """A ``type: adb`` device: the phone's profile plus how to reach it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: DeviceProfile


def build_adb_device(options: dict[str, Any], ctx: BuildContext,
                     section: tuple[str | int, ...]) -> DeviceHandle:
    opts = ctx.validate(AdbDeviceOptions, options, section)
    link_opts = AdbLinkOptions(**opts.model_dump(exclude={"profile"}))
    clock = real_clock(ctx, section, "adb device")
    link = AdbDeviceLink(link_opts, clock, opts.profile.screen_px)
    return DeviceHandle(profile=opts.profile, link=link)


ROBOT_TYPES["grbl"] = build_grbl_robot
ROBOT_TYPES["delta-grbl"] = build_delta_robot
CAMERA_TYPES["opencv"] = build_opencv_camera
CAMERA_TYPES["replay"] = build_replay_camera
DEVICE_TYPES["adb"] = build_adb_device
