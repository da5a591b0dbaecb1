"""Geometry, units, clock, frames, documents and errors; imports nothing of the project above."""

from tapbot.core.calibration import Calibration
from tapbot.core.clock import Clock, MonotonicClock, VirtualClock
from tapbot.core.documents import (
    Dispatcher,
    FrameRef,
    Incident,
    Measurement,
    RunStart,
    RunStop,
    StepDoc,
    TouchDoc,
    parse_document,
)
from tapbot.core.errors import (
    CalibrationError,
    ConfigError,
    ConnectionLost,
    FlowError,
    HardwareError,
    RunAborted,
    SafetyError,
    StoreError,
    TapbotError,
    VisionError,
)
from tapbot.core.frames import Frame
from tapbot.core.geometry import Homography, PointMm, PointPx, as_array

__all__ = [
    "Calibration",
    "CalibrationError",
    "Clock",
    "ConfigError",
    "ConnectionLost",
    "Dispatcher",
    "FlowError",
    "Frame",
    "FrameRef",
    "HardwareError",
    "Homography",
    "Incident",
    "Measurement",
    "MonotonicClock",
    "PointMm",
    "PointPx",
    "RunAborted",
    "RunStart",
    "RunStop",
    "SafetyError",
    "StepDoc",
    "StoreError",
    "TapbotError",
    "TouchDoc",
    "VirtualClock",
    "VisionError",
    "as_array",
    "parse_document",
]
