"""Touching the phone and timing its response: performing a stroke, finding the first visible
change after it (touch-to-screen latency), budgets that make a slow response a stall, probing a
silent phone to time a freeze, and the masks that hide the finger and the status bar."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from tapbot.core.documents import Measurement, TouchDoc
from tapbot.core.errors import TapbotError
from tapbot.core.geometry import PointPx
from tapbot.core.paths import TouchPath
from tapbot.flows.steps import PressKey
from tapbot.gestures import Stroke, to_touch_path
from tapbot.monitors import ResponseWatch
from tapbot.runner.interrupts import FlowAbandoned

logger = logging.getLogger(__name__)

FINGER_MASK_MM = 6.0  # radius masked around a touch: fingertip (~3.5 mm) plus its shadow


class TouchMixin:
    """Touch, response and probe (mixed into :class:`~tapbot.runner.Runner`)."""

    def _perform(self, stroke: Stroke, gesture: str) -> tuple[TouchPath, float, float]:
        path = to_touch_path(stroke, self.rig.calibration)
        self._last_mask = self._finger_mask(stroke)
        t_down, t_up = self.rig.robot.perform(path)
        p, mm = stroke.start, path.start
        self._emit(TouchDoc(run_id=self.run_id, t=self.clock.now(), gesture=gesture,
                            finger=path.finger, x_px=p.x, y_px=p.y, x_mm=mm.x, y_mm=mm.y,
                            t_down=t_down, t_up=t_up))
        return path, t_down, t_up

    def _touch(self, step, at: PointPx | None = None) -> str:
        stroke = self._stroke(step, at)
        _, t_down, _ = self._perform(stroke, step.kind)
        self._last_touch = (t_down, None)
        if step.expect == "none":
            if step.settle:
                self._settle()
            return ""
        mask = self._finger_mask(stroke)
        for region in step.animated:
            a, b = region.resolve(self.rig.device.screen_px)
            x0, y0 = self.rectifier.screen_to_view(a.x, a.y)
            x1, y1 = self.rectifier.screen_to_view(b.x, b.y)
            cv2.rectangle(mask, (int(x0), int(y0)), (int(np.ceil(x1)), int(np.ceil(y1))), 255, -1)
        ref = self.observer.view_at(t_down)
        watch = ResponseWatch(ref.image, mask, self.detector, t_down)
        hit = self._await(watch.changed, t_down, self.thresholds.unresponsive_after_s)
        if hit is None:
            self._scan_background()  # a crash dialog explains the silence
            if not self._digitizer_felt(t_down):
                self._incident("unresponsive-touch", t_down, None,
                               f"the touch at ({stroke.start.x:.0f}, {stroke.start.y:.0f}) px "
                               "changed nothing and the phone's digitizer did not report it")
                self._recover_home()
                raise FlowAbandoned("unresponsive touch")
            return self._probe_freeze(stroke, step.kind, watch, t_down)
        latency = watch.latency_s(hit.t)
        self._last_touch = (t_down, latency)
        self._note_screen(step)
        self._emit(Measurement(run_id=self.run_id, t=self.clock.now(), name="response_latency",
                               value=latency, unit="s", t_start=t_down, flow=self._flow,
                               step=self._step))
        message = ""
        budget = step.budget_s or self._budget.response_s or self.thresholds.response_budget_s
        if budget is not None and latency > budget:
            message = self._incident("stall", t_down, hit.t,
                                     f"response took {latency * 1000:.0f} ms, over the "
                                     f"{budget * 1000:.0f} ms budget")
        if step.settle:
            t_settled = self._settle()
            if t_settled is not None:
                self._emit(Measurement(run_id=self.run_id, t=self.clock.now(),
                                       name="settle_time", value=t_settled - t_down, unit="s",
                                       t_start=t_down, flow=self._flow, step=self._step))
        return message

    def _digitizer_felt(self, t_down: float, window_s: float = 0.05) -> bool:
        """Whether the device link's touch log (getevent) has a finger-down at ``t_down``;
        True when there is no link to ask."""
        link = self.rig.link
        if link is None:
            return True
        try:
            events = link.touch_events(t_down - window_s)
        except (TapbotError, NotImplementedError):
            return True
        return any(e.action == "down" and abs(e.t - t_down) <= window_s for e in events)

    def _note_screen(self, step) -> None:
        """After a touch that changed the screen: are we in an app now (not the launcher)?"""
        if isinstance(step, PressKey) and step.key in ("home", "back"):
            self._in_app = False  # going home is expected; back may leave the app
            return
        if self._launcher_ref is None:
            return
        view = self.observer.view_at(self.clock.now())
        self._in_app = self.detector.compare(self._launcher_ref, view.image,
                                             self._status_mask).changed
        self._in_app_since = view.t

    def _probe_freeze(self, stroke: Stroke, gesture: str, watch: ResponseWatch,
                      onset: float) -> str:
        """No response: touch again until the phone answers, timing how long it was frozen."""
        while self.clock.now() - onset < self.thresholds.max_freeze_s:
            if self._stop_requested:
                break
            _, t_down, _ = self._perform(stroke, f"{gesture}-probe")
            hit = self._await(watch.changed, t_down, self.thresholds.unresponsive_after_s)
            if hit is not None:
                silent = hit.t - onset
                if silent <= self.thresholds.stall_max_s:
                    return self._incident("stall", onset, hit.t,
                                          f"the response took {silent:.2f} s")
                return self._incident("freeze", onset, hit.t,
                                      f"no response to touch for {silent:.2f} s")
            self._scan_background()
        self._incident("freeze", onset, None,
                       f"no response to touch for over {self.clock.now() - onset:.0f} s")
        self._recover_home()
        raise FlowAbandoned("unresponsive")

    @property
    def _tool_mask(self) -> np.ndarray:
        """The status bar and where the hovering tool hides the screen (last touch)."""
        return self._last_mask if self._last_mask is not None else self._status_mask

    def _make_status_mask(self) -> np.ndarray:
        w, h = self.rectifier.view_size_px
        mask = np.zeros((h, w), dtype=np.uint8)
        rows = round(self.thresholds.status_bar_frac * h)
        if rows:
            mask[:rows, :] = 255
        return mask

    def _finger_mask(self, stroke: Stroke) -> np.ndarray:
        """Nonzero where the finger and arm may be seen (a disk around every touch point and
        a band from it towards the bottom of the screen) and over the status bar."""
        h = self.rectifier.view_size_px[1]
        mask = self._status_mask.copy()
        px_per_mm = self.rig.device.px_per_mm[0]
        r = max(2, round(FINGER_MASK_MM * px_per_mm * self.rectifier.scale))
        for _, p in stroke.points:
            x, y = self.rectifier.screen_to_view(p.x, p.y)
            cx, cy = round(x), round(y)
            cv2.circle(mask, (cx, cy), r, 255, -1)
            cv2.rectangle(mask, (cx - r, cy), (cx + r, h - 1), 255, -1)
        return mask
