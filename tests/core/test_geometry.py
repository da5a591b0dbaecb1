import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tapbot.core import CalibrationError, Homography


def test_scale_offset_maps_hand_computed_points():
    h = Homography.scale_offset(0.063, 0.063, 40.0, 30.0)
    assert h.apply_point(1000, 2000) == pytest.approx((103.0, 156.0))


def test_fit_recovers_a_known_perspective_map():
    truth = Homography(np.array([[1.2, 0.1, 5.0], [-0.05, 0.9, 12.0], [1e-4, 2e-4, 1.0]]))
    src = np.array([[0, 0], [1000, 0], [1000, 2000], [0, 2000], [500, 1000], [250, 1700.0]])
    fitted = Homography.fit(src, truth.apply(src))
    probe = np.array([[123.0, 456.0], [900.0, 1900.0]])
    np.testing.assert_allclose(fitted.apply(probe), truth.apply(probe), atol=1e-6)


def test_affine_fit_expresses_shear():
    shear = np.array([[1.0, 0.01, 3.0], [0.0, 1.0, -2.0], [0, 0, 1]])
    src = np.array([[0, 0], [100, 0], [0, 100], [100, 100.0]])
    dst = Homography(shear).apply(src)
    np.testing.assert_allclose(Homography.fit_affine(src, dst).matrix, shear, atol=1e-9)


@pytest.mark.parametrize("src", [
    np.array([[0, 0], [1, 1], [2, 2], [3, 3.0]]),      # on a line
    np.array([[5, 5], [5, 5], [5, 5], [5, 5.0]]),      # duplicates
])
def test_degenerate_points_are_refused_with_advice(src):
    with pytest.raises(CalibrationError, match="line or coincide"):
        Homography.fit(src, src)


def test_too_few_points_are_refused():
    with pytest.raises(CalibrationError, match="at least 4"):
        Homography.fit(np.zeros((3, 2)), np.zeros((3, 2)))


def test_singular_matrix_is_refused():
    with pytest.raises(CalibrationError):
        Homography(np.zeros((3, 3)))


@given(
    st.floats(0.01, 0.2), st.floats(-180, 180), st.floats(-100, 100), st.floats(-100, 100),
    st.lists(st.tuples(st.floats(0, 1080), st.floats(0, 2400)), min_size=1, max_size=20),
)
def test_inverse_round_trips(scale, angle_deg, ox, oy, pts):
    a = np.radians(angle_deg)
    m = np.array([[scale * np.cos(a), -scale * np.sin(a), ox],
                  [scale * np.sin(a), scale * np.cos(a), oy], [0, 0, 1]])
    h = Homography(m)
    p = np.array(pts)
    np.testing.assert_allclose(h.inverse().apply(h.apply(p)), p, atol=1e-6)


def test_a_homography_is_read_only_and_its_inverse_is_worked_out_once():
    """A calibration's maps are made once per matrix and shared (a run maps every touch
    through them): their matrices cannot be changed, and the inverse is kept."""
    rows = [[2.0, 0.0, 5.0], [0.0, 3.0, -1.0], [0.0, 0.0, 1.0]]
    h = Homography.from_list(rows)
    with pytest.raises(ValueError):
        h.matrix[0, 0] = 1.0
    inv = h.inverse()
    assert h.inverse() is inv
    assert np.allclose(inv.apply(h.apply(np.array([[3.0, 4.0]]))), [[3.0, 4.0]])
    source = np.array(rows)
    taken = Homography(source)
    source[0, 0] = 9.0  # the caller's array is not taken over
    assert taken.matrix[0, 0] == 2.0
