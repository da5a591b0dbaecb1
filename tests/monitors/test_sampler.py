"""The frame sampler's grid: where its rows lie on the screen."""

from tapbot.monitors.sampler import FrameSampler
from tapbot.rig import build_rig


def test_the_grid_rows_of_a_screen_stretch_are_the_nearest_rows_either_way_round():
    rig = build_rig(None, seed=1)
    w, h = rig.device.screen_px  # 1080 x 2400: rows start at 312 px, 43.5 px apart
    sampler = FrameSampler(rig.calibration, (w, h), top_frac=0.13, rows=48)
    assert sampler.rows_between(312.0, 312.0 + 43.5) == (0, 1)
    assert sampler.rows_between(h - 1.0, 0.0) == (0, 47)  # clipped, either order
    row_10 = 312.0 + 10.5 * 43.5  # the centre of row 10
    assert sampler.rows_between(row_10, row_10) == (10, 10)
    assert sampler.rows_between(2340.0, 2340.0) == (46, 47)  # the navigation bar: the last rows
