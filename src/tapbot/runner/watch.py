"""Watching the screen over time: waiting for a change (await), for the screen to stop changing
(settle), for a while (wait), and watching an animation that must keep moving (a freeze when it
stands still)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from tapbot.core.frames import PixelSample
from tapbot.monitors import AnimationWatch
from tapbot.monitors.glitch import JUMP_LEVEL, change_level
from tapbot.monitors.sampler import as_sample, as_samples
from tapbot.runner.interrupts import FlowAbandoned
from tapbot.runner.observer import COARSE_STRIDE, View

logger = logging.getLogger(__name__)


#: A frame moved when at least this many glitch-grid points changed by ``JUMP_LEVEL`` or more
#: from the frame looked at before (far more than a change too small for a view to see): no
#: view is needed to tell (:meth:`WatchMixin._still_after`); fewer are not judged by the grid.
MIN_JUMPED_POINTS = 8


def grid_moved(a: np.ndarray, b: np.ndarray, seen: np.ndarray) -> bool:
    """Whether ``MIN_JUMPED_POINTS`` or more of the ``seen`` points of two grid samples
    changed by ``JUMP_LEVEL``."""
    level = change_level(as_sample(b)[seen], as_sample(a)[seen])
    return int(np.count_nonzero(level >= JUMP_LEVEL)) >= MIN_JUMPED_POINTS


def grid_moves(prev: PixelSample | None, samples: list[PixelSample], seen: np.ndarray
               ) -> list[bool]:
    """:func:`grid_moved` of each of ``samples`` from the one before it (the first from
    ``prev``; False when there is none), for a batch at once."""
    if not samples:
        return []
    batch = samples if prev is None else [prev, *samples]
    stack = as_samples(batch, seen)
    level = change_level(stack[1:], stack[:-1])
    moved = (np.count_nonzero(level >= JUMP_LEVEL, axis=1) >= MIN_JUMPED_POINTS).tolist()
    return moved if prev is not None else [False, *moved]


def first_grid_moved(base: np.ndarray, samples: list[PixelSample], seen: np.ndarray
                     ) -> int | None:
    """The index of the first of ``samples`` whose grid moved (:func:`grid_moved`) from the
    sample ``base``, if any."""
    if not samples:
        return None
    level = change_level(as_samples(samples, seen), as_sample(base)[seen])
    hits = np.flatnonzero(np.count_nonzero(level >= JUMP_LEVEL, axis=1) >= MIN_JUMPED_POINTS)
    return int(hits[0]) if len(hits) else None


class WatchMixin:
    """Settle, watch and await on the rig clock (mixed into :class:`~tapbot.runner.Runner`)."""

    def _await(self, predicate: Callable[[np.ndarray], bool], t_from: float,
               timeout_s: float, chunk_s: float = 0.1, every_frame: bool = False,
               first_moved: Callable[[float, float], float | None] | None = None
               ) -> View | None:
        """The first view after ``t_from`` for which ``predicate`` holds, within ``timeout_s``.

        Waits on the rig clock in small chunks, as frames arrive. Looks at every few frames and
        bisects before the first hit (:meth:`Observer.first_change`): a change that stays is
        found exactly; ``every_frame`` looks at each, for one that may come and go between
        them (a key's preview). ``first_moved``: a cheaper look at frames that may name the
        first changed one (:meth:`Observer.first_change`, :meth:`_grid_first_moved`).
        """
        deadline = t_from + timeout_s
        t_scan = t_from
        while True:
            target = min(deadline, t_scan + chunk_s)
            self.clock.sleep(target - self.clock.now())
            until = min(self.clock.now(), deadline)
            hit = self.observer.first_change(t_scan, until, predicate,
                                             1 if every_frame else COARSE_STRIDE, first_moved)
            if hit is not None:
                return hit
            if until >= deadline - 1e-9:
                return None
            t_scan = until

    def _grid_first_moved(self, ref: View, mask: np.ndarray | None
                          ) -> Callable[[float, float], float | None]:
        """For :meth:`_await`: the first frame in ``(t0, t1]`` whose glitch grid, outside
        ``mask``, clearly moved (:func:`grid_moved`) from ``ref``'s frame."""
        points = self.glitch_sampler.points(self.rig.camera.size_px)
        seen = self._grid_outside(mask)
        base = ref.frame.at(*points)

        def first_moved(t0: float, t1: float) -> float | None:
            samples = self.rig.camera.pixels(t0, t1, points)
            i = first_grid_moved(base, samples, seen)
            return None if i is None else samples[i].t

        return first_moved

    def _await_still(self, mask: np.ndarray, t_from: float, timeout_s: float) -> float | None:
        """When the screen stopped moving after ``t_from`` (a pause), judged on every frame:
        the capture time of its last change (see :meth:`_still_after`)."""
        return self._still_after(t_from, mask, self.observer.frame_period_s, timeout_s)

    def _last_change_before(self, t: float, mask: np.ndarray, lookback_s: float,
                            interval_s: float = 0.1) -> float:
        """When the screen last changed before ``t``, looking back at most ``lookback_s``
        (views ``interval_s`` apart, a second at a time): the capture time of the first view
        that shows what ``t`` shows (``t - lookback_s`` if it was still all that time)."""
        ref = self.observer.view_at(t)
        t_still = ref.t
        t_hi = ref.t
        while t_hi > t - lookback_s:
            t_lo = max(t - lookback_s, t_hi - 1.0)
            for earlier in reversed(self.observer.views(t_lo, t_hi, interval_s)):
                if self.detector.differs(earlier.image, ref.image, mask):
                    return t_still
                t_still = earlier.t
            t_hi = t_lo
        return t_still

    def _settle(self, interval_s: float = 0.1, timeout_s: float | None = None,
                t_from: float | None = None) -> float | None:
        """Wait until the screen has not changed for ``settle_quiet_s`` since ``t_from`` (by
        default now; earlier: the frames since then are looked at too); returns the time of
        the last change, or None when it kept changing until the timeout."""
        timeout = self.thresholds.settle_timeout_s if timeout_s is None else timeout_s
        start = self.clock.now() if t_from is None else t_from
        return self._still_after(start, self._status_mask, interval_s, timeout)

    def _still_after(self, t_from: float, mask: np.ndarray, interval_s: float,
                     timeout_s: float, chunk_s: float = 0.1) -> float | None:
        """Frames ``interval_s`` apart from ``t_from``, as they arrive (``chunk_s`` at a
        time), until none has changed for ``settle_quiet_s``: the capture time of the last
        change (the frame at ``t_from`` if none did); None if it kept changing for
        ``timeout_s``.

        Each frame is looked at through the glitch grid (outside ``mask``): a clear change
        there (:func:`grid_moved`) is a change, and needs no view. Once the grid has seen
        none for ``settle_quiet_s``, the view then is compared with the view at the last
        change: the same, the screen settled (a change too small for the grid that came and
        went in between is not seen); different, the views in between are compared one
        with the next, and the last that differs from the one before is the last change.
        The view the screen settled on is kept (:attr:`_still_view`)."""
        quiet = self.thresholds.settle_quiet_s
        points = self.glitch_sampler.points(self.rig.camera.size_px)
        seen = self._grid_outside(mask)
        first = self.observer.view_at(t_from)
        before = self.rig.camera.pixels(first.t - self.observer.frame_period_s / 2, first.t,
                                        points)
        prev = before[-1] if before else None
        t_change = t_scan = first.t
        at_change: View | None = first  # the view at the last change (None: not looked at)
        since: list[float] = []  # the frames since, where the grid saw no change
        while True:
            self.clock.sleep(chunk_s)
            samples = self.rig.camera.pixels(t_scan, self.clock.now(), points, interval_s)
            for sample, moved in zip(samples, grid_moves(prev, samples, seen), strict=True):
                t_scan = sample.t
                if moved:
                    t_change, at_change, since = sample.t, None, []
                elif sample.t - t_change >= quiet - 1e-9:
                    if at_change is None:
                        at_change = self.observer.view_at(t_change)
                    view = self.observer.view_at(sample.t)
                    if self.detector.differs(at_change.image, view.image, mask):
                        # a change the grid missed: the last of the views in between that
                        # differs from the one before (none: a creep too slow to see from
                        # one look to the next, which does not keep the screen unsettled)
                        tail = self._from_last_change(at_change, since, view, mask)
                        if tail is not None:
                            t_change, at_change = tail[0].t, tail[0]
                            since = [v.t for v in tail[1:]]
                    if sample.t - t_change >= quiet - 1e-9:
                        self._still_view = view
                        return t_change
                else:
                    since.append(sample.t)
                prev = sample
                if sample.t - t_from >= timeout_s:
                    return None

    def _from_last_change(self, first: View, times: list[float], last: View,
                          mask: np.ndarray) -> list[View] | None:
        """Of ``first``, the views at ``times`` and ``last``: the views from the last one that
        differs from the one before it, to ``last`` (None: none differs). Looked for from
        ``last`` back, so the views before that change are not made."""
        seq = {0: first, len(times) + 1: last}

        def look(k: int) -> View:
            if k not in seq:
                seq[k] = self.observer.view_at(times[k - 1])
            return seq[k]

        for k in range(len(times) + 1, 0, -1):
            if self.detector.differs(look(k - 1).image, look(k).image, mask):
                return [look(j) for j in range(k, len(times) + 2)]
        return None

    def _wait(self, seconds: float) -> None:
        t_end = self.clock.now() + seconds
        while self.clock.now() < t_end - 1e-9:
            self.clock.sleep(min(1.0, t_end - self.clock.now()))
            self._scan_background()

    def _watch(self, seconds: float, interval_s: float = 0.2) -> str:
        """The screen must keep changing for ``seconds``; a static stretch is a freeze. A
        screen that stands still at the end is watched on (once) until the stillness is
        ``frozen_frame_s`` long or moves: a freeze that begins in the last second of a watch is
        one (seed 7, 9497 s: the game's ball stopped 0.92 s before the watch ended, and the
        watch looks only every ``interval_s``)."""
        watch = AnimationWatch(self.detector, mask=self._status_mask)
        t_scan = self.clock.now() - interval_s
        t_end = self.clock.now() + seconds
        extended = False
        points = self.glitch_sampler.points(self.rig.camera.size_px)
        seen = self._grid_outside(self._status_mask)
        prev = None
        while True:
            self.clock.sleep(min(1.0, max(0.0, t_end - self.clock.now())) or interval_s)
            samples = self.rig.camera.pixels(t_scan, self.clock.now(), points, interval_s)
            for sample, moved in zip(samples, grid_moves(prev, samples, seen), strict=True):
                # a clear change at the glitch grid needs no view (a playing video: none)
                if moved:
                    watch.moved(sample.t)
                else:
                    if watch.last_view is None and prev is not None:
                        watch.feed(prev.t, self.observer.view_at(prev.t).image)
                    view = self.observer.view_at(sample.t)
                    watch.feed(view.t, view.image)
                prev, t_scan = sample, sample.t
                if watch.static_s(sample.t) >= self.thresholds.frozen_frame_s:
                    return self._follow_frozen_animation(watch, sample.t)
            self._scan_background()
            if self.clock.now() >= t_end - 1e-9:
                if not extended:
                    extended = True
                    if self._still_at_end(watch, prev, t_scan):  # judge the stillness
                        assert watch.last_change_t is not None
                        t_end = watch.last_change_t + self.thresholds.frozen_frame_s + \
                            interval_s
                        if self.clock.now() < t_end - 1e-9:
                            continue
                # seen moving until its last change
                self._animated_until = watch.last_change_t if watch.last_change_t \
                    is not None else t_scan
                return ""

    def _still_at_end(self, watch: AnimationWatch, prev: PixelSample | None,
                      t_scan: float) -> bool:
        """Whether the screen a watch followed (its last look at ``t_scan``, whose grid
        sample is ``prev``) stands still at the watch's end: the latest frame, looked at
        whole, shows no change since the watch's last change."""
        if watch.last_change_t is None:
            return False
        latest = self.observer.view_at(self.clock.now())
        if latest.t <= t_scan + 1e-9:
            return watch.last_change_t < t_scan - 1e-9
        if watch.last_view is None and prev is not None:
            watch.feed(prev.t, self.observer.view_at(prev.t).image)
        return not watch.feed(latest.t, latest.image)

    def _note_thaw(self, still: np.ndarray | None, t_still: float, t_moved: float) -> None:
        """A frozen screen moved again by ``t_moved``: tell the glitch watch when (the first
        frame after ``t_still`` that differs from the frozen ``still``), so the catch-up
        jump of a thawed animation is not taken for a glitch."""
        if still is None:
            return
        mask = self._status_mask
        hit = self.observer.first_change(
            t_still, t_moved, lambda img: self.detector.differs(still, img, mask))
        self._glitch.call("responded", hit.t if hit is not None else t_moved)

    def _follow_frozen_animation(self, watch: AnimationWatch, t_from: float,
                                 interval_s: float = 0.1) -> str:
        """The animation stood still (seen at ``t_from``): follow it, from the frames already
        captured on, until it moves again (a freeze from its last change), then back to the
        launcher. The background scan after each look may explain the stillness instead (a
        crash dialog, a reboot); a thaw is noted before it (see :meth:`_note_thaw`)."""
        onset = watch.last_change_t if watch.last_change_t is not None else t_from
        t_scan = t_from
        while True:
            for view in self.observer.views(t_scan, self.clock.now(), interval_s):
                still, t_still = watch.last_view, t_scan
                t_scan = view.t
                if watch.feed(view.t, view.image):
                    self._note_thaw(still, t_still, view.t)
                    self._incident("freeze", onset, view.t,
                                   f"the animation stood still for {view.t - onset:.2f} s")
                    self._recover_home()
                    raise FlowAbandoned("frozen")
            self._scan_background()
            if self.clock.now() - onset >= self.thresholds.max_freeze_s:
                break
            self.clock.sleep(0.5)
        self._incident("freeze", onset, self.clock.now(),
                       f"the animation stood still for over {self.thresholds.max_freeze_s:.0f} s")
        self._recover_home()
        raise FlowAbandoned("frozen")
