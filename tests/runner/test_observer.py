"""Observer.first_change: finds the first changed frame exactly, looking at few frames."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tapbot.cameras.base import Camera
from tapbot.core.frames import Frame
from tapbot.core.geometry import Homography
from tapbot.runner.observer import Observer
from tapbot.vision import ScreenRectifier

FPS = 60.0


class _StepCamera(Camera):
    """Frames k / FPS; the screen turns white from frame ``k_change`` on. Counts fetches."""

    def __init__(self, k_change: int, now: float) -> None:
        self.fps = FPS
        self.size_px = (8, 8)
        self.k_change = k_change
        self.now = now
        self.fetched: list[int] = []

    def setup(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def _frame(self, k: int) -> Frame:
        self.fetched.append(k)
        value = 255 if k >= self.k_change else 0
        return Frame(image=np.full((8, 8), value, np.uint8), t=k / FPS, index=k)

    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        if self.interval_is_empty(since, until, self.now):
            return []
        k0 = math.floor(since * FPS + 1e-9) + 1
        k1 = math.floor(until * FPS + 1e-9)
        n = self.thinning_stride(min_interval_s) if min_interval_s > 0 else 1
        return [self._frame(k) for k in range(-(-k0 // n) * n, k1 + 1, n)]

    def latest(self) -> Frame:
        return self._frame(math.floor(self.now * FPS + 1e-9))


def _observer(camera: Camera) -> Observer:
    return Observer(camera, ScreenRectifier(Homography(np.eye(3)), (8, 8), 1.0))


def _white(image: np.ndarray) -> bool:
    return bool(image.mean() > 128)


@pytest.mark.parametrize("t_from", [0.0, 0.004, 0.0123, 1 / FPS])
@pytest.mark.parametrize("k_change", range(1, 40))
def test_first_change_is_the_first_changed_frame(t_from: float, k_change: int) -> None:
    t_to = 38.5 / FPS
    camera = _StepCamera(k_change, now=t_to)
    hit = _observer(camera).first_change(t_from, t_to, _white)
    first_after = math.floor(t_from * FPS + 1e-9) + 1
    if k_change > 38:
        assert hit is None
    else:
        assert hit is not None and hit.frame.index == max(k_change, first_after)
    # every 6th frame plus a bisection of one gap (3 frames), never every frame
    assert len(set(camera.fetched)) <= math.ceil(38 / 6) + 3


def test_nothing_in_an_empty_interval() -> None:
    camera = _StepCamera(0, now=1.0)
    assert _observer(camera).first_change(0.5, 0.5, _white) is None


class _RepeatCamera(_StepCamera):
    """Hands one read-only image for every frame (a still scene the camera drew once)."""

    def __init__(self, now: float) -> None:
        super().__init__(k_change=10**9, now=now)
        self.image = np.full((8, 8), 90, np.uint8)
        self.image.setflags(write=False)

    def _frame(self, k: int) -> Frame:
        self.fetched.append(k)
        return Frame(image=self.image, t=k / FPS, index=k)


def test_frames_that_are_one_image_share_one_rectified_view(monkeypatch) -> None:
    camera = _RepeatCamera(now=1.0)
    observer = _observer(camera)
    rectified: list[np.ndarray] = []
    view = observer.rectifier.view_of
    monkeypatch.setattr(observer.rectifier, "view_of",
                        lambda frame: rectified.append(frame.image) or view(frame))
    views = observer.views(0.0, 0.5)
    assert len(views) == 30 and len(rectified) == 1
    assert all(v.image is views[0].image for v in views)
    assert [v.t for v in views] == [k / FPS for k in range(1, 31)]  # each keeps its own time
    # a writable image may be changed by its owner: rectified anew each time
    camera.image = np.full((8, 8), 90, np.uint8)
    observer.views(0.5, 0.6)
    assert len(rectified) == 1 + 6


class _StampCamera(_StepCamera):
    """Tells its frames' stamps without making them (as the twin does)."""

    def frame_stamps(self, since: float, until: float, min_interval_s: float = 0.0
                     ) -> list[tuple[int, float]]:
        if self.interval_is_empty(since, until, self.now):
            return []
        k0 = math.floor(since * FPS + 1e-9) + 1
        k1 = math.floor(until * FPS + 1e-9)
        n = self.thinning_stride(min_interval_s) if min_interval_s > 0 else 1
        return [(k, k / FPS) for k in range(-(-k0 // n) * n, k1 + 1, n)]


def test_a_covering_scan_takes_the_frames_already_viewed() -> None:
    camera = _StampCamera(k_change=10**9, now=2.0)
    observer = _observer(camera)
    for k in (5, 20, 40):  # the runner's own looks
        observer.frame_near(k / FPS)
    camera.fetched.clear()
    # the grid's frames are 30 and 60 (0.5 s); the latest look in the half second up to
    # each (and after the one taken before) stands for it
    got = observer.views_covering(0.0, 1.0, 0.5)
    assert [v.frame.index for v in got] == [20, 40]
    assert camera.fetched == []
    # where nothing was looked at, the grid's own frames are made
    got = observer.views_covering(1.0, 2.0, 0.5)
    assert [v.frame.index for v in got] == [90, 120]
    assert camera.fetched == [90, 120]


def test_a_covering_scan_never_leaves_two_intervals_unlooked() -> None:
    camera = _StampCamera(k_change=10**9, now=3.0)
    observer = _observer(camera)
    for k in (2, 31, 59, 61, 150):
        observer.frame_near(k / FPS)
    camera.fetched.clear()
    got = observer.views_covering(0.0, 3.0, 0.5)
    # one look per grid frame (30, 60, ..., 180): the latest earlier look in its half second
    # (61 is after 60, so it stands for 90), else the grid frame
    assert [v.frame.index for v in got] == [2, 59, 61, 120, 150, 180]
    assert camera.fetched == [120, 180]
    ts = [0.0] + [v.t for v in got]
    assert all(b - a < 2 * 0.5 for a, b in itertools.pairwise(ts))

