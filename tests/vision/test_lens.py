"""Radial lens distortion: fitted from marker corners with the homography, undone by the
rectifier; scored against the twin camera's own lens model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tapbot.core import Homography
from tapbot.vision import RadialDistortion, ScreenRectifier, fit_homography_with_distortion

SIZE = (1280, 960)


def test_distort_and_undistort_round_trip():
    d = RadialDistortion(-0.15 / 1280**2, 640.0, 480.0)
    pts = np.array([[0.0, 0.0], [1279.0, 959.0], [640.0, 480.0], [100.0, 800.0]])
    assert np.allclose(d.undistort(d.distort(pts)), pts, atol=1e-6)
    # barrel: a corner moves towards the centre by k1 r^3 / f^2 (hand-computed: 50.0 px)
    r = np.hypot(640, 480)
    assert np.hypot(*(d.distort(pts[:1]) - pts[:1])[0]) == pytest.approx(0.15 * r**3 / 1280**2)
    assert RadialDistortion.from_list(d.to_list()) == d


def test_fit_recovers_distortion_and_homography_from_corners():
    truth_h = Homography(np.array([[2.9, 0.12, -1500.0], [-0.1, 2.95, -300.0], [0, 0, 1.0]]))
    truth_d = RadialDistortion(-0.08 / 1280**2, 640.0, 480.0)
    rng = np.random.default_rng(3)
    screen = np.c_[rng.uniform(0, 1080, 60), rng.uniform(0, 2400, 60)]
    seen = truth_d.distort(truth_h.inverse().apply(screen)) + rng.normal(0, 0.05, (60, 2))
    h, d, _ = fit_homography_with_distortion(seen, screen, SIZE)
    assert d is not None and d.kappa * 1280**2 == pytest.approx(-0.08, abs=0.003)
    grid = np.array([[x, y] for x in (0, 540, 1079) for y in (0, 1200, 2399)], float)
    cam = truth_d.distort(truth_h.inverse().apply(grid))
    assert np.abs(h.apply(d.undistort(cam)) - grid).max() < 1.0
    # without distortion in the data the plain homography is kept
    plain = truth_h.inverse().apply(screen) + rng.normal(0, 0.05, (60, 2))
    _, d0, _ = fit_homography_with_distortion(plain, screen, SIZE)
    assert d0 is None


def test_rectifier_undoes_the_distortion():
    w, h = 360, 640
    screen = np.zeros((h, w), np.uint8)
    for i in range(0, w, 40):
        cv2.line(screen, (i, 0), (i, h - 1), 255, 3)
    for j in range(0, h, 40):
        cv2.line(screen, (0, j), (w - 1, j), 255, 3)
    screen = cv2.GaussianBlur(screen, (0, 0), 1.5)
    s2c = Homography.fit(np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5],
                                   [-0.5, h - 0.5]]),
                         np.array([[380.0, 60.0], [900.0, 80.0], [880.0, 900.0], [400.0, 890.0]]))
    dist = RadialDistortion(-0.15 / 1280**2, 640.0, 480.0)
    # render the distorted camera image: for each camera px, where is it on the screen?
    xs, ys = np.meshgrid(np.arange(SIZE[0], dtype=np.float64), np.arange(SIZE[1], dtype=np.float64))
    ideal = dist.undistort(np.c_[xs.ravel(), ys.ravel()])
    on_screen = s2c.inverse().apply(ideal).astype(np.float32)
    cam = cv2.remap(screen, on_screen[:, 0].reshape(SIZE[1], SIZE[0]),
                    on_screen[:, 1].reshape(SIZE[1], SIZE[0]), cv2.INTER_LINEAR)
    with_lens = ScreenRectifier(s2c.inverse(), (w, h), 1.0, dist).view(cam)
    without = ScreenRectifier(s2c.inverse(), (w, h), 1.0).view(cam)
    inner = (slice(20, h - 20), slice(20, w - 20))
    err_lens = np.abs(with_lens[inner].astype(int) - screen[inner].astype(int)).mean()
    err_plain = np.abs(without[inner].astype(int) - screen[inner].astype(int)).mean()
    assert err_lens < 4.0 < 3 * err_lens < err_plain, (err_lens, err_plain)


def test_the_lens_view_is_each_tiles_warp_in_one_remap():
    # the view through a lens is warped tile by tile, each tile by the homography exact at its
    # corners; worked out once per image size, it is one remap of the camera image: the same
    # samples as warping each tile, up to the last bit of their coordinates
    w, h = 360, 640
    s2c = Homography.fit(np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5],
                                   [-0.5, h - 0.5]]),
                         np.array([[380.0, 60.0], [900.0, 80.0], [880.0, 900.0], [400.0, 890.0]]))
    rect = ScreenRectifier(s2c.inverse(), (w, h), 0.5,
                           RadialDistortion(-0.15 / 1280**2, 640.0, 480.0))
    assert rect._tiles is not None and len(rect._tiles) > 1
    image = np.random.default_rng(5).integers(0, 256, (SIZE[1], SIZE[0], 3), np.uint8)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    expected = np.zeros((rect.view_size_px[1], rect.view_size_px[0]), np.uint8)
    for x0, y0, x1, y1, m in rect._tiles:
        cv2.warpPerspective(gray, m, (x1 - x0, y1 - y0), expected[y0:y1, x0:x1],
                            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    got = rect.view(image)
    diff = np.abs(got.astype(int) - expected)
    assert diff.max() <= 1 and np.count_nonzero(diff) < 0.005 * diff.size


def _twin_dots_error(k1: float, use_lens: bool, scale: float = 0.25) -> np.ndarray:
    """Show bright dots at known screen px on the twin phone, rectify a camera frame with the
    twin calibration and return each dot's distance (view px) from where it should land."""
    from tapbot.rig import build_rig

    rig = build_rig(None, seed=3, overrides={"camera": {"k1": k1}})
    rig.open()
    w, h = rig.device.screen_px
    image = np.zeros((h, w, 3), np.uint8)
    dots = [(fx * w, fy * h) for fx in (0.08, 0.5, 0.92) for fy in (0.05, 0.5, 0.95)]
    radius = 45
    for x, y in dots:
        cv2.circle(image, (round(x * 16), round(y * 16)), radius * 16, (255, 255, 255), -1,
                   cv2.LINE_AA, 4)
    rig.link.show_image(image)
    rig.clock.sleep(0.3)
    cal = rig.calibration
    if not use_lens:
        cal = cal.model_copy(update={"camera_distortion": None})
    rect = ScreenRectifier.for_calibration(cal, rig.device.screen_px, scale)
    view = rect.view(rig.camera.latest().image).astype(np.float64)
    errors = []
    for x, y in dots:
        vx, vy = rect.screen_to_view(x, y)
        r = 1.6 * radius * scale
        x0, y0 = int(vx - r), int(vy - r)
        patch = np.clip(view[y0:int(vy + r) + 1, x0:int(vx + r) + 1] - 20.0, 0.0, None)
        ys, xs = np.mgrid[y0:y0 + patch.shape[0], x0:x0 + patch.shape[1]]
        cx, cy = (patch * xs).sum() / patch.sum(), (patch * ys).sum() / patch.sum()
        errors.append(np.hypot(cx - vx, cy - vy))
    rig.close()
    return np.asarray(errors)


@pytest.mark.parametrize("k1", [0.0, -0.01, -0.05])
def test_the_twin_view_lines_up_with_the_true_screen(k1):
    # dots (1/12 of the screen wide) drawn at known screen px land where the view says, to a
    # fraction of a view px: the dots' centroids agree to ~0.06 view px on a lens-free camera
    # (that is the measurement's own floor); the lens tiles add at most 0.1 camera px
    # (0.15 view px at scale 0.25 on the 640x480 twin camera)
    err = _twin_dots_error(k1, use_lens=True)
    assert err.max() < 0.15, err
    if k1 != 0.0:
        # the check has teeth: ignoring the same lens misplaces the corner dots
        plain = _twin_dots_error(k1, use_lens=False)
        assert plain.max() > 0.2 and plain.max() > 2 * err.max(), (plain, err)
