"""The twin camera's pixels(): a frame rendered at a few points equals the whole frame there."""

from __future__ import annotations

import numpy as np
import pytest

from tapbot.cameras.base import Camera
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


@pytest.mark.parametrize("options", [
    {},
    {"flicker_depth": 0.3, "phase_s": 0.003, "markers": True},
    {"size_px": (1280, 720), "fps": 240, "exposure_s": 0.004, "k1": -0.05},
])
def test_pixels_equal_the_whole_frame_at_those_points(options: dict) -> None:
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    world = SimWorld(clock, phone)
    opts = SimCameraOptions(**options)
    sparse = SimCamera(opts, world)  # renders points only
    whole = SimCamera(opts, world)  # renders frames
    robot = SimRobot(SimRobotOptions(), world)
    rng = np.random.default_rng(5)
    w, h = opts.size_px
    points = (rng.integers(0, h, 3000), rng.integers(0, w, 3000))
    x, y = world.true_screen_to_robot().apply_point(540.0, 1700.0)
    phone.open_app("Video", clock.now())
    t_from = clock.now()
    robot.move_to(x, y, 300.0)  # the tool crosses the screen: motion blur over the points
    robot.move_to(x + 10.0, y - 30.0, 200.0)
    clock.sleep(0.2)
    samples = sparse.pixels(t_from, clock.now(), points)
    frames = whole.frames(t_from, clock.now())
    assert len(samples) == len(frames) > 10
    for sample, frame in zip(samples, frames, strict=True):
        assert (sample.t, sample.index) == (frame.t, frame.index)
        np.testing.assert_array_equal(sample.values, frame.image[points])
    assert not np.array_equal(samples[0].values, samples[-1].values)  # the scene moved


def test_thinned_pixels_follow_the_frames_grid_and_reject_outside_points() -> None:
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    camera = SimCamera(SimCameraOptions(), SimWorld(clock, phone))
    clock.sleep(1.0)
    points = (np.array([10, 200]), np.array([20, 300]))
    got = camera.pixels(0.0, 1.0, points, min_interval_s=0.1)
    assert [s.index for s in got] == [f.index for f in camera.frames(0.0, 1.0, 0.1)]
    # the contract's default (from whole frames) gives the same values
    default = Camera.pixels(camera, 0.0, 1.0, points, min_interval_s=0.1)
    for a, b in zip(got, default, strict=True):
        np.testing.assert_array_equal(a.values, b.values)
    with pytest.raises(ValueError, match="inside"):
        camera.pixels(0.0, 1.0, (np.array([480]), np.array([0])))


@pytest.mark.parametrize("fingers", [1, 2])
def test_pixels_equal_the_whole_frame_with_the_tool_moving_and_pressing(fingers: int) -> None:
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    world = SimWorld(clock, phone)
    opts = SimCameraOptions(k1=-0.03, flicker_depth=0.2)
    sparse = SimCamera(opts, world)
    whole = SimCamera(opts, world)
    robot = SimRobot(SimRobotOptions(fingers=fingers), world)
    to_robot = world.true_screen_to_robot()
    x, y = to_robot.apply_point(300.0, 900.0)
    tip = np.round(whole.project_deck(np.array([[x, y, world.glass_z_mm]]))[0]).astype(int)
    # random points, and every pixel of a block around where the fingers press
    rng = np.random.default_rng(7)
    w, h = opts.size_px
    by, bx = np.mgrid[tip[1] - 40:tip[1] + 41, tip[0] - 60:tip[0] + 61]
    points = (np.concatenate([rng.integers(0, h, 2000), by.ravel()]),
              np.concatenate([rng.integers(0, w, 2000), bx.ravel()]))
    glass, hover = world.glass_z_mm, world.glass_z_mm + 10.0
    t_from = clock.now()
    for dx in (0.0, 12.0):  # the same press twice, elsewhere: its shapes recur
        robot.move_to(x + dx, y, 250.0)
        robot.finger_down(0, glass)
        clock.sleep(0.05)
        robot.finger_up(0, hover)
    if fingers == 2:  # a pinch: the tool turns and closes while both fingers touch
        robot.move_pair_to((x - 15.0, y), (x + 15.0, y + 6.0), 200.0)
        robot.pair_down(glass)
        robot.move_pair_to((x - 8.0, y + 2.0), (x + 8.0, y + 2.0), 60.0)
        robot.pair_up(hover)
    clock.sleep(0.1)
    samples = sparse.pixels(t_from, clock.now(), points)
    frames = whole.frames(t_from, clock.now())
    assert len(samples) == len(frames) > 30
    for sample, frame in zip(samples, frames, strict=True):
        np.testing.assert_array_equal(sample.values, frame.image[points], err_msg=str(frame.t))
    # the tool is in view over the block: skin colour shows there in some frames
    block = slice(2000, None)
    skin = [np.abs(f.image[points][block].astype(int) - (120, 160, 215)).max(axis=1).min()
            for f in frames]
    assert min(skin) <= 3
    # the same camera: points sampled now equal its frames (cached or rendered again)
    again = whole.pixels(t_from, clock.now(), points)
    for sample, frame in zip(again, frames, strict=True):
        np.testing.assert_array_equal(sample.values, frame.image[points])
    # a frame does not depend on which were drawn before: a camera going backwards agrees
    backwards = SimCamera(opts, world)
    for frame in frames[::-7]:
        np.testing.assert_array_equal(backwards.render(frame.index).image, frame.image)


