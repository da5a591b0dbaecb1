"""The twin camera's shortcuts give what the long way gives: the tool's anchors in plain floats,
the tool at points (against the tool drawn on the image), a moving tool's poses."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import (
    SimCamera,
    SimCameraOptions,
    SimPhone,
    SimPhoneOptions,
    SimRobot,
    SimRobotOptions,
    SimWorld,
)
from tapbot.sim import camera as sim_camera
from tapbot.sim.robot import CARRIAGE_ABOVE_TIP_MM
from tapbot.sim.tool_sprites import _rounded_divide, tool_at_points, tool_layer
from tapbot.sim.world import ToolPose


def _camera(**options: object) -> SimCamera:
    clock = VirtualClock()
    world = SimWorld(clock, SimPhone(SimPhoneOptions(), clock))
    return SimCamera(SimCameraOptions(**options), world)


def _tips(camera: SimCamera, poses: list[ToolPose]) -> np.ndarray:
    z = camera.world.glass_z_mm
    return np.array([(p.fingers[0][0], p.fingers[0][1], z) for p in poses], np.float64)


@pytest.mark.parametrize("options", [
    {},
    {"k1": -0.05, "k2": 0.02, "camera_height_mm": 200.0},
    {"size_px": (1280, 720), "rotation_deg": -7.0, "keystone": 0.1},
])
def test_anchors_are_the_projection_rounded(options: dict,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    camera = _camera(**options)
    rng = np.random.default_rng(11)
    poses = [ToolPose(((x, y, z),), (x, y + 30.0, z + 30.0))
             for x, y, z in zip(rng.uniform(-40, 260, 3000), rng.uniform(-40, 260, 3000),
                                rng.uniform(0, 10, 3000), strict=True)]
    exact = np.round(camera._project_fast(_tips(camera, poses))).astype(np.int64).tolist()
    got = [camera._anchors(poses[i:i + 4]) for i in range(0, len(poses), 4)]
    assert [list(a) for batch in got for a in batch] == exact
    # near a half, the numpy projection decides (here: everywhere)
    monkeypatch.setattr(sim_camera, "_ROUNDING_MARGIN_PX", 0.6)
    assert [list(a) for a in camera._anchors(poses[:50])] == exact[:50]


def test_tool_at_points_is_the_tool_layer_there() -> None:
    """Keys of several placements, counts and shapes (a press, a fast travel) at every pixel of
    the image: the same integers as the tool drawn on a box of the image."""
    clock = VirtualClock()
    world = SimWorld(clock, SimPhone(SimPhoneOptions(), clock))
    camera = SimCamera(SimCameraOptions(), world)
    robot = SimRobot(SimRobotOptions(fingers=2), world)
    x, y = world.true_screen_to_robot().apply_point(500.0, 1200.0)
    t0 = clock.now()
    robot.move_to(x, y, 300.0)
    robot.pair_down(world.glass_z_mm)
    robot.pair_up(world.glass_z_mm + 8.0)
    robot.move_to(x - 40.0, y + 30.0, 300.0)
    w, h = camera.size_px
    ys, xs = (a.ravel() for a in np.mgrid[0:h, 0:w])
    half = camera.exposure_s / 2
    kinds = set()
    for k in camera.frame_indices(t0, clock.now()):
        t = camera.frame_time(k)
        key = camera._tool_key(t - half, t + half)
        assert key is not None
        kinds.add((min(len(key), 3), len({shape for shape, _, _ in key}),
                   max(count for *_, count in key)))
        sprites = camera._sprites_of(key)
        hit, colour, keep = tool_at_points(key, sprites, ys, xs)
        drawn = tool_layer(key, sprites, camera.size_px)
        assert drawn is not None
        x0, y0, want_colour, want_keep = drawn
        box = ((ys[hit] - y0).astype(int), (xs[hit] - x0).astype(int))
        np.testing.assert_array_equal(colour, want_colour[box])
        np.testing.assert_array_equal(keep, want_keep[box])
        # outside the points hit, the drawing leaves the image as it is
        outside = np.ones((h, w), bool)
        outside[ys[hit], xs[hit]] = False
        region = outside[y0:y0 + want_keep.shape[0], x0:x0 + want_keep.shape[1]]
        assert (want_colour[region] == 0).all() and (want_keep[region] == 255).all()
    # single placements, several of one shape, several shapes; counts above one
    assert {(1, 1), (2, 1), (2, 2)} <= {kind[:2] for kind in kinds}
    assert max(kind[2] for kind in kinds) > 1


@pytest.mark.parametrize("n", range(1, sim_camera._MAX_TOOL_SAMPLES + 1))
def test_rounded_divide_is_the_integer_quotient(n: int) -> None:
    """Every sum a tool drawing of ``n`` instants can hold, in each of four channels and in
    the one-channel keep: the same uint8 as ``(x + n // 2) // n`` in integers."""
    x = np.arange(255 * n + 1, dtype=np.uint16)
    sums = np.stack([x, x[::-1], x, x], axis=1)[:, None, :]  # (rows, 1 col, 4 channels)
    want = (x.astype(np.int64) + n // 2) // n
    got = _rounded_divide(sums, n)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got[:, 0, 0], want)
    np.testing.assert_array_equal(got[:, 0, 1], want[::-1])
    want_keep = (255 * n - x.astype(np.int64) + n // 2) // n
    np.testing.assert_array_equal(_rounded_divide(x[:, None], n, from_=255 * n)[:, 0],
                                  want_keep)


def _pose_from_axes(robot: SimRobot, ax) -> ToolPose:
    """The tool's pose from the machine's axes, finger by finger (the long way)."""
    cx, cy = ax.lx + ax.nx, ax.ly + ax.ny
    tips = []
    for i in range(robot.fingers):
        ox, oy = robot._offset(i, ax.angle, ax.sep)
        tips.append((*robot._deck(cx + ox, cy + oy), ax.z[i]))
    return ToolPose(tuple(tips), (*robot._deck(cx, cy), max(ax.z) + CARRIAGE_ABOVE_TIP_MM))


def test_a_moving_tools_poses_are_the_worlds() -> None:
    """The poses reused for an exposure's ends and the poses the robot interpolates straight
    to are the world's poses at those instants."""
    clock = VirtualClock()
    world = SimWorld(clock, SimPhone(SimPhoneOptions(), clock))
    camera = SimCamera(SimCameraOptions(), world)
    robot = SimRobot(SimRobotOptions(fingers=2), world)
    t0 = clock.now()
    robot.move_pair_to((60.0, 90.0), (85.0, 100.0), 250.0)
    robot.pair_down(world.glass_z_mm)
    robot.move_to(70.0, 120.0, 200.0)
    robot.pair_up(world.glass_z_mm + 6.0)
    ts = np.linspace(t0, clock.now(), 400).tolist()
    moves = [m for m in world._motions if hasattr(m, "axes_at")]
    assert len(moves) >= 4
    for motion in moves:
        for t in ts:
            assert motion.pose_at(t) == _pose_from_axes(robot, motion.axes_at(t))
    for s0, s1 in itertools.pairwise(ts):
        first, last = world.tool_pose_at(s0), world.tool_pose_at(s1)
        for n in (2, 3, 7):
            want = [world.tool_pose_at(s0 + i / (n - 1) * (s1 - s0)) for i in range(n)]
            assert camera._sampled_poses(s0, s1, n, first, last) == want


@pytest.mark.parametrize("margin", [None, 0.6])
def test_tool_keys_worked_out_together_are_each_frames_own(
        margin: float | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys of a batch's moving frames, their travel measured in one projection, are the
    keys each frame works out alone (also where every count is left to the frame's own
    projection: ``margin``)."""
    if margin is not None:
        monkeypatch.setattr(sim_camera, "_ROUNDING_MARGIN_PX", margin)
    clock = VirtualClock()
    world = SimWorld(clock, SimPhone(SimPhoneOptions(), clock))
    together = SimCamera(SimCameraOptions(k1=-0.04), world)
    alone = SimCamera(SimCameraOptions(k1=-0.04), world)
    robot = SimRobot(SimRobotOptions(fingers=2), world)
    t0 = clock.now()
    for i, speed in enumerate((40.0, 150.0, 300.0)):
        robot.move_to(60.0 + 25.0 * i, 90.0 + 15.0 * i, speed)
        robot.pair_down(world.glass_z_mm)
        robot.pair_up(world.glass_z_mm + 5.0)
    robot.move_pair_to((50.0, 100.0), (80.0, 110.0), 200.0)
    now = clock.now()
    windows = [together._exposure(k, now) for k in together.frame_indices(t0, now)]
    together._prefetch_tool_keys(windows)
    assert len(together._tool_keys) > 40  # the moving frames' keys, worked out together
    assert len({len(key) for key in together._tool_keys.values()}) > 2
    for s0, s1 in windows:
        assert together._tool_key(s0, s1) == alone._tool_key_uncached(s0, s1)


def test_tool_outline_is_carriage_arms_and_tips() -> None:
    """The outline points, from one flat list, are those of the tool's parts, point by point."""
    camera = _camera()
    pose = ToolPose(((50.25, 80.5, 3.0), (70.75, 82.0, 1.5)), (60.5, 81.25, 33.0))
    cx, cy, cz = pose.carriage
    w, h = sim_camera.CARRIAGE_SIZE_MM
    by = cy + sim_camera.CARRIAGE_OFFSET_MM
    a, r = sim_camera.ARM_WIDTH_MM / 2, sim_camera.FINGER_DIAMETER_MM / 2
    want = [(cx - w / 2, by - h / 2, cz), (cx + w / 2, by - h / 2, cz),
            (cx + w / 2, by + h / 2, cz), (cx - w / 2, by + h / 2, cz)]
    for x, y, z in pose.fingers:
        top = z + 0.5 * (cz - z)
        want += [(x - a, y + r * 0.5, top), (x + a, y + r * 0.5, top),
                 (x + a, by - h / 2, cz), (x - a, by - h / 2, cz)]
    for x, y, z in pose.fingers:
        want += [(x, y, z), (x + r, y, z)]
    got = camera._tool_points(pose)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, np.asarray(want, np.float64))
