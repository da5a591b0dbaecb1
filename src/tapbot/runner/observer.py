"""The runner's eyes: pulls frames from the camera as the clock moves and rectifies them."""

from __future__ import annotations

import logging
import math
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tapbot.cameras.base import Camera
from tapbot.core.frames import Frame
from tapbot.vision import ScreenRectifier

logger = logging.getLogger(__name__)

COARSE_STRIDE = 6  # first_change looks at every this many frames, then bisects


@dataclass(frozen=True, slots=True)
class View:
    """A screen view (gray, scaled screen px) with its capture time and the raw frame."""

    t: float
    image: np.ndarray
    frame: Frame


class Observer:
    """Turns camera frames into screen views and keeps a short history for evidence."""

    def __init__(self, camera: Camera, rectifier: ScreenRectifier, history: int = 48,
                 cache: int = 64) -> None:
        self.camera = camera
        self.rectifier = rectifier
        self.recent: deque[View] = deque(maxlen=history)
        self._cache: OrderedDict[int, View] = OrderedDict()
        self._cache_size = cache
        # id(frame image) -> (frame image, its view): frames that are one image share a view
        self._by_image: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    @property
    def frame_period_s(self) -> float:
        return self.camera.frame_period_s

    def views(self, since: float, until: float, min_interval_s: float = 0.0) -> list[View]:
        out = [self._view(f) for f in self.camera.frames(since, until, min_interval_s)]
        if out:
            self.recent.extend(out[-8:])
        return out

    def views_covering(self, since: float, until: float, interval_s: float) -> list[View]:
        """One view per frame that ``views(since, until, interval_s)`` would hand, oldest
        first: the latest frame already viewed (and still cached) in the ``interval_s`` up to
        that frame and after the view taken for the one before, else that frame itself.

        For a scan that must look at least every ``interval_s`` and follows the runner's own
        looks (a touch's await and settle view the screen several times a second): it
        renders and rectifies only where they left a gap. Consecutive views lie less than
        ``2 * interval_s`` apart."""
        stamps = self.camera.frame_stamps(since, until, interval_s)
        if not stamps:
            return []
        lowest = max(since, stamps[0][1] - interval_s)
        known = sorted((v for v in self._cache.values() if lowest < v.t <= stamps[-1][1]),
                       key=lambda v: v.t)
        half = 0.5 * self.frame_period_s
        out: list[View] = []
        last = since
        i = 0
        for _, t in stamps:
            pick = None
            while i < len(known) and known[i].t <= t + 1e-9:
                if known[i].t > max(last, t - interval_s) + 1e-9:
                    pick = known[i]
                i += 1
            if pick is None:
                got = self.camera.frames(t - half, t)
                if not got:
                    continue
                pick = self._view(got[-1])
            out.append(pick)
            last = pick.t
        self.recent.extend(out[-8:])
        return out

    def _view(self, frame: Frame) -> View:
        """Rectify ``frame`` once; monitors sampling the same frame share the view, and so do
        frames that are the same read-only image (a camera may hand one image twice)."""
        view = self._cache.get(frame.index)
        if view is not None and view.t == frame.t:
            return view
        image = self._rectified(frame)
        view = View(frame.t, image, frame)
        self._cache[frame.index] = view
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return view

    def _rectified(self, frame: Frame) -> np.ndarray:
        pixels = frame.pixels_key
        shared = not pixels.flags.writeable
        if shared:
            known = self._by_image.get(id(pixels))
            if known is not None and known[0] is pixels:
                self._by_image.move_to_end(id(pixels))
                return known[1]
        image = self.rectifier.view_of(frame)
        image.setflags(write=False)  # shared by monitors; lets the detector cache its blur
        if shared:
            self._by_image[id(pixels)] = (pixels, image)
            if len(self._by_image) > self._cache_size:
                self._by_image.popitem(last=False)
        return image

    def view_at(self, t: float) -> View:
        """The last view captured at or before ``t``."""
        period = self.frame_period_s
        # one period back holds one frame of a steady camera: only it is rendered/rectified
        for back in (period, 1.5 * period, 3 * period):
            got = self.views(t - back, t)
            if got:
                return got[-1]
        raise LookupError(f"no frame captured in the {3 * period:.3f} s before {t:.3f} s")

    def frame_near(self, t: float) -> View | None:
        """The view of the frame captured nearest ``t`` (within half a frame period), if any;
        only that frame is rendered/rectified."""
        half = 0.5 * self.frame_period_s
        got = self.views(t - half, t + half)
        return got[-1] if got else None

    def first_change(self, t_from: float, t_to: float, changed, stride: int = COARSE_STRIDE,
                     first_moved: Callable[[float, float], float | None] | None = None
                     ) -> View | None:
        """The first view in ``(t_from, t_to]`` for which ``changed(view)`` holds.

        Looks at every ``stride``-th frame counted back from the interval's last frame, then
        bisects the gap before the first changed one, fetching only the frames it looks at: a
        response that stays changed is found exactly while only a few frames are rectified.
        ``first_moved(t0, t1)``, if given, is a cheaper look (the glitch grid) at the frames in
        ``(t0, t1]``: the capture time of the first one it sees clearly changed, tried before
        the bisection (see :meth:`_bisect`).
        """
        period = self.frame_period_s
        last = self.views(max(t_from, t_to - period), t_to)
        if not last:
            return None
        coarse_t = [last[-1].t]
        while coarse_t[-1] - stride * period > t_from + 0.5 * period:
            coarse_t.append(coarse_t[-1] - stride * period)
        prev_t = t_from
        for t in reversed(coarse_t):
            view = last[-1] if t == coarse_t[0] else self.frame_near(t)
            if view is None:
                continue
            if changed(view.image):
                return self._bisect(prev_t, view, changed, first_moved)
            prev_t = view.t
        return None

    def _bisect(self, t_unchanged: float, view: View, changed,
                first_moved: Callable[[float, float], float | None] | None = None) -> View:
        """The first changed view among the frames strictly between ``t_unchanged`` (where
        nothing had changed yet) and ``view`` (changed), or ``view``; a response stays changed,
        so bisection finds it, fetching only the frames it looks at.

        With ``first_moved``, the frame it names is tried first: changed, with the frame
        before it unchanged, it is the answer (two views); otherwise the bisection goes on
        before or after it."""
        period = self.frame_period_s
        if first_moved is not None and view.t - t_unchanged > 1.5 * period:
            t_moved = first_moved(t_unchanged, view.t)
            moved = None if t_moved is None else \
                view if abs(t_moved - view.t) < period / 2 else self.frame_near(t_moved)
            if moved is not None:
                if not changed(moved.image):
                    t_unchanged = moved.t  # the grid saw what the view does not: after it
                else:
                    before = self.frame_near(moved.t - period) \
                        if moved.t - period > t_unchanged + period / 2 else None
                    if before is None or not changed(before.image):
                        return moved
                    view = before
        n = max(0, math.ceil((view.t - t_unchanged) / period - 1e-6) - 1)
        seen: dict[int, View | None] = {}

        def before(i: int) -> View | None:  # the frame i periods before view
            if i not in seen:
                seen[i] = self.frame_near(view.t - i * period)
            return seen[i]

        lo, hi = 0, n  # index from the oldest gap frame; lo == n means view itself
        while lo < hi:
            mid = (lo + hi) // 2
            v = before(n - mid)
            if v is not None and changed(v.image):
                hi = mid
            else:
                lo = mid + 1
        found = before(n - lo) if lo < n else None
        return found if found is not None else view
