"""Finding the screen with no prior pose: markers, the bright quad, a screenshot; drift."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tapbot.core import Homography, VisionError
from tapbot.vision import (
    find_markers,
    find_screen_quad,
    layout_from_mm,
    locate_screen,
    locate_touch_feedback,
    marker_pattern,
    pose_drift,
    screen_corners_px,
)
from tapbot.vision.locate import marker_corners
from tapbot.vision.outline import screen_edge_lines

SCREEN = (360, 640)  # px (w, h)
SCREEN_MM = (60.0, 640 / 6)  # square pixels: 6 px/mm
CAM = (1280, 960)


def _screen_to_camera(rot_deg: float = 4.0, keystone: float = 0.05) -> Homography:
    w, h = SCREEN
    cx, cy, hh = 640.0, 480.0, 700.0
    ww = hh * w / h
    top, bot = 1 - keystone / 2, 1 + keystone / 2
    local = np.array([[-ww / 2 * top, -hh / 2], [ww / 2 * top, -hh / 2],
                      [ww / 2 * bot, hh / 2], [-ww / 2 * bot, hh / 2]])
    a = np.radians(rot_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    cam = local @ rot.T + (cx, cy)
    return Homography.fit(screen_corners_px(SCREEN), cam)


def _grid_error(found: Homography, true_cam_to_screen: Homography) -> float:
    w, h = SCREEN
    pts = np.array([[x, y] for x in np.linspace(0, w - 1, 6) for y in np.linspace(0, h - 1, 9)])
    cam = true_cam_to_screen.inverse().apply(pts)
    return float(np.hypot(*(found.apply(cam) - pts).T).max())


def _noisy(img: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img.astype(np.float32) + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


def _holder_scene() -> tuple[np.ndarray, dict[int, np.ndarray], Homography]:
    """Six 10 mm markers beside a dark screen, seen by the camera: (image, layout in screen px,
    screen -> camera)."""
    layout_mm = {}
    for i, (x, y) in enumerate([(-16, 0), (SCREEN_MM[0] + 6, 0), (-16, 50),
                                (SCREEN_MM[0] + 6, 50), (-16, 95), (SCREEN_MM[0] + 6, 95)]):
        layout_mm[i] = [(x, y), (x + 10, y), (x + 10, y + 10), (x, y + 10)]
    layout = layout_from_mm(layout_mm, SCREEN, SCREEN_MM)
    # draw the deck in screen px with an offset, then warp it into the camera
    off = np.array([150.0, 60.0])
    canvas = np.full((760, 660), 90, np.uint8)
    cv2.rectangle(canvas, (150, 60), (150 + 359, 60 + 639), 40, -1)  # the dark screen
    d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    for mid, c in layout.items():
        x0, y0 = (c[0] + 0.5 + off).round().astype(int)
        side = round(c[1, 0] - c[0, 0])
        q = round(side / 3)
        cv2.rectangle(canvas, (x0 - q, y0 - q), (x0 + side + q, y0 + side + q), 255, -1)
        canvas[y0:y0 + side, x0:x0 + side] = cv2.aruco.generateImageMarker(d, mid, side)
    s2c = _screen_to_camera()
    shift = np.array([[1, 0, -off[0]], [0, 1, -off[1]], [0, 0, 1.0]])
    img = cv2.warpPerspective(canvas, s2c.matrix @ shift, CAM, flags=cv2.INTER_AREA,
                              borderValue=90)
    return _noisy(img), layout, s2c


def test_holder_markers_give_camera_to_screen_within_half_a_screen_px():
    img, layout, s2c = _holder_scene()
    pose = find_markers(img, layout)
    assert pose is not None and pose.method == "markers" and pose.n_points == 24
    assert _grid_error(pose.camera_to_screen, s2c.inverse()) < 0.5


def test_markers_near_the_mask_are_not_used():
    img, layout, s2c = _holder_scene()
    cam, scr, ids = marker_corners(img, layout)
    assert sorted(ids) == [0, 1, 2, 3, 4, 5] and cam.shape == scr.shape == (24, 2)
    # the corners are where the camera sees the layout (sub-pixel)
    assert np.hypot(*(s2c.apply(scr) - cam).T).max() < 0.5
    # a mask over marker 2's quiet zone only (not the marker itself) is enough to drop it
    mask = np.zeros((CAM[1], CAM[0]), np.uint8)
    quad = s2c.apply(layout[2])
    c = quad.mean(axis=0)
    edge = c + (quad[1] - c) * 1.3  # just outside its top-right corner
    cv2.circle(mask, tuple(np.round(edge).astype(int)), 2, 255, -1)
    _, _, kept = marker_corners(img, layout, mask=mask)
    assert sorted(kept) == [0, 1, 3, 4, 5]


def _bright_screen_scene(bezel_mm: float = 3.0) -> tuple[np.ndarray, Homography]:
    """A bright screen in a dark bezel on a mid-grey deck, seen by the camera."""
    ppm = SCREEN[0] / SCREEN_MM[0]
    b = round(bezel_mm * ppm)
    off = np.array([150.0, 150.0])
    canvas = np.full((640 + 300, 360 + 300), 120, np.uint8)
    cv2.rectangle(canvas, (150 - b, 150 - b), (150 + 359 + b, 150 + 639 + b), 25, -1)
    canvas[150:150 + 640, 150:150 + 360] = 210
    s2c = _screen_to_camera()
    shift = np.array([[1, 0, -off[0]], [0, 1, -off[1]], [0, 0, 1.0]])
    img = cv2.warpPerspective(canvas, s2c.matrix @ shift, CAM, flags=cv2.INTER_AREA,
                              borderValue=120)
    return _noisy(cv2.GaussianBlur(img, (3, 3), 0.8), 4), s2c


def test_edge_lines_are_measured_from_where_the_calibration_puts_the_sides():
    img, s2c = _bright_screen_scene()
    lines = screen_edge_lines(img, s2c.inverse(), SCREEN, SCREEN_MM)
    for side in ("left", "top", "right", "bottom"):
        offsets = sorted(line.offset_mm for line in lines[side])
        # the screen's edge where the calibration says, and the bezel's outer edge 3 mm out
        assert offsets[0] == pytest.approx(0.0, abs=0.05), (side, offsets)
        assert offsets[-1] == pytest.approx(3.0, abs=0.1), (side, offsets)
        assert all(abs(line.slope) < 0.002 for line in lines[side])
    # a calibration that puts the screen 1 mm (6 px) to the right of the truth sees the true
    # left edge 1 mm inward and the right edge 1 mm outward; top and bottom do not move
    off_right = s2c.inverse().then(Homography.scale_offset(1, 1, 6.0, 0.0))
    lines = screen_edge_lines(img, off_right, SCREEN, SCREEN_MM, search_mm=2.5)
    strongest = {side: max(ls, key=lambda x: x.contrast) for side, ls in lines.items()}
    assert strongest["left"].offset_mm == pytest.approx(-1.0, abs=0.05)
    assert strongest["right"].offset_mm == pytest.approx(1.0, abs=0.05)
    assert strongest["top"].offset_mm == pytest.approx(0.0, abs=0.05)
    assert strongest["bottom"].offset_mm == pytest.approx(0.0, abs=0.05)


def test_edge_lines_skip_masked_profiles_and_short_features():
    img, s2c = _bright_screen_scene()
    mask = np.zeros((CAM[1], CAM[0]), np.uint8)
    left = s2c.apply(np.array([[-0.5, -0.5], [-0.5, 639.5]]))
    cv2.line(mask, tuple(np.round(left[0]).astype(int)), tuple(np.round(left[1]).astype(int)),
             255, 9)  # the whole left side hidden
    lines = screen_edge_lines(img, s2c.inverse(), SCREEN, SCREEN_MM, mask=mask)
    assert lines["left"] == [] and lines["right"]
    # a bright strip 1.5 mm outside the right edge, parallel to it (say, an unmasked arm):
    # over a fifth of the side it is not a line; over most of it, it is one (which is why
    # the monitor needs two opposite sides to agree before it trusts a shift)
    def strip_lines(y0: float, y1: float) -> list[float]:
        canvas = np.zeros((SCREEN[1], SCREEN[0] + 60), np.uint8)
        canvas[round(y0):round(y1), 369:375] = 255
        warp = cv2.warpPerspective(canvas, s2c.matrix, CAM, flags=cv2.INTER_AREA)
        strip = np.where(warp > 128, 200, img).astype(np.uint8)
        return [line.offset_mm for line in
                screen_edge_lines(strip, s2c.inverse(), SCREEN, SCREEN_MM)["right"]]

    assert not any(1.0 < off < 2.5 for off in strip_lines(100, 230))
    assert any(1.0 < off < 2.5 for off in strip_lines(40, 600))


def test_a_marker_pattern_shown_on_the_screen_locates_it():
    pattern, layout = marker_pattern(SCREEN)
    s2c = _screen_to_camera(-3.0)
    img = cv2.warpPerspective(pattern, s2c.matrix, CAM, flags=cv2.INTER_AREA, borderValue=(60,) * 3)
    pose = find_markers(_noisy(img, 1), layout)
    assert pose is not None and pose.n_points == 60
    assert _grid_error(pose.camera_to_screen, s2c.inverse()) < 0.5


@pytest.mark.parametrize("rot_deg", [0.0, 6.0, -12.0])
def test_the_bright_screen_quad_is_found_to_sub_pixel_corners(rot_deg):
    s2c = _screen_to_camera(rot_deg)
    screen = np.full((SCREEN[1], SCREEN[0]), 225, np.uint8)
    cv2.putText(screen, "Hello", (40, 300), cv2.FONT_HERSHEY_SIMPLEX, 3, 30, 8)
    img = cv2.warpPerspective(screen, s2c.matrix, CAM, flags=cv2.INTER_AREA, borderValue=35)
    img = _noisy(cv2.GaussianBlur(img, (3, 3), 0.8), 2)
    quad = find_screen_quad(img)
    assert quad is not None
    true = s2c.apply(screen_corners_px(SCREEN))
    assert np.hypot(*(quad - true).T).max() < 0.5
    pose = locate_screen(img, SCREEN)
    assert pose.method == "quad"
    assert _grid_error(pose.camera_to_screen, s2c.inverse()) < 1.0


def test_no_screen_in_the_frame_says_what_to_check():
    img = _noisy(np.full((480, 640), 80, np.uint8), 3)
    with pytest.raises(VisionError, match="no screen found") as e:
        locate_screen(img, SCREEN)
    assert "camera sees the whole phone" in e.value.hint


def test_drift_is_reported_in_screen_px_and_mm():
    s2c = _screen_to_camera()
    calibrated = s2c.inverse()
    bumped = calibrated.then(Homography.scale_offset(1, 1, 6.0, -8.0))  # moved 10 px
    drift = pose_drift(calibrated, bumped, SCREEN, SCREEN_MM)
    assert drift.max_px == pytest.approx(10.0) and drift.mean_px == pytest.approx(10.0)
    assert drift.max_mm == pytest.approx(np.hypot(6, 8) / 6)
    assert drift.exceeds(5.0) and not pose_drift(calibrated, calibrated, SCREEN).exceeds(0.01)


def test_touch_feedback_crosshair_is_found_even_under_the_finger():
    changed = np.zeros((300, 200), np.uint8)
    changed[141:143, :] = 255  # pointer-location crosshair through (77, 142)
    changed[:, 76:79] = 255
    cv2.circle(changed, (77, 142), 20, 0, -1)  # the finger hides the middle
    cv2.circle(changed, (77, 142), 20, 255, 2)  # and its outline changed too
    x, y = locate_touch_feedback(changed)
    assert (x, y) == pytest.approx((77.0, 141.5), abs=0.6)
    dot = np.zeros((300, 200), np.uint8)
    cv2.circle(dot, (50, 60), 4, 255, -1)
    assert locate_touch_feedback(dot) == pytest.approx((50.0, 60.0), abs=0.1)
    assert locate_touch_feedback(np.zeros((300, 200), np.uint8)) is None


def test_locate_and_pose_drift_report_a_bumped_phone_on_the_twin():
    from tapbot.rig import build_rig
    from tapbot.vision import locate_screen, pose_drift

    def frame_and_shot(rotation_deg: float):
        rig = build_rig(None, seed=8, overrides={"camera": {"size_px": (1280, 960),
                                                            "rotation_deg": rotation_deg}})
        rig.open()
        rig.clock.sleep(0.3)
        return rig, rig.camera.latest().image, rig.link.screenshot()

    def drift(image, shot):
        pose = locate_screen(image, rig.device.screen_px, screenshot=shot)
        return pose_drift(rig.calibration.camera_to_screen_h, pose.camera_to_screen,
                          rig.device.screen_px, rig.device.screen_mm)

    rig, _, _ = frame_and_shot(2.0)
    _, image, shot = frame_and_shot(2.0)  # same pose
    assert drift(image, shot).max_px < 6.0
    _, image, shot = frame_and_shot(3.0)  # bumped by 1 degree about the image centre
    moved = drift(image, shot)
    # truth: a 1 degree turn about the screen centre moves its corners by
    # |corner - centre| * 2 sin(0.5 deg) ~ 1316 px * 0.01745 = 23 screen px
    assert 19.0 < moved.max_px < 27.0 and moved.exceeds(6.0)
    assert moved.max_mm == pytest.approx(moved.max_px / rig.device.px_per_mm[0], rel=0.05)
