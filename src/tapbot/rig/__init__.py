"""Rig composition: robot + camera + device + calibration from a YAML file or the twin."""

from tapbot.rig.config import RigConfig, load_rig_config
from tapbot.rig.registry import (
    CALIBRATION_TYPES,
    CAMERA_TYPES,
    DEVICE_TYPES,
    ROBOT_TYPES,
    BuildContext,
    DeviceHandle,
)
from tapbot.rig.rig import Rig, build_rig

__all__ = [
    "CALIBRATION_TYPES",
    "CAMERA_TYPES",
    "DEVICE_TYPES",
    "ROBOT_TYPES",
    "BuildContext",
    "DeviceHandle",
    "Rig",
    "RigConfig",
    "build_rig",
    "load_rig_config",
]
