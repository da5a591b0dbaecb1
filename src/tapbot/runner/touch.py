"""Touching the phone and timing its response: performing a stroke, where the digitizer says it
landed (touch drift), the first visible change after it (touch-to-screen latency; a crash
dialog is not a response), budgets that make a slow response a stall unless a slowdown
explains it, explaining or probing a silent phone (a freeze), and the masks that hide the
robot's tool and the status bar.

The tool is more than a fingertip: arms run from the tips to a carriage (and a pinch tool's
second finger rides along), so a response is looked for outside the whole tool
(:func:`tool_shape`, from the rig's robot settings; parallax included). While a stroke moves,
outside the area the tool swept; once the finger has lifted, outside the tool where the stroke
began and where it ended only (the tool stands still there), so what the moving tool hid is
seen then. The tool moving over the screen is never taken for the phone's answer (a frozen
phone, or a dead zone, hit by a scroll)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import cv2
import numpy as np

from tapbot.core.documents import Measurement, TouchDoc
from tapbot.core.errors import TapbotError
from tapbot.core.geometry import PointPx
from tapbot.core.paths import TouchPath
from tapbot.core.tool import ToolGeometry
from tapbot.flows.steps import PressKey
from tapbot.gestures import Stroke, to_touch_path
from tapbot.monitors import ResponseWatch, look_for_crash
from tapbot.monitors.glitch import JUMP_LEVEL, came_back_many, change_level, colour_bars
from tapbot.monitors.sampler import as_sample, as_samples
from tapbot.runner.background import DARK_LEVEL, REBOOT_DARK_S, is_dark
from tapbot.runner.interrupts import AppExitSeen, CrashSeen, FlowAbandoned, RebootSeen
from tapbot.runner.observer import View
from tapbot.runner.watch import MIN_JUMPED_POINTS  # (also: too few to judge a change back)
from tapbot.vision import to_gray
from tapbot.vision.masks import fill_swept, tool_outline_screen_px

logger = logging.getLogger(__name__)

TOOL_POLYGONS_KEPT = 512  # tips whose tool polygons are kept (_tool_view_polygons)
#: How far back from a freeze's first sign the screen's last change is looked for (its onset):
#: a screen that had stood still longer (a page being read) does not tell when the phone froze.
FREEZE_LOOKBACK_S = 10.0


def tool_shape(rig) -> ToolGeometry:
    """The robot's tool as the masks cover it (the rig's ``robot: {tool: ...}``, by default
    the usual pinch head at rest; a one-finger robot's without finger 1)."""
    return rig.robot.settings.tool.with_fingers(rig.robot.backend.fingers)


