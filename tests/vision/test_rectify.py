"""ScreenRectifier: camera frames come back as the screen, in screen px times scale."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tapbot.core import Homography, VisionError
from tapbot.vision import ScreenRectifier

SCREEN_PX = (360, 640)  # (w, h)


def _screen_pattern() -> np.ndarray:
    """A gray screen with smooth blocks and a text line (no detail below a few px)."""
    w, h = SCREEN_PX
    img = np.full((h, w), 40, np.uint8)
    for i in range(6):
        for j in range(4):
            if (i + j) % 2 == 0:
                cv2.rectangle(img, (j * 90 + 8, i * 106 + 8), (j * 90 + 80, i * 106 + 96), 200, -1)
    cv2.putText(img, "tapbot 42", (30, 330), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 255, 5)
    return cv2.GaussianBlur(img, (0, 0), 3)


def _camera_to_screen() -> Homography:
    # A camera 1280x960 looking slightly obliquely: screen corners land at these camera px.
    w, h = SCREEN_PX
    screen = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
    camera = np.array([[420.0, 130.0], [905.0, 150.0], [890.0, 880.0], [400.0, 850.0]])
    return Homography.fit(camera, screen)


def _camera_image(screen: np.ndarray, cam_to_screen: Homography) -> np.ndarray:
    """Render what the camera sees: the screen warped by screen->camera, as BGR."""
    screen_to_cam = cam_to_screen.inverse().matrix
    gray = cv2.warpPerspective(screen, screen_to_cam, (1280, 960), flags=cv2.INTER_LINEAR)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.25])
def test_rectify_round_trips_a_known_homography(scale: float) -> None:
    screen = _screen_pattern()
    h_cs = _camera_to_screen()
    camera = _camera_image(screen, h_cs)
    rect = ScreenRectifier(h_cs, SCREEN_PX, scale=scale)

    view = rect.view(camera)

    w, h = SCREEN_PX
    assert rect.view_size_px == (round(w * scale), round(h * scale))
    assert view.shape == (rect.view_size_px[1], rect.view_size_px[0])
    assert view.dtype == np.uint8
    expected = cv2.resize(screen, rect.view_size_px, interpolation=cv2.INTER_AREA)
    err = np.abs(view.astype(int) - expected.astype(int))
    inner = err[3:-3, 3:-3]  # the outermost pixels blend with the black outside the screen
    assert float(inner.mean()) < 1.5
    assert np.percentile(inner, 99) < 10


def test_view_accepts_gray_and_bgr_alike() -> None:
    h_cs = _camera_to_screen()
    camera = _camera_image(_screen_pattern(), h_cs)
    rect = ScreenRectifier(h_cs, SCREEN_PX, scale=0.25)
    np.testing.assert_array_equal(rect.view(camera), rect.view(camera[:, :, 0].copy()))


def test_screen_to_view_matches_where_the_warp_puts_a_dot() -> None:
    w, h = SCREEN_PX
    screen = np.zeros((h, w), np.uint8)
    cv2.circle(screen, (250, 420), 12, 255, -1)
    h_cs = _camera_to_screen()
    rect = ScreenRectifier(h_cs, SCREEN_PX, scale=0.5)

    view = rect.view(_camera_image(screen, h_cs))

    m = cv2.moments(view, binaryImage=False)
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    ex, ey = rect.screen_to_view(250, 420)
    assert abs(cx - ex) < 0.15 and abs(cy - ey) < 0.15
    assert rect.view_to_screen(ex, ey) == pytest.approx((250, 420))


def test_screen_to_view_keeps_the_screen_border_on_the_view_border() -> None:
    rect = ScreenRectifier(Homography.identity(), (400, 800), scale=0.25)
    assert rect.screen_to_view(-0.5, -0.5) == pytest.approx((-0.5, -0.5))
    assert rect.screen_to_view(399.5, 799.5) == pytest.approx((99.5, 199.5))


@pytest.mark.parametrize(
    ("screen_px", "scale"), [((0, 640), 0.25), ((360, 640), 0.0), ((360, 640), float("nan"))]
)
def test_bad_rectifier_arguments_raise_vision_error(
    screen_px: tuple[int, int], scale: float
) -> None:
    with pytest.raises(VisionError):
        ScreenRectifier(Homography.identity(), screen_px, scale=scale)


def test_view_rejects_non_image_input() -> None:
    rect = ScreenRectifier(Homography.identity(), SCREEN_PX)
    with pytest.raises(VisionError, match="uint8"):
        rect.view(np.zeros((10, 10), np.float32))
    with pytest.raises(VisionError, match="shape"):
        rect.view(np.zeros((10, 10, 2), np.uint8))
