"""The runner's eyes: pulls frames from the camera as the clock moves and rectifies them."""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from dataclasses import dataclass

import numpy as np

from tapbot.cameras.base import Camera
from tapbot.core.frames import Frame
from tapbot.vision import ScreenRectifier

logger = logging.getLogger(__name__)


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

    @property
    def frame_period_s(self) -> float:
        return self.camera.frame_period_s

    def views(self, since: float, until: float, min_interval_s: float = 0.0) -> list[View]:
        out = [self._view(f) for f in self.camera.frames(since, until, min_interval_s)]
        if out:
            self.recent.extend(out[-8:])
        return out

    def _view(self, frame: Frame) -> View:
        """Rectify ``frame`` once; monitors sampling the same frame share the view."""
        view = self._cache.get(frame.index)
        if view is not None and view.t == frame.t:
            return view
        image = self.rectifier.view(frame.image)
        image.setflags(write=False)  # shared by monitors; lets the detector cache its blur
        view = View(frame.t, image, frame)
        self._cache[frame.index] = view
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return view

    def view_at(self, t: float) -> View:
        """The last view captured at or before ``t``."""
        period = self.frame_period_s
        got = self.views(t - 1.5 * period, t)
        if not got:
            got = self.views(t - 3 * period, t)
        return got[-1]

    def first_change(self, t_from: float, t_to: float, changed, stride: int = 3
                     ) -> View | None:
        """The first view in ``(t_from, t_to]`` for which ``changed(view)`` holds.

        Looks at every ``stride``-th frame, then bisects the last gap, so a response that stays
        changed is found exactly while only a few frames are rectified.
        """
        period = self.frame_period_s
        coarse = self.views(t_from, t_to, min_interval_s=stride * period * 0.999)
        tail = self.views(max(t_from, t_to - period), t_to)
        if tail and (not coarse or tail[-1].t > coarse[-1].t):
            coarse.append(tail[-1])  # the interval's last frame is always examined
        prev_t = t_from
        for view in coarse:
            if changed(view.image):
                fine = self.views(prev_t, view.t - period * 0.5)
                lo, hi = 0, len(fine)  # first changed index in fine, or len(fine)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if changed(fine[mid].image):
                        hi = mid
                    else:
                        lo = mid + 1
                return fine[lo] if lo < len(fine) else view
            prev_t = view.t
        return None
