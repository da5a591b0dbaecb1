"""The digitizer's log against the robot's touches: ghost touches, offsets and drift, with
hand-computed values."""

import pytest

from tapbot.devices.link import TouchEvent
from tapbot.monitors.touchlog import DriftWatch, TouchLog

PX_PER_MM = (16.0, 16.0)


def test_a_reported_touch_no_robot_touch_explains_is_a_ghost_and_is_reported_once():
    log = TouchLog(PX_PER_MM)
    log.commanded(1.00, 1.06, (100.0, 200.0))
    log.reported([TouchEvent(1.00, "down", 101.0, 199.0), TouchEvent(1.06, "up", 101.0, 199.0),
                  TouchEvent(3.50, "down", 500.0, 900.0), TouchEvent(3.56, "up", 500.0, 900.0)])
    (ghost,) = log.ghosts(settled_before=4.0)
    assert (ghost.t_down, ghost.t_up, ghost.x_px, ghost.y_px) == (3.50, 3.56, 500.0, 900.0)
    assert log.ghosts(settled_before=5.0) == []


def test_a_second_down_while_the_robot_finger_is_down_is_a_ghost_too():
    log = TouchLog(PX_PER_MM)
    log.commanded(1.00, 1.30, (100.0, 200.0))
    log.reported([TouchEvent(1.00, "down", 100.0, 200.0), TouchEvent(1.10, "down", 800.0, 50.0),
                  TouchEvent(1.16, "up", 800.0, 50.0), TouchEvent(1.30, "up", 100.0, 200.0)])
    (ghost,) = log.ghosts(settled_before=2.0)
    assert (ghost.t_down, ghost.t_up, ghost.x_px) == (1.10, 1.16, 800.0)
    assert log.offset_mm(1.00, (100.0, 200.0)) == 0.0  # the robot's own down, not the ghost


def test_a_down_after_the_last_robot_touch_waits_until_it_is_settled():
    log = TouchLog(PX_PER_MM)
    log.reported([TouchEvent(2.0, "down", 10.0, 10.0)])
    assert log.ghosts(settled_before=2.0) == []  # a robot touch at 2.0 may still be fed
    log.commanded(2.0, 2.06, (10.0, 10.0))
    assert log.ghosts(settled_before=3.0) == []


def test_offset_is_the_distance_in_mm_from_the_commanded_point():
    log = TouchLog(PX_PER_MM)
    log.commanded(1.0, 1.06, (100.0, 100.0))
    log.reported([TouchEvent(1.0, "down", 100.0 + 48.0, 100.0 + 64.0)])
    assert log.offset_mm(1.0, (100.0, 100.0)) == pytest.approx(5.0)  # 3 mm by 4 mm
    assert log.offset_mm(2.0, (100.0, 100.0)) is None  # not reported: a dead zone


def test_drift_is_seen_when_the_offset_passes_the_limit_with_its_onset_fitted_back():
    watch = DriftWatch(max_mm=1.5)
    assert watch.feed(0.0, 0.1) is None  # on target
    # offsets growing 0.25 mm/s from t = 10 s: 0.75 at 13, 1.25 at 15, 1.75 at 17
    assert watch.feed(13.0, 0.75) is None
    assert watch.feed(15.0, 1.25) is None
    seen = watch.feed(17.0, 1.75)
    assert seen is not None and seen.t_seen == 17.0
    assert seen.t_onset == pytest.approx(10.0)
    assert seen.rate_mm_s == pytest.approx(0.25)
    assert watch.feed(19.0, 2.25) is None  # the same drift
    assert watch.feed(21.0, 0.2) is None  # back on target ...
    assert watch.feed(25.0, 3.0) is not None  # ... so a new drift is seen again
