"""The camera contract: a source of timestamped frames (DESIGN rule 3).

``frames(since, until)`` hands every frame whose capture time lies in ``(since, until]``; the
twin renders them on demand, a real camera keeps a ring buffer filled by a capture thread. No
frame ever leaves a camera without its capture time on the rig's clock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from tapbot.core.frames import Frame, PixelSample


class Camera(ABC):
    """A camera looking at the deck from above."""

    fps: float
    size_px: tuple[int, int]
    #: How far back (s) ``frames`` can still hand frames: a real camera's ring buffer.
    history_s: float = 10.0

    @property
    def frame_period_s(self) -> float:
        return 1.0 / self.fps

    @abstractmethod
    def setup(self) -> None:
        """Open the camera."""

    @abstractmethod
    def stop(self) -> None:
        """Release the camera."""

    @abstractmethod
    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        """Frames captured in ``(since, until]``, oldest first.

        ``min_interval_s`` thins the result to the frames whose ``index`` is a multiple of
        ``thinning_stride(min_interval_s)``: a grid fixed to the frame sequence, so monitors
        sampling at multiples of one interval look at the same frames (and a camera can cache
        them). ``until`` must not lie in the future of the rig's clock.
        """

    def frame_stamps(self, since: float, until: float, min_interval_s: float = 0.0
                     ) -> list[tuple[int, float]]:
        """``(index, capture time)`` of each frame :meth:`frames` would hand for the same
        arguments, without handing the frames: for a caller that may not need them all (see
        :meth:`Observer.views_covering <tapbot.runner.observer.Observer.views_covering>`). A
        camera that can tell them without making the frames (the twin) overrides this."""
        return [(f.index, f.t) for f in self.frames(since, until, min_interval_s)]

    @staticmethod
    def interval_is_empty(since: float, until: float, now: float) -> bool:
        """Check a ``frames`` request against the clock: ``until`` in the future raises
        ``ValueError``; returns True when ``(since, until]`` holds no time at all."""
        if until > now + 1e-9:
            raise ValueError(f"until={until:.6f} s lies in the future (now is {now:.6f} s)")
        return until <= since

    def thinning_stride(self, min_interval_s: float) -> int:
        """Every how many frames a thinned request keeps one."""
        return max(1, round(min_interval_s * self.fps))

    def pixels(self, since: float, until: float, points: tuple[np.ndarray, np.ndarray],
               min_interval_s: float = 0.0) -> list[PixelSample]:
        """The pixels at camera ``points`` (``(rows, cols)`` integer arrays) of every frame
        :meth:`frames` would hand for the same arguments, oldest first.

        For monitors that look at every frame but only at a few thousand pixels of it (a
        glitch). A camera that can produce them more cheaply than whole frames (the twin)
        overrides this; the values are the same as ``frame.image[points]``.
        """
        return [PixelSample(f.at(*points).reshape(len(points[0]), -1), f.t, f.index)
                for f in self.frames(since, until, min_interval_s)]

    def pixels_later(self, since: float, until: float, points: tuple[np.ndarray, np.ndarray],
                     min_interval_s: float = 0.0) -> Callable[[], list[PixelSample]]:
        """Ask now for :meth:`pixels`; call the result to collect them (once).

        For a monitor that can take its answer later (at its next look): a camera that
        produces the samples elsewhere (the twin's copy in a second process) works on them
        meanwhile, and the caller does not wait. The samples are those of the frames captured
        in ``(since, until]`` as of now, whenever they are collected. This default reads them
        at once.
        """
        got = self.pixels(since, until, points, min_interval_s)
        return lambda: got

    def pixel_sink(self, sink: PixelSink) -> SinkLink:
        """Run ``sink`` on the point samples of this camera's frames, and return how to talk
        to it (see :class:`SinkLink`). This default runs it in the caller's process; a camera
        that makes the samples elsewhere (the twin's copy) may run it there. Asking twice for
        one sink gives one link."""
        links: dict[int, SinkLink] = self.__dict__.setdefault("_pixel_sink_links", {})
        link = links.get(id(sink))
        if link is None or link.sink is not sink:
            link = links[id(sink)] = SinkLink(self, sink)
        return link

    @abstractmethod
    def latest(self) -> Frame:
        """The most recent frame at the rig's current time (peek, not consume)."""


class PixelSink(Protocol):
    """A monitor that looks at every frame through a few points and is fed their samples in
    order (the glitch watch). Its other inputs are method calls that return nothing, so a
    camera may run it where the samples are made (the twin's copy, in a second process) and
    hand it those calls as messages, in the order they were made (see :class:`SinkLink`)."""

    def feed_pixels(self, samples: list[PixelSample]) -> list[Any]:
        """Take the next frames' samples (oldest first); returns what it found in them."""
        ...

    def reset(self) -> None:
        """Forget the frames fed so far: the next ones do not follow them."""
        ...


class SinkLink:
    """How a caller talks to a :class:`PixelSink` its camera runs: inputs in order
    (:meth:`call`), frames asked for now (:meth:`ask`) and fed later (:meth:`feed`: after the
    inputs made meanwhile), whose findings are collected later still. A caller that keeps to
    that order gets the same findings wherever the sink runs.

    This base runs the sink in the caller's process (:meth:`Camera.pixel_sink`)."""

    #: How long (rig clock) after a feed its findings should be collected: 0 when the sink
    #: runs in the caller's process (they are ready at once); a link to a sink that runs
    #: elsewhere, behind the caller, says how far behind it may fall without the caller
    #: waiting for it.
    collect_after_s: float = 0.0

    def __init__(self, camera: Camera, sink: PixelSink) -> None:
        self.camera = camera
        self.sink = sink

    def call(self, method: str, *args: Any) -> None:
        """Call the sink's ``method`` (it returns nothing) after the inputs before it."""
        getattr(self.sink, method)(*args)

    def ask(self, since: float, until: float, points: tuple[np.ndarray, np.ndarray],
            min_interval_s: float = 0.0) -> Any:
        """Ask for the samples of :meth:`Camera.pixels` now (as of now); returns a ticket for
        :meth:`feed`, to be fed once."""
        return self.camera.pixels_later(since, until, points, min_interval_s)

    def feed(self, ticket: Any) -> Callable[[], list[Any]]:
        """Feed the sink the frames of ``ticket``, after the inputs given so far; returns how
        to collect what it found (once)."""
        found = self.sink.feed_pixels(ticket())
        return lambda: found
