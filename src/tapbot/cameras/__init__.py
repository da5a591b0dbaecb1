"""Cameras: the contract every frame source implements, and the real backends."""

from tapbot.cameras.base import Camera
from tapbot.cameras.opencv import OpenCvCamera, OpenCvCameraOptions
from tapbot.cameras.replay import ReplayCamera, ReplayCameraOptions
from tapbot.cameras.ring import FrameRing

__all__ = [
    "Camera",
    "FrameRing",
    "OpenCvCamera",
    "OpenCvCameraOptions",
    "ReplayCamera",
    "ReplayCameraOptions",
]
