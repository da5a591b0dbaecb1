"""The twin robot: trapezoidal timing, repeatability, contact with the glass."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import SimPhone, SimPhoneOptions, SimRobot, SimRobotOptions, SimWorld


def _robot(**opts: object) -> tuple[VirtualClock, SimWorld, SimRobot]:
    clock = VirtualClock()
    world = SimWorld(clock, SimPhone(SimPhoneOptions(), clock))
    return clock, world, SimRobot(SimRobotOptions(**opts), world)


@pytest.mark.parametrize(
    ("dx", "expected_s"),
    [
        (7.5, 0.1),  # short: v^2/a = 30 mm > 7.5 -> 2*sqrt(7.5/3000) = 0.1 s
        (120.0, 0.5),  # long: 120/300 + 300/3000 = 0.5 s
        (30.0, 0.2),  # exactly v^2/a: 30/300 + 0.1 = 0.2 s (both formulas agree)
    ],
)
def test_move_advances_clock_by_trapezoid_time(dx: float, expected_s: float) -> None:
    clock, _, robot = _robot(repeatability_mm=0.0)
    robot.move_to(dx, 0.0, 500.0)  # speed is capped at max_speed_mm_s = 300
    assert clock.now() == pytest.approx(expected_s, abs=1e-12)
    assert robot.request_position()[:2] == (dx, 0.0)


def test_slower_requested_speed_is_used() -> None:
    clock, _, robot = _robot(repeatability_mm=0.0)
    robot.move_to(0.0, 100.0, 100.0)  # 100/100 + 100/3000
    assert clock.now() == pytest.approx(1.0 + 1 / 30, abs=1e-12)


def test_repeatability_noise_statistics() -> None:
    _, _, robot = _robot(repeatability_mm=0.05, seed=7, backlash_mm=0.0, shear_pct=0.0)
    errs = []
    for i in range(2000):
        tx, ty = 50.0 + (i % 2) * 10, 60.0
        robot.move_to(tx, ty, 300.0)
        assert robot.request_position()[:2] == pytest.approx((tx, ty), abs=1e-9)  # commanded
        x, y, _ = robot.true_finger_position(0)
        errs.append((x - tx, y - ty))
    e = np.asarray(errs)
    assert np.abs(e.mean(axis=0)).max() < 0.005
    assert e.std(axis=0) == pytest.approx([0.05, 0.05], rel=0.1)


def test_same_seed_same_landing_points() -> None:
    a = _robot(seed=3)[2]
    b = _robot(seed=3)[2]
    for r in (a, b):
        r.move_to(80.0, 90.0, 300.0)
    assert a.true_finger_position() == b.true_finger_position()


def test_finger_above_glass_makes_no_touch() -> None:
    _clock, world, robot = _robot(repeatability_mm=0.0)
    robot.move_to(60.0, 80.0, 300.0)
    robot.finger_down(0, 0.2)  # glass at 0, tolerance 0.05
    robot.finger_up(0, 5.0)
    assert world.phone.truth.touches == []
    robot.finger_down(0, 0.04)
    assert len(world.phone.truth.touches) == 1


def test_down_and_up_timing_and_moves_while_down() -> None:
    clock, world, robot = _robot(repeatability_mm=0.0, backlash_mm=0.0, shear_pct=0.0)
    robot.move_to(60.0, 80.0, 300.0)
    t_move_end = clock.now()
    robot.finger_down(0, 0.0)
    t_down = clock.now()
    assert t_down == pytest.approx(t_move_end + 0.04)
    robot.move_to(60.0, 110.0, 300.0)  # 30 mm: 0.2 s, samples every 1/120 s
    t_up_start = clock.now()
    robot.finger_up(0, 5.0)
    assert clock.now() == pytest.approx(t_up_start + 0.04)
    touch = world.phone.truth.touches[0]
    assert touch.t_down == pytest.approx(t_down)
    assert touch.t_up == pytest.approx(t_up_start)
    events = world.phone.digitizer_events(-1.0)
    moves = [e for e in events if e.action == "move"]
    assert len(moves) == 24  # 0.2 s * 120 Hz
    dts = np.diff([t_down] + [e.t for e in moves])
    assert np.allclose(dts, 1 / 120)
    ppy = world.phone.profile.px_per_mm[1]
    assert moves[-1].y_px - events[0].y_px == pytest.approx(30.0 * ppy)
    assert all(b.y_px >= a.y_px for a, b in itertools.pairwise(moves))
    assert events[-1].action == "up"


def test_off_screen_finger_makes_no_touch() -> None:
    _, world, robot = _robot(repeatability_mm=0.0)
    robot.move_to(10.0, 10.0, 300.0)  # screen starts at (40, 30) mm
    robot.finger_down(0, 0.0)
    assert world.phone.truth.touches == []
    assert math.isclose(robot.request_position()[2], 0.0)


def test_backlash_loses_motion_only_when_an_axis_reverses() -> None:
    # play operator, backlash 0.2 mm: the load trails the motor by 0.1 mm in the last direction
    _, _, robot = _robot(repeatability_mm=0.0, backlash_mm=0.2, shear_pct=0.0, fingers=1)
    expected = [(50.0, 49.9), (60.0, 59.9), (55.0, 55.1), (55.05, 55.1), (70.0, 69.9)]
    for target, true_x in expected:
        robot.move_to(target, 0.0, 300.0)
        assert robot.true_finger_position()[0] == pytest.approx(true_x, abs=1e-12), target
        assert robot.request_position()[0] == target  # the controller believes the target


def test_shear_moves_deck_x_with_y_and_the_phone_feels_it() -> None:
    _, world, robot = _robot(repeatability_mm=0.0, backlash_mm=0.0, shear_pct=1.0, fingers=1)
    robot.move_to(60.0, 100.0, 300.0)
    assert robot.true_finger_position()[:2] == pytest.approx((61.0, 100.0), abs=1e-12)
    robot.finger_down(0, 0.0)
    touch = world.phone.truth.touches[0]
    x_px, y_px = world.true_screen_to_robot().inverse().apply_point(61.0, 100.0)
    assert (touch.x_px, touch.y_px) == pytest.approx((x_px, y_px), abs=1e-6)


def test_world_history_has_the_hovering_finger_on_its_trapezoid() -> None:
    clock, world, robot = _robot(repeatability_mm=0.0, backlash_mm=0.0, shear_pct=0.0,
                                 fingers=1)
    robot.move_to(120.0, 0.0, 300.0)  # 0.5 s: accel 0.1 s, cruise 0.3 s, decel 0.1 s
    # at 0.05 s: 0.5 * 3000 * 0.05^2 = 3.75 mm; at 0.25 s: 15 + 300 * 0.15 = 60 mm
    for t, x in ((0.05, 3.75), (0.25, 60.0), (0.45, 120.0 - 3.75), (0.7, 120.0)):
        pose = world.tool_pose_at(t)
        assert pose is not None
        assert pose.fingers[0] == pytest.approx((x, 0.0, 10.0), abs=1e-9), t
    assert clock.now() == pytest.approx(0.5, abs=1e-12)


def test_travel_limit_refuses_before_moving_and_locks_out_until_homed() -> None:
    from tapbot.sim.robot import TravelLimitAlarm

    clock, _, robot = _robot(repeatability_mm=0.0, fingers=1, travel_x_mm=(-5.0, 150.0))
    robot.move_to(100.0, 50.0, 300.0)
    t, pos = clock.now(), robot.request_position()
    with pytest.raises(TravelLimitAlarm, match=r"carriage x 151\.00 mm outside"):
        robot.move_to(151.0, 50.0, 300.0)
    assert clock.now() == t and robot.request_position() == pos
    with pytest.raises(TravelLimitAlarm, match="locked out"):
        robot.move_to(90.0, 50.0, 300.0)
    robot.home()
    assert robot.request_position()[:2] == (0.0, 0.0)
    robot.move_to(90.0, 50.0, 300.0)


def test_two_finger_tool_places_both_tips() -> None:
    _, _, robot = _robot(repeatability_mm=0.0, backlash_mm=0.0, shear_pct=0.0)
    assert robot.fingers == 2 and robot.pair_separation_mm == (12.0, 90.0)
    robot.move_to(30.0, 40.0, 300.0)  # finger 1 rides 20 mm to the +x side
    assert robot.true_finger_position(1)[:2] == pytest.approx((50.0, 40.0))
    robot.move_pair_to((70.0, 80.0), (70.0, 110.0), 300.0)  # turned to +y, 30 mm apart
    assert robot.true_finger_position(0)[:2] == pytest.approx((70.0, 80.0))
    assert robot.true_finger_position(1)[:2] == pytest.approx((70.0, 110.0))
    assert robot.request_position()[:2] == pytest.approx((70.0, 80.0))


def test_one_finger_robot_has_no_pair_moves() -> None:
    from tapbot.core.errors import HardwareError

    _, _, robot = _robot(fingers=1)
    with pytest.raises(HardwareError, match="one finger"):
        robot.move_pair_to((10.0, 10.0), (30.0, 10.0), 100.0)
    with pytest.raises(HardwareError, match="one finger"):
        robot.pair_down(0.0)


def test_a_calibration_through_the_true_shear_lands_taps_exactly() -> None:
    _, world, robot = _robot(repeatability_mm=0.0, backlash_mm=0.0, shear_pct=1.0, fingers=1)
    screen_to_machine = world.true_screen_to_robot().then(robot.true_machine_to_deck().inverse())
    x_mm, y_mm = screen_to_machine.apply_point(800.0, 2000.0)
    robot.move_to(x_mm, y_mm, 300.0)
    robot.finger_down(0, 0.0)
    touch = world.phone.truth.touches[0]
    assert (touch.x_px, touch.y_px) == pytest.approx((800.0, 2000.0), abs=1e-6)
