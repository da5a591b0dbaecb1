"""Strokes: shapes and timing in screen px, and the mapping to robot mm."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tapbot.core import Calibration, FlowError, PointMm, PointPx
from tapbot.core.paths import TouchPath
from tapbot.gestures import Stroke, inside_screen, long_press, swipe, tap, to_touch_path

MM_PER_PX = 0.063
OFFSET_MM = (40.0, 30.0)


def _calibration() -> Calibration:
    return Calibration(
        screen_to_robot=[[MM_PER_PX, 0.0, OFFSET_MM[0]], [0.0, MM_PER_PX, OFFSET_MM[1]], [0, 0, 1]],
        camera_to_screen=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        contact_z_mm=0.0,
        clearance_z_mm=3.0,
    )


def test_tap_lands_and_lifts_in_place_after_hold() -> None:
    s = tap(PointPx(100, 200))
    assert s.kind == "tap" and s.finger == 0
    assert s.points == ((0.0, PointPx(100, 200)), (0.06, PointPx(100, 200)))
    assert s.duration_s == pytest.approx(0.06)
    assert s.start == s.end == PointPx(100, 200)


def test_long_press_holds_longer_in_place() -> None:
    s = long_press(PointPx(5, 6))
    assert s.kind == "long_press"
    assert s.duration_s == pytest.approx(0.8)
    assert s.start == s.end == PointPx(5, 6)
    assert long_press(PointPx(5, 6), hold_s=1.5).duration_s == pytest.approx(1.5)


def test_swipe_samples_evenly_in_time_and_space_including_both_ends() -> None:
    s = swipe(PointPx(100, 1000), PointPx(100, 400), duration_s=0.3, sample_hz=60)
    assert s.kind == "swipe"
    assert len(s.points) == 19  # 18 intervals of 1/60 s
    assert s.start == PointPx(100, 1000) and s.end == PointPx(100, 400)
    assert s.duration_s == pytest.approx(0.3)
    times = [t for t, _ in s.points]
    steps = [b - a for a, b in itertools.pairwise(times)]
    assert all(d == pytest.approx(1 / 60) for d in steps)
    ys = [p.y for _, p in s.points]
    assert all(b - a == pytest.approx(-600 / 18) for a, b in itertools.pairwise(ys))


def test_a_very_short_swipe_still_has_both_ends() -> None:
    s = swipe(PointPx(0, 0), PointPx(10, 0), duration_s=0.001, sample_hz=60)
    assert [p for _, p in s.points] == [PointPx(0, 0), PointPx(10, 0)]


def test_to_touch_path_maps_points_with_the_calibration_and_keeps_times() -> None:
    s = swipe(PointPx(0, 0), PointPx(1000, 2000), duration_s=0.1, sample_hz=20)
    path = to_touch_path(s, _calibration())
    assert isinstance(path, TouchPath)
    assert path.finger == s.finger and path.label == "swipe"
    assert [t for t, _ in path.points] == [t for t, _ in s.points]
    assert path.points[0][1] == PointMm(40.0, 30.0)
    end = path.points[-1][1]
    assert end.x == pytest.approx(40.0 + 63.0) and end.y == pytest.approx(30.0 + 126.0)
    assert path.duration_s == pytest.approx(0.1)


def test_to_touch_path_of_a_tap_is_two_points_at_one_place() -> None:
    path = to_touch_path(tap(PointPx(540, 1200), hold_s=0.05), _calibration())
    (t0, a), (t1, b) = path.points
    assert (t0, t1) == (0.0, 0.05)
    assert a == b
    assert a.x == pytest.approx(40 + 540 * MM_PER_PX) and a.y == pytest.approx(
        30 + 1200 * MM_PER_PX
    )


def test_finger_is_kept() -> None:
    s = Stroke("tap", ((0.0, PointPx(1, 1)), (0.1, PointPx(1, 1))), finger=1)
    assert to_touch_path(s, _calibration()).finger == 1


def test_inside_screen_uses_half_open_pixel_bounds() -> None:
    screen = (1080, 2400)
    assert inside_screen(swipe(PointPx(0, 0), PointPx(1079.9, 2399.9)), screen)
    assert not inside_screen(tap(PointPx(1080, 10)), screen)
    assert not inside_screen(swipe(PointPx(500, 100), PointPx(500, -1)), screen)
    with pytest.raises(FlowError, match="screen_px"):
        inside_screen(tap(PointPx(1, 1)), (0, 2400))


@pytest.mark.parametrize(
    ("make", "arg"),
    [
        (lambda: tap(PointPx(1, 1), hold_s=0), "hold_s"),
        (lambda: tap(PointPx(1, 1), hold_s=-0.1), "hold_s"),
        (lambda: long_press(PointPx(1, 1), hold_s=math.nan), "hold_s"),
        (lambda: swipe(PointPx(0, 0), PointPx(1, 1), duration_s=0), "duration_s"),
        (lambda: swipe(PointPx(0, 0), PointPx(1, 1), sample_hz=-5), "sample_hz"),
        (lambda: tap(PointPx(math.nan, 1)), "p"),
        (lambda: swipe(PointPx(0, 0), PointPx(1, math.inf)), "p1"),
        (lambda: swipe(PointPx(math.nan, 0), PointPx(1, 1)), "p0"),
        (lambda: tap((1, 2)), "p"),
        (lambda: swipe(PointPx(0, 0), PointPx(1, 1), duration_s=1e6), "duration_s"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_raise_flow_error_naming_the_argument(make, arg: str) -> None:
    with pytest.raises(FlowError) as info:
        make()
    assert info.value.message.startswith(arg + " ")


def test_invalid_strokes_raise_flow_error() -> None:
    p = PointPx(1, 1)
    with pytest.raises(FlowError, match="kind"):
        Stroke("pinch", ((0.0, p), (0.1, p)))
    with pytest.raises(FlowError, match="goes back"):
        Stroke("swipe", ((0.0, p), (0.2, p), (0.1, p)))
    with pytest.raises(FlowError, match="at least 2"):
        Stroke("tap", ((0.0, p),))
    with pytest.raises(FlowError, match="longer than 0"):
        Stroke("tap", ((0.0, p), (0.0, p)))


coord = st.floats(min_value=-5000, max_value=5000, allow_nan=False)


@given(
    x0=coord,
    y0=coord,
    x1=coord,
    y1=coord,
    duration_s=st.floats(min_value=1e-3, max_value=5.0),
    sample_hz=st.floats(min_value=1.0, max_value=500.0),
)
def test_swipe_samples_stay_on_the_segment_and_are_time_ordered(
    x0: float, y0: float, x1: float, y1: float, duration_s: float, sample_hz: float
) -> None:
    s = swipe(PointPx(x0, y0), PointPx(x1, y1), duration_s=duration_s, sample_hz=sample_hz)
    times = [t for t, _ in s.points]
    assert times[0] == 0.0 and times[-1] == duration_s
    assert all(a < b for a, b in itertools.pairwise(times))
    assert max(b - a for a, b in itertools.pairwise(times)) <= 1 / sample_hz + 1e-9
    assert s.start == PointPx(x0, y0) and s.end == PointPx(x1, y1)
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    for t, p in s.points:
        # on the segment: no distance off the line, and the fraction along it matches time
        if length > 1e-3:
            cross = (p.x - x0) * dy - (p.y - y0) * dx
            assert abs(cross) / length <= 1e-6 * max(1.0, length)
            along = ((p.x - x0) * dx + (p.y - y0) * dy) / length**2
            assert -1e-9 <= along <= 1 + 1e-9
            assert along == pytest.approx(t / duration_s, abs=1e-9)
        else:  # a (near) zero-length swipe stays (near) put
            assert math.hypot(p.x - x0, p.y - y0) <= length + 1e-9