class TouchMixin:
    """Touch, response and probe (mixed into :class:`~tapbot.runner.Runner`)."""

    def _perform(self, stroke: Stroke, gesture: str) -> tuple[TouchPath, float, float]:
        path = to_touch_path(stroke, self.rig.calibration)
        self._last_mask = self._resting_mask(stroke)
        t_down, t_up = self.rig.robot.perform(path)
        p, mm = stroke.start, path.start
        self._emit(TouchDoc(run_id=self.run_id, t=self.clock.now(), gesture=gesture,
                            finger=path.finger, x_px=p.x, y_px=p.y, x_mm=mm.x, y_mm=mm.y,
                            t_down=t_down, t_up=t_up))
        ys = [q.y for _, q in stroke.points]
        self._glitch.call("touched", t_down, t_up,
                          self.glitch_sampler.rows_between(min(ys), max(ys)))
        self._check_landing(t_down, t_up, (p.x, p.y))
        return path, t_down, t_up

    def _check_landing(self, t_down: float, t_up: float, start: tuple[float, float]) -> None:
        """Where the phone's digitizer reported this touch (device link): off target by more
        than ``drift_max_mm`` marks the touch (``_off_target``); a new drift is an incident."""
        self._off_target = None
        log = self.touch_log
        if log is None:
            return
        log.commanded(t_down, t_up, start)
        self._read_touch_log()
        offset = log.offset_mm(t_down, start)
        if offset is None:
            return
        if offset > self.thresholds.drift_max_mm:
            self._off_target = offset
            self._check_phone_moved()  # a rig fault, not the phone's (raises RigFaultSeen)
        self.drift_watch.max_mm = self.thresholds.drift_max_mm
        sighting = self.drift_watch.feed(t_down, offset)
        if sighting is not None:
            rate = "" if sighting.rate_mm_s is None else \
                f", growing {sighting.rate_mm_s * 1000:.0f} um/s"
            self._incident("drift", sighting.t_onset, sighting.t_seen,
                           f"the digitizer reported the touch {sighting.offset_mm:.1f} mm from "
                           f"where the finger touched (over {self.thresholds.drift_max_mm:g} "
                           f"mm{rate})")

    def _touch(self, step, at: PointPx | None = None, *, key: bool = False) -> str:
        """Perform a touch step and judge its response (``step.expect``); returns the incident
        summary, if any. ``key``: a key of the on-screen keyboard, whose answer may show only
        for a moment (the key's preview popup, the character it typed being too thin to see):
        every frame after it is looked at, not every few."""
        stroke = self._stroke(step, at)
        came_from = self._tip_px()  # where the tool travels to the touch from
        _, t_down, _ = self._perform(stroke, step.kind)
        t_lifted = self.clock.now()  # the stroke is done and the finger up: the tool is still
        logger.debug("%s/%s: %s down at %.3f s, lifted by %.3f s", self._flow, self._step,
                     step.kind, t_down, t_lifted)
        self._last_touch = (t_down, None)
        if self._off_target is not None:
            return self._abandon_off_target()
        if step.expect == "none":
            # nothing to see, but a touch the phone did not feel is still unresponsive (a dead
            # zone under a scroll, a key)
            self._check_felt(stroke, t_down)
            if step.settle:
                self._settle()
            self._note_silence(stroke, t_down, came_from)
            return ""
        mask = self._animated_mask(step, self._finger_mask(stroke))
        budget = self.thresholds.response_budget_s
        wait = max(self.thresholds.stall_max_s, budget or 0.0)
        ref = self.observer.view_at(t_down)
        watch = ResponseWatch(ref.image, mask, self.detector, t_down)
        quiet = self.thresholds.settle_quiet_s
        if step.expect == "still" and \
                self._last_change_before(t_down, mask, 2 * quiet) > t_down - 2 * quiet + 1e-6:
            # a pause of something moving: the response is its last change before it stood
            # still (an animation that never stops is probed)
            t_hit = self._await_still(mask, t_down, wait)
            if t_hit is None or t_hit <= t_down:
                return self._unanswered(step, stroke, watch, t_down, t_down + wait)
            return self._answered(step, watch, t_down, t_hit, budget)
        # the first change (also for a "pause" of a screen that was not moving: its pause sign,
        # or the player starting when it had been paused; a frozen phone shows none: probed)
        # a change that comes back is no answer to a touch in place (a tap, a press): a
        # swipe's content may spring back (the end of a list), a key's preview goes
        in_place = not key and all(p == stroke.start for _, p in stroke.points)
        hit = self._await_response(step, stroke, watch, ref, t_lifted, wait, every_frame=key,
                                   check_back=in_place)
        if hit is None:
            return self._unanswered(step, stroke, watch, t_down, t_down + wait,
                                    every_frame=key)
        try:
            self._no_dialog_in(hit)
        except AppExitSeen:
            undone = self._undone_answer(t_down)
            if undone is not None:
                # the device log says the app closed: the change that came back before this
                # one was the app the touch opened, closing at once (seed 2, 5982.0 s; the
                # glitch watch hears it, as when nothing else answers: _await_response)
                self._glitch.call("responded", undone.t, True)
            raise
        if step.expect == "still":
            self._paused_still(mask, t_down, hit.t)
        return self._answered(step, watch, t_down, hit.t, budget)

    def _await_response(self, step, stroke: Stroke, watch: ResponseWatch, ref: View,
                        t_lifted: float, wait: float, every_frame: bool = False,
                        check_back: bool = False) -> View | None:
        """The first view that answers the touch (made at ``watch.t_touch``; ``ref``: the
        view then), within ``wait`` of it.

        While the stroke moves (until ``t_lifted``) only outside the area the tool swept
        (``watch``'s mask); after it, outside the tool where it began and where it stands now:
        what the moving tool hid (a list that followed the finger under it) is seen then.
        ``every_frame``: an answer that may not stay (a key's preview) is looked for on every
        frame. ``check_back``: a change that comes back to ``ref`` is passed over
        (:meth:`_await_answer`)."""
        t_down = watch.t_touch
        moving = min(wait, t_lifted - t_down)
        undone: list[View] = []  # changes that came back (see _await_answer)
        self._undone = undone
        hit = self._await_answer(watch, t_down, moving, every_frame,
                                 (ref, watch.mask, undone) if check_back else None,
                                 self._grid_first_moved(ref, watch.mask))
        if hit is None and moving < wait:
            rest = self._animated_mask(step, self._tool_at(stroke.start, stroke.points[-1][1]))
            after = ResponseWatch(watch.ref, rest, self.detector, t_down)
            hit = self._await_answer(after, t_down + moving, wait - moving, every_frame,
                                     (ref, rest, undone) if check_back else None,
                                     self._grid_first_moved(ref, rest))
        first_undone = self._undone_answer(t_down)
        if hit is None and first_undone is not None:
            # nothing else came: the change that came back was the answer, undone (an app
            # that opened and closed at once: the exit and crash monitors tell, maybe before
            # the answer is timed, so the glitch watch hears now that it was the touch's
            # doing wherever it showed)
            self._glitch.call("responded", first_undone.t, True)
            return first_undone
        return hit

    def _undone_answer(self, t_down: float) -> View | None:
        """The first change that came back while the last touch (down at ``t_down``) awaited
        its answer, if it came within the response budget. Not one later: a touch that
        changed nothing, and a glitch after it (taken for the answer, it was a false stall
        and a missed glitch: seed 6 of the 3 h bench, 7620.7 s)."""
        budget = self.thresholds.response_budget_s
        if self._undone and (budget is None or self._undone[0].t - t_down <= budget):
            return self._undone[0]
        return None

    def _await_answer(self, watch: ResponseWatch, t_from: float, timeout_s: float,
                      every_frame: bool = False,
                      back_to: tuple[View, np.ndarray | None, list[View]] | None = None,
                      first_moved: Callable[[float, float], float | None] | None = None
                      ) -> View | None:
        """:meth:`_await` a change from ``watch``'s view, passing over changes that are no
        answer: the screen going dark (outside ``watch``'s mask: the tool over the glass does
        not go dark with it) and staying dark for ``REBOOT_DARK_S`` is a reboot (raises, as
        the background scan does, from the first frame that darkened), unless a crash/ANR
        dialog shows then (it dims the screen behind it: raises :class:`CrashSeen`, dated by
        that first frame); a dark frame or colour bars gone ``glitch_max_s`` later are a
        glitch (the glitch watch reports it), and the wait goes on after them. (The first
        frame of either may be a blend with the screen before: the frame after it is looked
        at too.) With ``back_to`` (the view before the touch, where the tool and animations
        are, and a list), any other change that comes back to it within ``glitch_max_s``
        (:meth:`_came_back`) is taken for a glitch too (added to the list: the caller takes
        the first as the answer if no other comes), unless it follows a dark frame or colour
        bars just passed over: it is their last frame, blended with the screen coming back."""
        deadline = t_from + timeout_s
        period = self.observer.frame_period_s
        t_flash = -math.inf  # the last dark or colour-bars frame passed over
        while True:
            hit = self._await(watch.changed, t_from, deadline - t_from,
                              every_frame=every_frame, first_moved=first_moved)
            if hit is None:
                return None
            dark = is_dark(hit, watch.mask)
            bars = not dark and self._colour_bars(hit)
            if not dark and not bars:  # the frame after, at the glitch grid (no whole view)
                dark, bars = self._dark_or_bars_after(hit, watch.mask)
            if not dark and not bars:
                if back_to is None:
                    return hit
                t_back = self._came_back(hit, back_to[0], back_to[1])
                if t_back is None:
                    return hit
                if hit.t - t_flash > 1.5 * period:
                    back_to[2].append(hit)
                logger.debug("%s/%s: the change at %.3f s came back at %.3f s: a glitch, no "
                             "answer", self._flow, self._step, hit.t, t_back)
                if t_back >= deadline - 1e-9:
                    return None
                t_from = t_back
                continue
            later = self._view_when(
                hit.t + (REBOOT_DARK_S if dark else self.thresholds.glitch_max_s))
            if dark and is_dark(later, watch.mask):
                self._t_background = max(self._t_background, later.t)
                # a dialog dims the screen behind it (dark by its mean over a dark app):
                # a screen showing one is on, as the background scan judges (dialog first)
                sighting = look_for_crash(hit.t, later.image)
                if sighting is not None:
                    self._classify(sighting)
                    raise CrashSeen(sighting, later)
                raise RebootSeen(hit.t, hit)
            if not dark and self._colour_bars(later):
                return hit  # bars that stay: what the app shows
            logger.debug("%s/%s: a glitch at %.3f s is no answer", self._flow, self._step, hit.t)
            t_flash = hit.t
            if hit.t >= deadline - 1e-9:
                return None
            t_from = hit.t

    def _came_back(self, hit: View, ref: View, mask: np.ndarray | None) -> float | None:
        """Whether the change first seen at ``hit`` went back to ``ref`` (the view before the
        touch) within ``glitch_max_s``: what the glitch watch calls a glitch, so no answer.
        Looked at on every frame through the glitch grid, at the points outside ``mask``: the
        capture time of the first frame where most points that jumped at ``hit``
        (``JUMP_LEVEL`` from ``ref``) are back within half their excursion and ``BACK_CAP``
        while the others still show ``ref`` (a transition moves on to them); None when they
        stay away, or when fewer than ``MIN_JUMPED_POINTS`` jumped (a change between the
        grid's points: an answer)."""
        t_end = hit.t + self.thresholds.glitch_max_s + self.observer.frame_period_s
        if t_end > self.clock.now():
            self.clock.sleep(t_end - self.clock.now())
        seen = self._grid_outside(mask)
        points = self.glitch_sampler.points(self.rig.camera.size_px)
        before = as_sample(ref.frame.at(*points))[seen]
        away = change_level(as_sample(hit.frame.at(*points))[seen], before)
        jumped = away >= JUMP_LEVEL
        if jumped.sum() < MIN_JUMPED_POINTS:
            return None
        later = self.rig.camera.pixels(hit.t, t_end, points)
        if not later:
            return None
        # the glitch watch's test of a screen that came back
        back = np.flatnonzero(came_back_many(change_level(as_samples(later, seen), before),
                                             away, jumped))
        return later[back[0]].t if len(back) else None

    def _grid_outside(self, mask: np.ndarray | None) -> np.ndarray:
        """Which glitch-grid points lie outside ``mask`` (view px; None: all)."""
        pts = self.glitch_sampler.screen_points
        if mask is None:
            return np.ones(len(pts), bool)
        h, w = mask.shape
        known = self._grid_in_view
        if known is None or known[0] != (h, w):
            x, y = self.rectifier.screen_to_view(pts[:, 0], pts[:, 1])
            xi = np.clip(np.round(x).astype(np.int64), 0, w - 1)
            yi = np.clip(np.round(y).astype(np.int64), 0, h - 1)
            known = self._grid_in_view = ((h, w), yi * w + xi)  # (the grid does not move)
        return mask.reshape(-1)[known[1]] == 0

    def _dark_or_bars_after(self, hit: View, mask: np.ndarray | None) -> tuple[bool, bool]:
        """Whether the frame after ``hit`` is dark (mean gray at the glitch grid's points
        outside ``mask`` below ``DARK_LEVEL``, as :func:`is_dark` judges a view: the tool
        over the glass does not go dark with the screen) or shows colour bars, read at the
        grid's points only."""
        t_next = hit.t + self.observer.frame_period_s
        if t_next > self.clock.now():
            self.clock.sleep(t_next - self.clock.now())
        got = self.rig.camera.pixels(hit.t, t_next, self.glitch_sampler.points(
            self.rig.camera.size_px))
        if not got:
            return False, False
        values = got[-1].values
        shown = self._grid_outside(mask)
        if not shown.any():
            shown[:] = True
        # the points as a one-column image, made gray as the views are
        gray = to_gray(values.reshape(len(values), 1, -1)).ravel()
        if float(gray[shown].mean()) < DARK_LEVEL:
            return True, False
        return False, colour_bars(as_sample(values), self.glitch_sampler.rows)

    def _view_when(self, t: float) -> View:
        """The view at ``t``, waiting on the rig clock until it is captured."""
        if t > self.clock.now():
            self.clock.sleep(t - self.clock.now())
        return self.observer.view_at(t)

    def _colour_bars(self, view: View) -> bool:
        """Whether the frame of ``view`` shows colour bars at the glitch grid."""
        ys, xs = self.glitch_sampler.points(self.rig.camera.size_px)
        sample = view.frame.at(ys, xs).astype(np.int16)
        return colour_bars(sample, self.glitch_sampler.rows)

    def _animated_mask(self, step, mask: np.ndarray) -> np.ndarray:
        """``mask`` (in place) plus the step's ``animated`` regions (they move by themselves)."""
        for region in step.animated:
            a, b = region.resolve(self.rig.device.screen_px)
            x0, y0 = self.rectifier.screen_to_view(a.x, a.y)
            x1, y1 = self.rectifier.screen_to_view(b.x, b.y)
            cv2.rectangle(mask, (int(x0), int(y0)), (int(np.ceil(x1)), int(np.ceil(y1))), 255, -1)
        return mask

    def _paused_still(self, mask: np.ndarray, t_down: float, t_answer: float) -> None:
        """A pause (``expect: still``) found the screen still, and the phone answered at
        ``t_answer``. If an animation watch saw it moving shortly before the touch (within
        ``settle_timeout_s``), the animation had stood still on its own: from its last change
        until the answer, for ``frozen_frame_s`` or more, that is a freeze. (Without a watch
        just before, a still screen may simply not have been playing.)"""
        if t_down - self._animated_until > self.thresholds.settle_timeout_s:
            return
        lookback = self._freeze_lookback()
        t_still = max(self._last_change_before(t_down, mask, lookback), self._animated_until)
        if t_answer - t_still < self.thresholds.frozen_frame_s:
            return
        self._incident("freeze", t_still, t_answer,
                       f"the animation stood still for {t_answer - t_still:.2f} s before the "
                       "touch that was to pause it was answered")
        self._recover_home()
        raise FlowAbandoned("frozen")

    def _answered(self, step, watch: ResponseWatch, t_down: float, t_hit: float,
                  budget: float | None) -> str:
        """A response at ``t_hit``: its latency, a stall over the budget (unless a slowdown
        explains it), then the settle time. An answer a frozen frame late or later may be the
        display coming back from a freeze that swallowed the touch (the device log tells)."""
        self._glitch.call("responded", t_hit)
        latency = watch.latency_s(t_hit)
        logger.debug("%s/%s: answered at %.3f s (latency %.0f ms)", self._flow, self._step,
                     t_hit, latency * 1000)
        if latency >= self.thresholds.frozen_frame_s:  # the display coming back? (no latency)
            self._frozen_by_log(t_down, t_hit)
        self._last_touch = (t_down, latency)
        self._emit(Measurement(run_id=self.run_id, t=self.clock.now(), name="response_latency",
                               value=latency, unit="s", t_start=t_down, flow=self._flow,
                               step=self._step))
        key = f"{self._flow}/{self._step}/{step.kind}"
        self.slowdown_watch.min_s = self.thresholds.slowdown_min_s
        slow = self.slowdown_watch.feed(key, t_down, latency)
        if slow is not None:
            rate = "" if slow.rate_s_per_min is None else \
                f", growing {slow.rate_s_per_min * 1000:.0f} ms per minute"
            self._incident("slowdown", slow.t_onset, slow.t_seen,
                           f"responses are {slow.excess_s * 1000:.0f} ms slower than usual"
                           f"{rate}")
        message = ""
        silent, self._silent = self._silent, None
        if silent is not None and latency >= self.thresholds.frozen_frame_s:
            # a late answer (slower than a frozen frame) after touches that changed nothing
            self._silent_freeze(silent, watch, t_down, t_hit)
        # home answered late: whether it was home's answer is known once the screen settles
        # (a display coming back from a freeze that swallowed the press is not)
        home_late = isinstance(step, PressKey) and step.key == "home" and \
            self._launcher_ref is not None and latency >= self.thresholds.frozen_frame_s
        over = budget if budget is not None and latency > budget and \
            not self.slowdown_watch.explains(key, latency) else None  # a stall's budget
        if over is not None and not home_late:
            message = self._stall(t_down, t_hit, over)
        settled = None
        if step.settle:  # from the answer on (the look at whether it came back went past it)
            t_settled = self._settle(t_from=t_hit)
            if t_settled is not None:
                settled = self._still_view  # the screen as it settled
                self._emit(Measurement(run_id=self.run_id, t=self.clock.now(),
                                       name="settle_time", value=t_settled - t_down, unit="s",
                                       t_start=t_down, flow=self._flow, step=self._step))
        if home_late:
            self._went_home(t_down, t_hit, settled)
            if over is not None:
                message = self._stall(t_down, t_hit, over)
        self._note_screen(step, settled)  # once settled: a screen still opening is not judged
        return message

    def _stall(self, t_down: float, t_hit: float, budget: float) -> str:
        """A ``stall`` incident: the response at ``t_hit`` to the touch at ``t_down`` came
        later than ``budget``."""
        return self._incident("stall", t_down, t_hit,
                              f"response took {(t_hit - t_down) * 1000:.0f} ms, over the "
                              f"{budget * 1000:.0f} ms budget")

    def _went_home(self, t_down: float, t_hit: float, settled: View | None) -> None:
        """After home answered late (at ``t_hit``, to the press at ``t_down``): the screen as
        it settled (``settled``; else now) must be the launcher. If it is not, the change was
        the display coming back from a freeze that swallowed the press (home, which a phone
        that answers always answers with the launcher, went unanswered until then): a freeze
        (raises; back to the launcher, the flow abandoned)."""
        view = settled if settled is not None else self.observer.view_at(self.clock.now())
        if self._shows_launcher(view):
            return
        logger.debug("%s/%s: the change at %.3f s was not the launcher: home was swallowed",
                     self._flow, self._step, t_hit)
        self._incident("freeze", t_down, t_hit,
                       f"no response to home for {t_hit - t_down:.2f} s (the screen then "
                       "changed, but not to the launcher: the display came back)")
        self._recover_home()
        raise FlowAbandoned("frozen")

    def _note_silence(self, stroke: Stroke, t_down: float, came_from: PointPx) -> None:
        """After a touch that expects nothing (a scroll that may be at the end): whether it
        changed anything outside the tool's path. The first of a run of touches that changed
        nothing is kept (:attr:`_silent`: its touch-down, the view then, and where the tool
        travelled to it from), for :meth:`_silent_freeze`."""
        before = self.observer.view_at(t_down)
        after = self.observer.view_at(self.clock.now())
        if self.detector.differs(before.image, after.image, self._finger_mask(stroke)):
            self._silent = None
        elif self._silent is None:
            travel = fill_swept(self._status_mask.copy(),
                                [self._tool_view_polygons(came_from),
                                 self._tool_view_polygons(stroke.start)])
            self._silent = (t_down, before, travel)

    def _freeze_lookback(self) -> float:
        """How far back a freeze's onset is looked for: :data:`FREEZE_LOOKBACK_S`, no further
        than the camera keeps frames or than ``max_freeze_s``."""
        return min(FREEZE_LOOKBACK_S, self.thresholds.max_freeze_s, self.rig.camera.history_s)

    def _silent_freeze(self, silent: tuple[float, View, np.ndarray], watch: ResponseWatch,
                       t_down: float, t_hit: float) -> None:
        """A late answer (at ``t_hit`` to the touch at ``t_down``) after touches that changed
        nothing since ``silent``'s: if the screen showed the same from then until this touch
        and no input was answered for ``stall_max_s`` or more (what makes an unanswered
        touch a freeze once a probe goes unanswered), the phone was frozen (an ignored scroll
        on a page whose spinner had stopped), from the screen's last change before the first
        ignored touch until this answer: a freeze (raises), not a stall."""
        t_first, before, travel = silent
        if t_hit - t_first < self.thresholds.stall_max_s:
            return
        mask = cv2.bitwise_or(travel, watch.mask) if watch.mask is not None else travel
        if self.detector.differs(before.image, self.observer.view_at(t_down).image,
                                 mask):
            return
        lookback = self._freeze_lookback()
        onset = min(t_first, self._last_change_before(t_first, travel, lookback))
        self._incident("freeze", onset, t_hit,
                       f"no response to input for {t_hit - onset:.2f} s (the touches from "
                       f"{t_first:.2f} s on changed nothing)")
        self._recover_home()
        raise FlowAbandoned("frozen")

    def _tip_px(self) -> PointPx:
        """Where finger 0 stands now, in screen px (through the calibration)."""
        at = self.rig.robot.position
        return PointPx(*self.rig.calibration.screen_to_robot_h.inverse().apply_point(at.x, at.y))

    def _no_dialog_in(self, hit: View) -> None:
        """A crash/ANR dialog that appears right after a touch is not the touch's response;
        nor is one the tool hides (the tool stands where it touched, often over the dialog's
        card): the device log, when there is a link, names it (raises, like the background
        scan)."""
        sighting = look_for_crash(hit.t, hit.image)
        if sighting is not None:
            self._t_background = max(self._t_background, hit.t)
            self._classify(sighting)
            raise CrashSeen(sighting, hit)
        if self.rig.link is not None:
            self._scan_log(hit)

    def _unanswered(self, step, stroke: Stroke, watch: ResponseWatch, t_down: float,
                    t_waited: float, every_frame: bool = False) -> str:
        """No response within the wait (which ended at ``t_waited``): explain the silence if
        the rig can, else probe (``every_frame``: the touch's answer may show only for a
        moment, a key's preview)."""
        self._scan_background()  # a crash dialog, a reboot or a ghost touch explains it
        self._check_felt(stroke, t_down, scanned=True)
        if isinstance(step, PressKey) and step.key in ("home", "back") and self._on_launcher():
            self._in_app = False
            return ""  # home (or back) on the home screen changes nothing
        return self._probe_freeze(stroke, step.kind, watch, t_down, t_waited, every_frame)

    def _check_felt(self, stroke: Stroke, t_down: float, scanned: bool = False) -> None:
        """A touch the phone's digitizer did not report (device link) is an
        ``unresponsive-touch`` incident, unless the background scan explains it (a reboot, a
        dialog; ``scanned``: it just ran); the flow is abandoned."""
        if self._digitizer_felt(t_down):
            return
        if not scanned:
            self._scan_background()
        self._incident("unresponsive-touch", t_down, self.clock.now(),
                       f"the touch at ({stroke.start.x:.0f}, {stroke.start.y:.0f}) px "
                       "changed nothing and the phone's digitizer did not report it")
        self._recover_home()
        raise FlowAbandoned("unresponsive touch")

    def _abandon_off_target(self) -> str:
        """The touch landed off target (touch drift): what follows from it cannot be judged."""
        offset = self._off_target or 0.0
        self._recover_home()
        self._wait_out_drift()
        raise FlowAbandoned(f"the touch landed {offset:.1f} mm off target")

    def _on_launcher(self) -> bool:
        """Whether the screen shows the launcher now (see :meth:`_shows_launcher`)."""
        return self._launcher_ref is not None and \
            self._shows_launcher(self.observer.view_at(self.clock.now()))

    def _digitizer_felt(self, t_down: float) -> bool:
        """Whether the device link's touch log (getevent) has a finger-down at ``t_down``;
        True when there is no link to ask."""
        if self.touch_log is None:
            return True
        self._read_touch_log()
        return self.touch_log.reported_down(t_down) is not None

    def _read_touch_log(self) -> None:
        """The digitizer reports since the last read, into the touch log."""
        try:
            events = self.rig.link.touch_events(self.touch_log.t_read)  # type: ignore[union-attr]
        except (TapbotError, NotImplementedError):
            return
        self.touch_log.reported(events)  # type: ignore[union-attr]

    def _note_screen(self, step, view: View | None = None) -> None:
        """After a touch that changed the screen: are we in an app now (not the launcher)?
        Judged on ``view`` (the screen as it settled), by default the view now."""
        if isinstance(step, PressKey) and step.key in ("home", "back"):
            self._in_app = False  # going home is expected; back may leave the app
            return
        if self._launcher_ref is None:
            return
        if view is None:
            view = self.observer.view_at(self.clock.now())
        self._in_app = self.detector.differs(self._launcher_ref, view.image,
                                             self._status_mask)
        self._in_app_since = view.t

    def _probe_freeze(self, stroke: Stroke, gesture: str, watch: ResponseWatch,
                      onset: float, t_waited: float, every_frame: bool = False) -> str:
        """No response: probe until the phone answers, timing how long it was frozen; then
        back to the launcher (what the probes did is not what the flow meant).

        Away from the launcher the probe is the home key, which a phone that answers always
        answers with the launcher: answered at once, the phone was not frozen, the flow's
        touch simply changed nothing (the app was not where the flow expected it) and the
        iteration is abandoned; unless the screen changed after the touch's wait (ended
        ``t_waited``) and before the probe touched: the touch was answered, or the display
        came back, only then (:meth:`_answer_before_probe`), a freeze from the touch. A
        change that is not the launcher is the display coming back (the end of a freeze);
        probing goes on. On the launcher (where home changes nothing) the probe is the flow's
        own touch (``every_frame``: its answer may show only for a moment, a key's preview).
        """
        home = self._stroke(PressKey(key="home"))
        first = True
        t_alive: float | None = None  # when the display came back, if before an answer
        t_first_probe: float | None = None  # the first press of home
        came_from = self._tip_px()  # where the tool stood through the wait
        while self.clock.now() - onset < self.thresholds.max_freeze_s:
            if self._stop_requested:
                break
            by_home = self._in_app or not self._on_launcher()
            if by_home:
                hit, t_probe = self._home_probe(home)
                t_first_probe = t_probe if t_first_probe is None else t_first_probe
            else:
                _, t_down, _ = self._perform(stroke, f"{gesture}-probe")
            if self._off_target is not None:
                return self._abandon_off_target()
            if not by_home:
                hit = self._await(watch.changed, t_down, self.thresholds.unresponsive_after_s,
                                  every_frame=every_frame)
            if hit is not None:
                self._no_dialog_in(hit)
                if by_home:
                    self._settle()
                    if not self._on_launcher():  # not home's answer: the display came back
                        t_alive = hit.t if t_alive is None else t_alive
                        first = False
                        self._scan_background()
                        continue
                if first and by_home:
                    late = self._answer_before_probe(watch, t_waited, came_from, home, t_probe)
                    if late is not None:
                        self._answered_after_wait(onset, late)
                    self._frozen_by_log(onset)
                    self._in_app = False
                    logger.info("%s/%s: the touch changed nothing; the phone answered home",
                                self._flow, self._step)
                    raise FlowAbandoned("the touch changed nothing (the phone answered home)")
                end = min(hit.t, t_alive) if t_alive is not None else hit.t
                if by_home and t_alive is None and t_first_probe is not None:
                    self._home_slow_not_frozen(onset, t_first_probe, hit)
                self._incident("freeze", onset, end,
                               f"no response to touch for {end - onset:.2f} s")
                self._recover_home()
                raise FlowAbandoned("frozen")
            first = False
            self._scan_background()
        self._incident("freeze", onset, self.clock.now(),
                       f"no response to touch for over {self.clock.now() - onset:.0f} s")
        self._recover_home()
        raise FlowAbandoned("unresponsive")

    def _home_slow_not_frozen(self, onset: float, t_home: float, hit: View) -> None:
        """Home, first pressed at ``t_home`` after the touch at ``onset`` changed nothing, was
        answered (``hit``) only after a probe's wait: frozen from the touch, unless the device
        log, which tells of every stall of the app's main thread, tells of none meanwhile.
        Then the touch simply changed nothing and home was slow: a stall if over the budget
        (raises; returns when the log cannot tell, or tells of a stall)."""
        if self._stalled_within(onset, hit.t) is not False:
            return
        logger.info("%s/%s: the touch changed nothing and home was answered after %.2f s; the "
                    "device log tells of no frozen main thread", self._flow, self._step,
                    hit.t - t_home)
        self._glitch.call("responded", hit.t)
        budget = self.thresholds.response_budget_s
        if budget is not None and hit.t - t_home > budget:
            self._stall(t_home, hit.t, budget)
        self._in_app = False
        self._settle()
        raise FlowAbandoned("the touch changed nothing (the phone answered home, slowly)")

    def _answer_before_probe(self, watch: ResponseWatch, t_waited: float, came_from: PointPx,
                             home: Stroke, t_probe: float) -> View | None:
        """The touch's answer (or the display coming back) after its wait, which ended at
        ``t_waited``, and before the home probe touched at ``t_probe``: the first view in
        between that differs from the touch's reference (``watch``) outside its mask, the
        status bar and the tool's travel from ``came_from`` to the home key, and stays
        (passed over as in the wait: a dark frame or colour bars that go, a change that
        comes back; :meth:`_await_answer`). None when there is none, or when the screen at
        the wait's end did not show the reference: it was moving then (a video a pause did
        not stop), so a change after it says nothing."""
        if t_probe <= t_waited or watch.mask is None:
            return None
        if watch.changed(self.observer.view_at(t_waited).image):
            return None
        # the tool leaving for the home key is no change of the screen (_note_silence's mask)
        mask = fill_swept(watch.mask.copy(), [self._tool_view_polygons(came_from),
                                              self._tool_view_polygons(home.start)])
        ref = self.observer.view_at(watch.t_touch)
        gap = ResponseWatch(watch.ref, mask, self.detector, watch.t_touch)
        # frames captured before the probe's touch-down only: home's answer comes after it
        span = t_probe - t_waited - 0.5 * self.observer.frame_period_s
        if span <= 0:
            return None
        return self._await_answer(gap, t_waited, span, back_to=(ref, mask, []),
                                  first_moved=self._grid_first_moved(ref, mask))

    def _answered_after_wait(self, onset: float, late: View) -> None:
        """The screen changed at ``late`` after the touch at ``onset`` went unanswered for its
        whole wait (``stall_max_s`` or the budget, if longer), though the phone then answered
        home at once: no input was answered from the touch until then, a freeze as long as a
        probe's (raises). A crash dialog is a crash, not the answer."""
        self._no_dialog_in(late)
        self._glitch.call("responded", late.t)  # the display coming back is no glitch
        logger.debug("%s/%s: the screen changed at %.3f s, after the touch's wait and before "
                     "the probe", self._flow, self._step, late.t)
        self._incident("freeze", onset, late.t,
                       f"no response to touch for {late.t - onset:.2f} s (the screen changed "
                       "only after the touch's wait, before the probe)")
        self._recover_home()
        raise FlowAbandoned("frozen")

    def _frozen_by_log(self, t_down: float, t_answer: float | None = None) -> None:
        """The touch at ``t_down`` was answered late (at ``t_answer``, a frozen frame or
        more after it) or changed nothing though the phone then answered home at once
        (``t_answer`` None): if the device log says the app's main thread stalled over the
        touch for a frozen frame or longer, the phone was frozen and the touch swallowed
        (raises: a freeze from the stall's start to its end, back to the launcher). A camera
        alone cannot tell a freeze that ended with nothing changed on screen from a touch
        that missed, nor the display coming back from a late answer."""
        stall = self._stall_over(t_down)
        if stall is None:
            return
        t0, t1 = stall
        logger.debug("%s/%s: the device log says the main thread stalled %.3f-%.3f s, over "
                     "the touch", self._flow, self._step, t0, t1)
        self._glitch.call("responded", t1)  # the display coming back is no glitch
        shown = "the screen showed no change" if t_answer is None else \
            f"answered {t_answer - t_down:.2f} s after it"
        self._incident("freeze", t0, t1,
                       f"the app's main thread stalled for {t1 - t0:.2f} s (device log) over "
                       f"the touch at {t_down:.2f} s ({shown})")
        self._recover_home()
        raise FlowAbandoned("frozen")

    def _home_probe(self, home: Stroke) -> tuple[View | None, float]:
        """Press home and wait ``unresponsive_after`` for the screen to change from how it was
        as the finger reached the key (not as it left): the first changed view, or None
        (also when the touch landed off target: ``_off_target``); and the press's
        touch-down."""
        _, t_down, _ = self._perform(home, "home-probe")
        if self._off_target is not None:
            return None, t_down
        ref = self.observer.view_at(t_down)
        changed = ResponseWatch(ref.image, self._finger_mask(home), self.detector,
                                t_down).changed
        return self._await(changed, t_down, self.thresholds.unresponsive_after_s), t_down

    @property
    def _tool_mask(self) -> np.ndarray:
        """The status bar and where the hovering tool hides the screen (after the last touch,
        and over the home key, where it stood when the launcher's look was learnt)."""
        return self._last_mask if self._last_mask is not None else self._status_mask

    def _resting_mask(self, stroke: Stroke) -> np.ndarray:
        """The tool where ``stroke`` leaves it and over the home key (see :attr:`_tool_mask`)."""
        tips = [stroke.points[-1][1]]
        home = self.rig.device.buttons.get("home")
        if home is not None:
            tips.append(PointPx(*home))
        return self._tool_at(*tips)

    def _make_status_mask(self) -> np.ndarray:
        w, h = self.rectifier.view_size_px
        mask = np.zeros((h, w), dtype=np.uint8)
        rows = round(self.thresholds.status_bar_frac * h)
        if rows:
            mask[:rows, :] = 255
        return mask

    def _finger_mask(self, stroke: Stroke) -> np.ndarray:
        """Nonzero where the tool may be seen during ``stroke`` (its footprint, fingers, arms
        and carriage, over every point of the stroke and in between) and over the status
        bar."""
        mask = self._status_mask.copy()
        tips = [p for i, (_, p) in enumerate(stroke.points)
                if i == 0 or p != stroke.points[i - 1][1]]  # a hold adds nothing
        return fill_swept(mask, [self._tool_view_polygons(p) for p in tips])

    def _tool_at(self, *tips: PointPx) -> np.ndarray:
        """Nonzero over the tool standing with finger 0's tip at each of ``tips`` (its
        footprint there) and over the status bar. At a stroke's first and last point: where
        a view after the stroke and the view at its touch-down may differ by the tool alone."""
        mask = self._status_mask.copy()
        for p in tips:
            fill_swept(mask, [self._tool_view_polygons(p)])
        return mask

    def _tool_screen_polygons(self, tip: PointPx) -> list[np.ndarray]:
        """Screen-px polygons over the tool (:func:`tool_shape`) with finger 0's tip above
        screen point ``tip``, as the camera sees it (parallax for a lens at least the tool's
        ``camera_height_mm`` above the glass, over the camera image's centre)."""
        w, h = self.rig.camera.size_px
        centre = self.rig.calibration.camera_to_screen_h.apply_point(w / 2, h / 2)
        return tool_outline_screen_px(self._tool_shape, self.rig.calibration, (tip.x, tip.y),
                                      camera_centre_screen_px=centre,
                                      camera_height_mm=self._tool_shape.camera_height_mm)

    def _tool_view_polygons(self, tip: PointPx) -> list[np.ndarray]:
        """:meth:`_tool_screen_polygons` in view px (read-only; kept per tip for the run's
        calibration: a soak touches the same few hundred points again and again)."""
        key = (tip.x, tip.y, id(self.rig.calibration))
        known = self._tool_polygons.get(key)
        if known is not None:
            self._tool_polygons.move_to_end(key)
            return known
        out = []
        for poly in self._tool_screen_polygons(tip):
            x, y = self.rectifier.screen_to_view(poly[:, 0], poly[:, 1])
            view = np.c_[x, y]
            view.setflags(write=False)
            out.append(view)
        self._tool_polygons[key] = out
        if len(self._tool_polygons) > TOOL_POLYGONS_KEPT:
            self._tool_polygons.popitem(last=False)
        return out
