"""On a real USB camera (off by default): ``TAPBOT_CAMERA=/dev/video0 pytest -m hardware``."""

import itertools
import os

import pytest

from tapbot.cameras.opencv import OpenCvCamera, OpenCvCameraOptions
from tapbot.core.clock import MonotonicClock

pytestmark = pytest.mark.hardware
DEVICE = os.environ.get("TAPBOT_CAMERA")


@pytest.mark.skipif(not DEVICE, reason="set TAPBOT_CAMERA to a /dev/video* path")
def test_a_real_camera_delivers_frames_at_about_its_rate():
    clock = MonotonicClock()
    cam = OpenCvCamera(OpenCvCameraOptions(device=DEVICE, size_px=(640, 480), fps=30), clock)
    cam.setup()
    try:
        t0 = clock.now()
        clock.sleep(2.0)
        frames = cam.frames(t0, clock.now())
        assert len(frames) + cam.dropped >= 0.8 * 2.0 * 30
        assert all(b.t > a.t for a, b in itertools.pairwise(frames))
    finally:
        cam.stop()
