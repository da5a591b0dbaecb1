"""The deck's tool history: what the camera draws from, bounded like everything in the twin."""

from __future__ import annotations

import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import SimPhone, SimPhoneOptions, SimRobot, SimRobotOptions, SimWorld
from tapbot.sim.world import FINGER_HISTORY_S


def _robot() -> tuple[VirtualClock, SimWorld, SimRobot]:
    clock = VirtualClock()
    world = SimWorld(clock, SimPhone(SimPhoneOptions(), clock))
    robot = SimRobot(SimRobotOptions(repeatability_mm=0.0, backlash_mm=0.0, shear_pct=0.0,
                                     fingers=1), world)
    return clock, world, robot


def test_the_tool_rests_where_its_last_motion_ended() -> None:
    clock, world, robot = _robot()
    assert world.tool_pose_at(0.0).fingers == ((0.0, 0.0, 10.0),)
    robot.move_to(30.0, 0.0, 300.0)  # 0.2 s
    clock.sleep(5.0)
    assert world.tool_pose_at(clock.now()).fingers == ((30.0, 0.0, 10.0),)
    assert world.tool_pose_at(0.1).fingers[0][0] == pytest.approx(15.0)  # half way, by symmetry


def test_history_is_bounded_to_about_twelve_seconds() -> None:
    clock, world, robot = _robot()
    for i in range(2000):  # ~100 s of back-and-forth moves
        robot.move_to(20.0 + (i % 2) * 10, 40.0, 300.0)
    assert clock.now() > 100
    kept = world._motions
    assert kept[0].t_end >= clock.now() - FINGER_HISTORY_S - 1.0
    assert len(kept) < 400
    # older times answer with the oldest kept pose instead of failing
    assert world.tool_pose_at(1.0) is not None


def test_motions_out_of_order_are_refused() -> None:
    clock, world, robot = _robot()
    clock.sleep(1.0)
    robot.move_to(30.0, 0.0, 300.0)  # starts at 1.0 s

    class Late:
        t_start = 0.5
        t_end = 0.6

        def pose_at(self, t: float):
            return None

    with pytest.raises(ValueError, match="older than the last"):
        world.tool_motion(Late())


def test_a_robot_finger_lifts_itself_not_a_ghost_finger_down_nearer() -> None:
    """The phone hears each robot finger's moves and lift as that finger's, wherever other
    fingers are: a ghost touch (a fault: a finger-down nobody made) down near where the robot
    lifts does not take the lift, leaving the robot's finger down on the glass for ever (seed
    5 of the 3 h bench: a swipe up on the lock screen whose lift went to a stale finger held
    the lock screen half lifted for the rest of the run)."""
    from tapbot.sim import FaultEvent, FaultOptions
    from tapbot.sim.apps import layout as L

    clock = VirtualClock()
    icon = L.icon_center(0)
    ghost = FaultEvent(kind="ghost_touch", at_s=3.0, at=icon)
    phone = SimPhone(SimPhoneOptions(faults=FaultOptions(schedule=[ghost])), clock)
    world = SimWorld(clock, phone)
    w, h = phone.profile.screen_px

    def contact(t: float, fx: float, fy: float, action: str) -> None:
        clock.advance_to(t)
        x_mm, y_mm = world.deck_to_screen(t).inverse().apply_point(fx * w, fy * h)
        world.finger_contact(0, t, x_mm, y_mm, world.glass_z_mm, action)

    contact(2.95, 0.5, 0.9, "down")  # far from the ghost
    contact(3.0, 0.5, 0.6, "move")
    contact(3.02, icon[0] + 0.02, icon[1], "up")  # beside the ghost, which is still down
    clock.advance_to(3.2)
    phone.update(3.2)
    assert not phone._fingers  # every finger lifted: the robot's and the ghost's
    robot, ghost_touch = sorted(phone.truth.touches, key=lambda touch: touch.ghost)
    assert not robot.ghost and robot.t_up == pytest.approx(3.02)
    assert ghost_touch.ghost and ghost_touch.t_up == pytest.approx(3.06)
