"""A recorded video played back as a camera, on the rig clock."""

import cv2
import numpy as np
import pytest

from tapbot.cameras.replay import ReplayCamera, ReplayCameraOptions
from tapbot.core.clock import VirtualClock
from tapbot.core.errors import ConfigError

FPS = 30
N = 12


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """Frame k is a flat gray of level 20 * k, so every frame can be told apart."""
    path = tmp_path_factory.mktemp("vid") / "run.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (64, 48))
    for k in range(N):
        writer.write(np.full((48, 64, 3), 20 * k, np.uint8))
    writer.release()
    return path


def level(frame):
    return round(float(frame.image.mean()) / 20)


def camera(video, start_s=1.0, now=10.0):
    clock = VirtualClock(now)
    cam = ReplayCamera(ReplayCameraOptions(path=video, start_s=start_s), clock)
    cam.setup()
    return cam, clock


def test_frames_carry_the_file_times_shifted_to_the_rig_clock(video):
    cam, _ = camera(video)
    frames = cam.frames(1.0 + 0.01, 1.0 + 0.19)  # file times 1/30 .. 5/30 s
    assert [f.index for f in frames] == [1, 2, 3, 4, 5]
    assert [level(f) for f in frames] == [1, 2, 3, 4, 5]
    assert [f.t for f in frames] == pytest.approx([1.0 + k / FPS for k in range(1, 6)])
    assert cam.fps == FPS and cam.size_px == (64, 48)


def test_thinning_uses_the_index_grid(video):
    cam, _ = camera(video)
    frames = cam.frames(0.0, 1.0 + 0.36, min_interval_s=0.1)  # stride 3
    assert [f.index for f in frames] == [0, 3, 6, 9]


def test_going_back_rewinds_the_file(video):
    cam, _ = camera(video)
    assert [f.index for f in cam.frames(1.2, 1.3)] == [7, 8, 9]
    assert [level(f) for f in cam.frames(0.5, 1.05)] == [0, 1]


def test_latest_follows_the_clock_and_holds_the_last_frame_after_the_end(video):
    cam, clock = camera(video, start_s=0.0, now=0.25)
    assert cam.latest().index == 7  # 7/30 = 0.233 <= 0.25 < 8/30
    clock.advance_to(5.0)
    assert cam.latest().index == N - 1
    assert cam.frames(1.0, 5.0) == []


def test_the_future_is_refused_and_a_missing_file_is_a_config_error(video, tmp_path):
    cam, _ = camera(video, now=2.0)
    with pytest.raises(ValueError, match="future"):
        cam.frames(0.0, 3.0)
    with pytest.raises(ConfigError, match="does not exist"):
        ReplayCamera(ReplayCameraOptions(path=tmp_path / "nope.avi"), VirtualClock()).setup()