def test_presses_draw_the_tool_once_per_height() -> None:
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    world = SimWorld(clock, phone)
    camera = SimCamera(SimCameraOptions(), world)
    robot = SimRobot(SimRobotOptions(fingers=1, repeatability_mm=0.0, backlash_mm=0.0), world)
    x, y = world.true_screen_to_robot().apply_point(540.0, 1200.0)
    glass, hover = world.glass_z_mm, world.glass_z_mm + 10.0
    robot.move_to(x, y, 250.0)
    robot.finger_up(0, hover)
    t0 = clock.now()
    for i in range(8):  # presses on one spot, between trips elsewhere, each seen at other heights
        robot.move_to(x + 3.0 * i, y - 4.0 * i, 250.0)
        robot.move_to(x, y, 250.0)
        robot.finger_down(0, glass)
        clock.sleep(0.05)
        robot.finger_up(0, hover)
    frames = camera.frames(t0, clock.now())
    assert len(frames) > 80
    shapes = list(camera._sprites)
    # travel keeps the shape (in new cells); a press adds only heights, at most one per 0.25 mm
    assert {s[:2] + s[3:5] for s in shapes} == {(0, 0, 0, 0)}
    last = shapes[-1][-2:]  # the press's cell
    pressed = {s for s in shapes if s[-2:] == last}
    assert 8 < len(pressed) <= 10.0 / 0.25 + 1


def test_frames_asked_for_again_are_the_whole_frames_whether_kept_or_first_seen_half_exposed(
        ) -> None:
    """The samples of a frame whose exposure has ended are kept and handed again; a frame asked
    for while its exposure runs shows the scene so far, is not kept, and is whole later."""
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    world = SimWorld(clock, phone)
    opts = SimCameraOptions()
    sparse = SimCamera(opts, world)
    whole = SimCamera(opts, world)
    SimRobot(SimRobotOptions(), world)
    rng = np.random.default_rng(11)
    w, h = opts.size_px
    points = (rng.integers(0, h, 2000), rng.integers(0, w, 2000))
    phone.open_app("Video", clock.now())  # a new picture every video frame
    clock.sleep(0.5)
    t_from = clock.now()
    last: dict[int, np.ndarray] = {}
    half_exposed = 0
    for _ in range(40):  # overlapping asks, ending at every phase of the frame clock
        clock.sleep(0.0171)
        for sample in sparse.pixels_here(t_from, clock.now(), points):
            if sample.t + opts.exposure_s / 2 > clock.now():
                half_exposed += 1
            last[sample.index] = sample.values
    frames = whole.frames(t_from, clock.now())
    assert half_exposed > 5 and len(frames) > 30
    for frame in frames:
        np.testing.assert_array_equal(last[frame.index], frame.image[points])
    pts = sparse._points_for(points)
    assert len(pts.ended) > 30  # (kept: the asks after the first were served from them)
