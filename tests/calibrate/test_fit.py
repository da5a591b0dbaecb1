"""Fitting probe points: exact recovery, outlier rejection, refusal of degenerate input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapbot.calibrate import check_spread, fit_glass_plane, fit_screen_to_robot
from tapbot.core import CalibrationError

GRID = np.array([[x, y] for y in (240, 1200, 2160) for x in (108, 540, 972)], float)


def _sheared(points: np.ndarray) -> np.ndarray:
    # 0.063 mm/px, rotated 3 degrees, 1 % shear (x += 0.01 y), offset (40, 30)
    a = np.radians(3.0)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    shear = np.array([[1.0, 0.01], [0.0, 1.0]])
    return (shear @ rot @ (0.063 * points.T)).T + np.array([40.0, 30.0])


def test_affine_fit_recovers_rotation_and_shear_exactly():
    fit = fit_screen_to_robot(GRID, _sheared(GRID))
    probe = np.array([[0.0, 0.0], [1079.0, 2399.0], [333.0, 1777.0]])
    assert np.allclose(fit.homography.apply(probe), _sheared(probe), atol=1e-9)
    assert fit.max_mm < 1e-9 and fit.inliers.all()


def test_one_bad_probe_is_rejected_and_reported():
    robot = _sheared(GRID)
    robot[4] += (1.5, -1.0)  # the phone slipped during probe 4
    fit = fit_screen_to_robot(GRID, robot, outlier_mm=1.0)
    assert not fit.inliers[4] and fit.inliers.sum() == 8
    assert fit.residuals_mm[4] == pytest.approx(np.hypot(1.5, 1.0), abs=1e-6)
    assert fit.max_mm < 1e-9


def test_noise_only_is_not_rejected_and_residuals_are_reported_per_point():
    rng = np.random.default_rng(5)
    robot = _sheared(GRID) + rng.normal(0, 0.05, GRID.shape)
    fit = fit_screen_to_robot(GRID, robot)
    assert fit.inliers.all()
    assert fit.residuals_mm.shape == (9,)
    assert 0.005 < fit.rms_mm < 0.1


@pytest.mark.parametrize("points, message", [
    (GRID[:3], "at least 4"),
    (np.array([[100, 100], [200, 200], [300, 300], [400, 400.0]]), "on a line"),
    (np.array([[100, 100], [100.5, 100], [900, 100], [500, 2000.0]]), "coincide"),
])
def test_degenerate_probe_sets_are_refused_with_advice(points, message):
    with pytest.raises(CalibrationError, match=message) as err:
        check_spread(points, points)
    assert "probe" in (err.value.hint or "")


def test_glass_plane_is_recovered():
    xy = _sheared(GRID)
    z = 0.002 * xy[:, 0] - 0.001 * xy[:, 1] + 1.5
    assert fit_glass_plane(xy, z) == pytest.approx((0.002, -0.001, 1.5))


@settings(max_examples=40, deadline=None)
@given(st.floats(-20, 20), st.floats(0.04, 0.1), st.floats(-0.03, 0.03),
       st.floats(0, 150), st.floats(0, 150))
def test_any_affine_gantry_is_fitted_exactly(angle, scale, shear, ox, oy):
    a = np.radians(angle)
    m = np.array([[1, shear], [0, 1]]) @ np.array([[np.cos(a), -np.sin(a)],
                                                   [np.sin(a), np.cos(a)]]) * scale
    robot = GRID @ m.T + (ox, oy)
    fit = fit_screen_to_robot(GRID, robot)
    assert fit.max_mm < 1e-6
