"""Touch positions from the camera when there is no device link: the pointer-location
crosshair seen through the camera (the finger hides the spot it touches, not the lines)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tapbot.calibrate import CameraTouchSource
from tapbot.cameras.base import Camera
from tapbot.core import CalibrationError, Homography, VirtualClock
from tapbot.core.frames import Frame
from tapbot.vision import ScreenRectifier

SCREEN = (540, 1200)


class CrosshairCamera(Camera):
    """Sees the screen 1:1; when ``touch`` is set, a crosshair through it and a finger on it."""

    fps = 60.0
    size_px = SCREEN

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.touch: tuple[int, int] | None = None

    def setup(self) -> None: ...

    def stop(self) -> None: ...

    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        return [self.latest()]

    def latest(self) -> Frame:
        img = np.full((SCREEN[1], SCREEN[0], 3), 60, np.uint8)
        cv2.putText(img, "Settings", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, (220,) * 3, 4)
        if self.touch is not None:
            x, y = self.touch
            cv2.line(img, (0, y), (SCREEN[0] - 1, y), (40, 200, 250), 3)
            cv2.line(img, (x, 0), (x, SCREEN[1] - 1), (40, 200, 250), 3)
            cv2.circle(img, (x, y), 55, (120, 160, 215), -1)  # the fingertip hides the spot
        return Frame(image=img, t=self.clock.now(), index=0)


def test_camera_source_reads_the_touch_position_from_the_crosshair():
    clock = VirtualClock()
    cam = CrosshairCamera(clock)
    rect = ScreenRectifier(Homography.identity(), SCREEN, 0.25)
    source = CameraTouchSource(cam, rect, clock)
    source.begin()
    assert not source.touched()
    with pytest.raises(CalibrationError, match="no touch feedback"):
        source.position_px()
    cam.touch = (333, 777)
    assert source.touched()
    x, y = source.position_px()
    assert abs(x - 333) <= 2.5 and abs(y - 777) <= 2.5  # within half a view px at 0.25
