"""The camera contract's defaults: frame stamps from the frames, and a pixel sink run in the
caller's process, fed in the order of its inputs."""

from __future__ import annotations

import math

import numpy as np

from tapbot.cameras.base import Camera
from tapbot.core.frames import Frame

FPS = 60.0


class _CountingCamera(Camera):
    """Frame k is k / FPS, its pixels all k % 256."""

    def __init__(self, now: float) -> None:
        self.fps = FPS
        self.size_px = (4, 4)
        self.now = now

    def setup(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        if self.interval_is_empty(since, until, self.now):
            return []
        k0 = math.floor(since * FPS + 1e-9) + 1
        k1 = math.floor(until * FPS + 1e-9)
        n = self.thinning_stride(min_interval_s) if min_interval_s > 0 else 1
        return [Frame(image=np.full((4, 4, 3), k % 256, np.uint8), t=k / FPS, index=k)
                for k in range(-(-k0 // n) * n, k1 + 1, n)]

    def latest(self) -> Frame:
        return self.frames(self.now - 1 / FPS, self.now)[-1]


class _Log:
    def __init__(self) -> None:
        self.events: list[object] = []

    def note(self, what: object) -> None:
        self.events.append(what)

    def reset(self) -> None:
        self.events.append("reset")

    def feed_pixels(self, samples) -> list[int]:
        self.events.append([s.index for s in samples])
        return [int(s.values[0, 0]) for s in samples]


def test_frame_stamps_are_those_of_the_frames() -> None:
    camera = _CountingCamera(now=1.0)
    assert camera.frame_stamps(0.0, 0.5, 0.25) == [(15, 15 / FPS), (30, 30 / FPS)]


def test_a_sink_here_takes_its_inputs_and_frames_in_the_order_given() -> None:
    camera = _CountingCamera(now=2.0)
    sink = _Log()
    link = camera.pixel_sink(sink)
    assert camera.pixel_sink(sink) is link
    points = (np.array([0, 1]), np.array([0, 1]))
    ticket = link.ask(0.0, 0.1, points)
    link.call("note", "touched")
    collect = link.feed(ticket)
    link.call("reset")
    assert collect() == [1, 2, 3, 4, 5, 6]
    assert sink.events == ["touched", [1, 2, 3, 4, 5, 6], "reset"]
