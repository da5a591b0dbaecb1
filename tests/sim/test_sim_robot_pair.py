"""Two-finger gestures on the twin: the front-end's pinch through the pinch tool to the glass."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest

from tapbot.core.clock import VirtualClock
from tapbot.core.errors import HardwareError, SafetyError
from tapbot.core.geometry import PointMm
from tapbot.core.paths import TouchPath
from tapbot.robots import RecordingRobotBackend, Robot, RobotSettings
from tapbot.sim import SimPhone, SimPhoneOptions, SimRobot, SimRobotOptions, SimWorld
from tapbot.sim.robot import trapezoid_distance


def _rig(**opts: object) -> tuple[VirtualClock, SimWorld, Robot]:
    clock = VirtualClock()
    world = SimWorld(clock, SimPhone(SimPhoneOptions(), clock))
    backend = SimRobot(SimRobotOptions(**{"repeatability_mm": 0.0, "backlash_mm": 0.0,
                                          "shear_pct": 0.0, **opts}), world)
    robot = Robot(backend, clock, RobotSettings(), contact_z_mm=0.0)
    robot.home()
    return clock, world, robot


def _pinch(cx: float, cy: float, half_from: float, half_to: float, dur: float
           ) -> tuple[TouchPath, TouchPath]:
    a = TouchPath(((0.0, PointMm(cx - half_from, cy)), (dur, PointMm(cx - half_to, cy))), 0)
    b = TouchPath(((0.0, PointMm(cx + half_from, cy)), (dur, PointMm(cx + half_to, cy))), 1)
    return a, b


def test_pinch_both_fingers_touch_with_the_right_separation_over_time() -> None:
    _, world, robot = _rig()
    a, b = _pinch(74.0, 100.0, 20.0, 8.0, 0.5)  # 40 mm apart -> 16 mm apart
    t_down, t_up = robot.perform_pair(a, b)
    touches = world.phone.truth.touches
    assert len(touches) == 2
    assert touches[0].t_down == touches[1].t_down == t_down
    assert touches[0].t_up == touches[1].t_up == t_up
    # each finger moves 12 mm at 24 mm/s with 3000 mm/s^2 ramps: 0.5 + 0.008 s
    assert t_up - t_down == pytest.approx(0.508, abs=1e-9)
    ppx = world.phone.profile.px_per_mm[0]
    by_t: dict[float, list[float]] = defaultdict(list)
    for e in world.phone.digitizer_events(-1.0):
        by_t[round(e.t, 9)].append(e.x_px)
    pairs = {t: xs for t, xs in by_t.items() if len(xs) == 2}
    assert len(pairs) >= 60  # 120 Hz samples over 0.5 s
    for t, xs in pairs.items():
        f = trapezoid_distance(t - t_down, 12.0, 24.0, 3000.0) / 12.0
        expected_mm = 40.0 - 24.0 * f
        assert abs(xs[1] - xs[0]) / ppx == pytest.approx(expected_mm, abs=1e-6), t
    assert robot.fingers_down == frozenset()


def test_pinch_narrower_than_the_tool_allows_is_refused_before_moving() -> None:
    clock, world, robot = _rig()
    t0 = clock.now()
    a, b = _pinch(74.0, 100.0, 20.0, 4.0, 0.5)  # 8 mm apart at the end; the tool needs 12
    with pytest.raises(SafetyError, match=r"8\.0\.\.40\.0 mm apart"):
        robot.perform_pair(a, b)
    assert clock.now() == t0 and world.phone.truth.touches == []


def test_fingers_crossing_is_caught_between_points() -> None:
    # the ends are 30 mm apart both times, but the fingers swap sides through 0 mm
    _, _, robot = _rig()
    a = TouchPath(((0.0, PointMm(60.0, 100.0)), (0.5, PointMm(90.0, 100.0))), 0)
    b = TouchPath(((0.0, PointMm(90.0, 100.0)), (0.5, PointMm(60.0, 100.0))), 1)
    with pytest.raises(SafetyError, match=r"0\.0\.\.30\.0 mm apart"):
        robot.perform_pair(a, b)


def test_pinch_outside_the_envelope_is_refused() -> None:
    _, _, robot = _rig()
    a, b = _pinch(195.0, 100.0, 4.0, 10.0, 0.5)  # finger 1 ends at x = 205 > 200
    with pytest.raises(SafetyError, match="outside the work envelope"):
        robot.perform_pair(a, b)


def test_one_finger_backends_refuse_pair_gestures() -> None:
    backend = RecordingRobotBackend()
    with pytest.raises(HardwareError, match="one finger"):
        backend.move_pair_to((0.0, 0.0), (20.0, 0.0), 10.0)
    robot = Robot(backend, VirtualClock(), RobotSettings(), contact_z_mm=0.0)
    a, b = _pinch(74.0, 100.0, 20.0, 8.0, 0.5)
    with pytest.raises(SafetyError, match="two fingers"):
        robot.perform_pair(a, b)
    assert not [c for c in backend.calls if c[0] != "setup"]


def test_zoom_turned_by_45_degrees_keeps_the_fingers_on_their_diagonal() -> None:
    _, world, robot = _rig()
    c = (74.0, 100.0)
    u = (math.cos(math.pi / 4), math.sin(math.pi / 4))
    a = TouchPath(((0.0, PointMm(c[0] - 8 * u[0], c[1] - 8 * u[1])),
                   (0.4, PointMm(c[0] - 25 * u[0], c[1] - 25 * u[1]))), 0)
    b = TouchPath(((0.0, PointMm(c[0] + 8 * u[0], c[1] + 8 * u[1])),
                   (0.4, PointMm(c[0] + 25 * u[0], c[1] + 25 * u[1]))), 1)
    robot.perform_pair(a, b)
    to_mm = world.true_screen_to_robot()
    for touch in world.phone.truth.touches:
        x, y = to_mm.apply_point(touch.x_px, touch.y_px)
        assert abs((x - c[0]) - (y - c[1])) < 1e-6  # on the 45-degree line through c
        assert math.hypot(x - c[0], y - c[1]) == pytest.approx(8.0, abs=1e-6)
