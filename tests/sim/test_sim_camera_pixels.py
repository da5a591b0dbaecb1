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
