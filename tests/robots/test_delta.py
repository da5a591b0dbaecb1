"""Rotary delta kinematics and the delta GRBL backend."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapbot.core.clock import MonotonicClock, VirtualClock
from tapbot.core.errors import SafetyError
from tapbot.robots.delta import DeltaGeometry
from tapbot.robots.grbl.delta import DeltaGrblOptions, DeltaGrblRobot
from tapbot.robots.grbl.emulator import GrblEmulator
from tapbot.robots.grbl.fakes import LoopbackGrblPort

GEO = DeltaGeometry(base_radius_mm=50, effector_radius_mm=20, upper_arm_mm=80,
                    lower_arm_mm=180)


def test_arms_horizontal_put_the_effector_on_the_axis_at_the_rod_height():
    # by hand: the elbows lie 50 + 80 = 130 mm from the axis, the effector joints 20 mm,
    # so each rod spans 110 mm horizontally and sqrt(180^2 - 110^2) vertically
    x, y, z = GEO.forward((0.0, 0.0, 0.0))
    assert x == pytest.approx(0.0, abs=1e-9)
    assert y == pytest.approx(0.0, abs=1e-9)
    assert z == pytest.approx(-math.sqrt(180**2 - 110**2))


def test_equal_angles_keep_the_effector_on_the_axis():
    x, y, _ = GEO.forward((30.0, 30.0, 30.0))
    assert (x, y) == pytest.approx((0.0, 0.0), abs=1e-9)
    # 30 deg down: elbow at 50 + 80 cos30 from the axis and 80 sin30 = 40 mm below the base
    horiz = 50 + 80 * math.cos(math.radians(30)) - 20
    assert GEO.forward((30.0, 30.0, 30.0))[2] == pytest.approx(-40 - math.sqrt(180**2 - horiz**2))


@settings(max_examples=200, deadline=None)
@given(st.floats(-60, 60), st.floats(-60, 60), st.floats(-230, -160))
def test_inverse_then_forward_returns_the_target(x, y, z):
    try:
        angles = GEO.inverse((x, y, z))
    except SafetyError:
        return
    assert GEO.forward(angles) == pytest.approx((x, y, z), abs=1e-6)


def test_unreachable_targets_are_refused():
    with pytest.raises(SafetyError, match="out of reach"):
        GEO.inverse((0.0, 0.0, -500.0))
    with pytest.raises(SafetyError, match="outside"):
        DeltaGeometry(base_radius_mm=50, effector_radius_mm=20, upper_arm_mm=80,
                      lower_arm_mm=180, max_angle_deg=10).inverse((0.0, 0.0, -220.0))


def options(port):
    return DeltaGrblOptions(port=port, geometry=GEO, center_mm=(100, 100), base_height_mm=220,
                            segment_mm=1.0)


def test_a_straight_move_is_cut_into_joint_segments_at_the_asked_speed():
    clock = VirtualClock()
    port = LoopbackGrblPort(clock)
    b = DeltaGrblRobot(options("loop://"), clock, opener=lambda _o: port)
    b.setup()
    b.finger_up(0, 10.0)  # from the home pose: one joint move
    start = len(port.lines)
    b.move_to(110.0, 100.0, 20.0)  # 10 mm at 20 mm/s: ten 1 mm segments of 0.05 s each
    lines = port.lines[start:]
    assert len(lines) == 10
    prev = b.joints_for((100.0, 100.0, 10.0))
    for i, line in enumerate(lines, 1):
        joints = b.joints_for((100.0 + i, 100.0, 10.0))
        assert line.startswith(f"G1 X{joints[0]:.3f} Y{joints[1]:.3f} Z{joints[2]:.3f} F")
        rate = float(line.split("F")[1])
        assert rate == pytest.approx(math.dist(prev, joints) / 0.05 * 60, abs=0.5)
        prev = joints


def test_an_unreachable_move_sends_nothing():
    clock = VirtualClock()
    port = LoopbackGrblPort(clock)
    b = DeltaGrblRobot(options("loop://"), clock, opener=lambda _o: port)
    b.setup()
    b.finger_up(0, 10.0)
    n = len(port.lines)
    with pytest.raises(SafetyError):
        b.move_to(400.0, 100.0, 50.0)  # far outside the arms' reach
    assert len(port.lines) == n


def test_the_delta_backend_drives_the_emulator_and_reads_its_position_back():
    with GrblEmulator(instant=True) as emu:
        b = DeltaGrblRobot(options(emu.path), MonotonicClock())
        b.setup()
        b.finger_up(0, 10.0)
        b.move_to(95.0, 108.0, 100.0)
        b.finger_down(0, 4.0)
        assert b.request_position() == pytest.approx((95.0, 108.0, 4.0), abs=0.01)
        b.stop()


def test_a_reconnected_delta_keeps_the_controllers_joint_position():
    with GrblEmulator(instant=True) as emu:
        b = DeltaGrblRobot(options(emu.path), MonotonicClock())
        b.setup()
        b.finger_up(0, 10.0)
        b.move_to(95.0, 108.0, 100.0)
        b.setup()  # e.g. after a USB glitch: the board kept its position
        assert b._pos == pytest.approx((95.0, 108.0, 10.0), abs=0.01)
        n = len(emu.lines)
        b.move_to(96.0, 108.0, 100.0)
        assert len(emu.lines) == n + 1  # leaves the recovered pose with one joint move
        b.stop()


def test_delta_move_along_solves_every_leg_first_and_streams_them():
    clock = VirtualClock()
    port = LoopbackGrblPort(clock)
    b = DeltaGrblRobot(options("loop://"), clock, opener=lambda _o: port)
    b.setup()
    b.finger_up(0, 10.0)
    n = len(port.lines)
    with pytest.raises(SafetyError):
        b.move_along([(102.0, 100.0), (400.0, 100.0)], [20.0, 20.0])
    assert len(port.lines) == n  # the unreachable second leg stopped the first one too
    b.move_along([(102.0, 100.0), (102.0, 103.0)], [20.0, 20.0])
    assert len(port.lines) == n + 5  # 2 mm + 3 mm in 1 mm segments
    assert b._pos == (102.0, 103.0, 10.0)
