"""Calibration: probe touches and the camera's view -> screen/robot/camera maps (core geometry).
"""

from tapbot.calibrate.fit import FitResult, check_spread, fit_glass_plane, fit_screen_to_robot
from tapbot.calibrate.probe import (
    CameraTouchSource,
    LinkTouchSource,
    Probe,
    TouchSource,
    probe_point,
)
from tapbot.calibrate.procedure import (
    CalibrationOptions,
    CalibrationRejected,
    CalibrationReport,
    calibrate,
    calibrate_camera,
    calibrate_rig,
)
from tapbot.calibrate.store import UNCALIBRATED, calibration_path, save_calibration

__all__ = [
    "UNCALIBRATED",
    "CalibrationOptions",
    "CalibrationRejected",
    "CalibrationReport",
    "CameraTouchSource",
    "FitResult",
    "LinkTouchSource",
    "Probe",
    "TouchSource",
    "calibrate",
    "calibrate_camera",
    "calibrate_rig",
    "calibration_path",
    "check_spread",
    "fit_glass_plane",
    "fit_screen_to_robot",
    "probe_point",
    "save_calibration",
]
