"""The tool's outline in screen px (fingers, arms, carriage, parallax) and the area it sweeps."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from tapbot.core import VisionError
from tapbot.core.calibration import Calibration
from tapbot.core.tool import ToolGeometry
from tapbot.vision.masks import fill_swept, tool_outline_screen_px

PX_PER_MM = 10.0


def _calibration(turned: bool = False) -> Calibration:
    """Screen px -> robot mm at 10 px/mm, the screen's origin at robot (20, 30) mm; ``turned``:
    the phone lies turned a quarter on the deck (screen +x is robot +y)."""
    s = 1 / PX_PER_MM
    m = [[0.0, -s, 20.0], [s, 0.0, 30.0], [0, 0, 1]] if turned else \
        [[s, 0.0, 20.0], [0.0, s, 30.0], [0, 0, 1]]
    return Calibration(screen_to_robot=m, camera_to_screen=np.eye(3).tolist(),
                       contact_z_mm=0.0, clearance_z_mm=3.0)


def _mask(polys, size=(1000, 1500)) -> np.ndarray:
    return fill_swept(np.zeros((size[1], size[0]), np.uint8), [polys])


def test_the_outline_covers_both_fingers_the_arms_and_the_carriage():
    shape = ToolGeometry()  # fingers 20 mm apart, carriage 40 x 24 mm 30 mm beyond the tips
    mask = _mask(tool_outline_screen_px(shape, _calibration(), (300.0, 400.0)))
    assert len(tool_outline_screen_px(shape, _calibration(), (300.0, 400.0))) == 5
    for x_mm, y_mm in [(0, 0), (20, 0), (0, 10), (20, 15), (-10, 20), (30, 40), (10, 30)]:
        assert mask[int(400 + y_mm * PX_PER_MM), int(300 + x_mm * PX_PER_MM)], (x_mm, y_mm)
    # not the whole screen: beside the fingers, above them, and beyond the carriage
    for x_mm, y_mm in [(-15, 0), (40, 0), (10, -12), (10, 48), (-25, 30)]:
        assert not mask[int(400 + y_mm * PX_PER_MM), int(300 + x_mm * PX_PER_MM)], (x_mm, y_mm)


def test_the_outline_follows_the_robot_axes_and_grows_with_parallax():
    # the phone turned on the deck: the carriage (robot +y) lies towards screen +x
    mask = _mask(tool_outline_screen_px(ToolGeometry(), _calibration(turned=True), (300.0, 700.0)))
    assert mask[700 - 100, 300 + 300]  # 30 mm along robot +y = screen +x; finger 1 at robot +x
    assert not mask[700, 300 - 200]
    flat = _mask(tool_outline_screen_px(ToolGeometry(), _calibration(), (300.0, 400.0)))
    seen = _mask(tool_outline_screen_px(ToolGeometry(), _calibration(), (300.0, 400.0),
                                        camera_centre_screen_px=(500.0, 750.0),
                                        camera_height_mm=300.0))
    assert np.all(seen[flat > 0]) and seen.sum() > flat.sum() * 1.05
    with pytest.raises(VisionError, match="above the tool"):
        tool_outline_screen_px(ToolGeometry(), _calibration(), (300.0, 400.0),
                               camera_centre_screen_px=(0.0, 0.0), camera_height_mm=20.0)


def test_fill_swept_covers_the_path_between_poses_and_one_finger_has_no_second():
    one = ToolGeometry(second_finger_mm=None)
    cal = _calibration()
    a = tool_outline_screen_px(one, cal, (200.0, 300.0))
    b = tool_outline_screen_px(one, cal, (700.0, 300.0))
    assert len(a) == 3  # finger, arm, carriage
    swept = fill_swept(np.zeros((1500, 1000), np.uint8), [a, b])
    ends = _mask(a) | _mask(b)
    assert swept[300, 450] and not ends[300, 450]  # the finger passed between the two ends
    assert cv2.countNonZero(swept) > cv2.countNonZero(ends)
    with pytest.raises(ValidationError, match="finger_radius_mm"):
        ToolGeometry(finger_radius_mm=0.0)
    assert ToolGeometry().with_fingers(1) == one and ToolGeometry().with_fingers(2) == \
        ToolGeometry()
