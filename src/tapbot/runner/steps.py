"""Executing each kind of step: strokes for touch steps, waits, assertions, measurements,
launching apps, typing, screenshots and the containers (repeat, retry, runFlow); and checking
before anything moves that every step can run on this rig."""

from __future__ import annotations

import importlib
import importlib.util
import logging

from pydantic import ValidationError

from tapbot.core.documents import FrameRef, Measurement
from tapbot.core.errors import FlowError, TapbotError
from tapbot.core.geometry import PointPx
from tapbot.flows import steps as S
from tapbot.flows.steps import PressKey
from tapbot.flows.yamlflow import validation_message
from tapbot.gestures import Stroke, long_press, swipe, tap, to_touch_path
from tapbot.monitors import ResponseWatch
from tapbot.runner.interrupts import StepFailed

logger = logging.getLogger(__name__)


class StepsMixin:
    """The runner's step execution (mixed into :class:`~tapbot.runner.Runner`)."""

    def _validate_step(self, step) -> None:
        if step.thresholds:
            try:
                self._base_thresholds.merged(**step.thresholds)
            except ValidationError as exc:
                raise FlowError(f"thresholds: {validation_message(exc)}") from None
        targets = [getattr(step, name, None) for name in
                   ("at", "target", "icon", "visible", "not_visible", "until")]
        for target in targets:
            if isinstance(target, S.Text) and not self._ocr_importable():
                raise FlowError(f"text selector {target.describe()} needs OCR "
                                "(tapbot.vision.ocr), which is not available",
                                hint="install tapbot with OCR, or use a point or an image")
            if isinstance(target, S.Image):
                self._template(target)
                if importlib.util.find_spec("tapbot.vision.template") is None:
                    raise FlowError("image selectors need tapbot.vision.template, which is "
                                    "not available", hint="use a point instead")
        if isinstance(step, S.Pinch) and self.rig.robot.backend.fingers < 2:
            raise FlowError("pinch needs a robot with two fingers; this rig has "
                            f"{self.rig.robot.backend.fingers}")
        if isinstance(step, S.Pinch):
            return
        if isinstance(step, S.Tap | S.LongPress | S.DoubleTap) and \
                not isinstance(step.at, S.Point):
            return
        if isinstance(step, S.TOUCH_STEPS):
            stroke = self._stroke(step)
            self._check_reach(stroke)
        if isinstance(step, S.InputText | S.EraseText) and step.keyboard:
            for point in step.keyboard.values():
                self._check_reach(tap(point.resolve(self.rig.device.screen_px)))

    def _check_reach(self, stroke: Stroke) -> None:
        to_touch_path(stroke, self.rig.calibration)
        for _, p in stroke.points:
            self.rig.robot.check_point(self.rig.calibration.screen_to_robot_mm(p),
                                       self.rig.robot.contact_z_mm)

    def _stroke(self, step, at: PointPx | None = None) -> Stroke:
        screen = self.rig.device.screen_px
        if isinstance(step, S.Tap | S.DoubleTap):
            p = at or step.at.resolve(screen)
            return tap(p, hold_s=getattr(step, "hold_s", 0.06))
        if isinstance(step, S.LongPress):
            return long_press(at or step.at.resolve(screen), hold_s=step.hold_s)
        if isinstance(step, S.Swipe):
            return swipe(step.start.resolve(screen), step.end.resolve(screen),
                         duration_s=step.duration_s)
        if isinstance(step, S.Scroll):
            # scrolling the content down moves the finger up
            opposite = {"down": "up", "up": "down", "left": "right", "right": "left"}
            a, b = S.direction_points(opposite[step.direction])
            return swipe(a.resolve(screen), b.resolve(screen), duration_s=0.3)
        buttons = self.rig.device.buttons
        if step.key not in buttons:
            raise FlowError(f"key '{step.key}' is not a button of {self.rig.device.name}; "
                            f"known: {', '.join(sorted(buttons))}")
        return tap(PointPx(*buttons[step.key]))

    def _execute(self, step) -> str:
        """Run one step under its own thresholds (and touch budget); returns an incident
        summary when the step raised one, else ''."""
        with self._thresholds_for(step.thresholds, getattr(step, "budget_s", None)):
            return self._execute_kind(step)

    def _execute_kind(self, step) -> str:
        if isinstance(step, S.Wait):
            self._wait(step.seconds)
            return ""
        if isinstance(step, S.WatchAnimation):
            return self._watch(step.seconds)
        if isinstance(step, S.Tap | S.LongPress | S.Swipe | S.PressKey | S.Scroll):
            at = None
            if isinstance(step, S.Tap | S.LongPress) and not isinstance(step.at, S.Point):
                at = self._find_or_fail(step.at)
            return self._touch(step, at)
        if isinstance(step, S.DoubleTap):
            at = step.at.resolve(self.rig.device.screen_px) if isinstance(step.at, S.Point) \
                else self._find_or_fail(step.at)
            first = step.model_copy(update={"expect": "none", "settle": False})
            self._touch(first, at)
            self.clock.sleep(step.gap_s)
            return self._touch(step, at)
        if isinstance(step, S.Pinch):
            raise FlowError("pinch needs a two-finger robot front-end (not available yet)")
        if isinstance(step, S.LaunchApp):
            return self._launch(step)
        if isinstance(step, S.InputText):
            messages = [self._press_keyboard(" " if ch == " " else ch, step.keyboard, "space",
                                             timed=True) for ch in step.text]
            return "; ".join(m for m in messages if m)
        if isinstance(step, S.EraseText):
            for _ in range(step.characters):
                self._press_keyboard("backspace", step.keyboard, "backspace")
            return ""
        if isinstance(step, S.WaitForAnimationToEnd):
            self._settle(timeout_s=step.timeout_s)
            return ""
        if isinstance(step, S.AssertVisible):
            if self._wait_visible(step.target, True, step.timeout_s) is None:
                raise StepFailed("assertion", f"{step.target.describe()} is not visible")
            return ""
        if isinstance(step, S.AssertNotVisible):
            if self._wait_visible(step.target, False, step.timeout_s) is None:
                raise StepFailed("assertion", f"{step.target.describe()} is still visible")
            return ""
        if isinstance(step, S.ExtendedWaitUntil):
            target = step.visible or step.not_visible
            if self._wait_visible(target, step.visible is not None, step.timeout_s) is None:
                state = "visible" if step.visible is not None else "gone"
                raise StepFailed("assertion", f"{target.describe()} was not {state} within "
                                  f"{step.timeout_s:.1f} s")
            return ""
        if isinstance(step, S.TakeScreenshot):
            self._screenshot(step.name)
            return ""
        if isinstance(step, S.ScrollUntilVisible):
            for _ in range(step.max_scrolls + 1):
                if self._locate(step.target) is not None:
                    return ""
                self._touch(S.Scroll(direction=step.direction, expect="none"))
            raise StepFailed("assertion", f"{step.target.describe()} not found after "
                              f"{step.max_scrolls} scrolls")
        if isinstance(step, S.ExpectResponse):
            return self._expect_response(step)
        if isinstance(step, S.Measure):
            return self._measure(step)
        if isinstance(step, S.Repeat):
            messages = []
            for _ in range(step.times):
                if self._stop_requested:
                    break
                messages.append(self._run_inner(step.steps))
            return "; ".join(m for m in messages if m)
        if isinstance(step, S.Retry):
            for attempt in range(step.max_retries + 1):
                try:
                    return self._run_inner(step.steps)
                except StepFailed:
                    if attempt == step.max_retries:
                        raise
                    logger.info("retry %d of %s", attempt + 1, step.describe())
            return ""
        if isinstance(step, S.SubFlow):
            return self._run_inner(step.steps)
        raise FlowError(f"the runner cannot execute a '{step.kind}' step")

    def _run_inner(self, steps: list) -> str:
        """Run nested steps (repeat, retry, runFlow); returns their incident summaries."""
        messages = []
        for inner in steps:
            if self._stop_requested:
                break
            self._scan_background()
            message = self._execute(inner)
            if message:
                messages.append(message)
        return "; ".join(messages)

    def _expect_response(self, step: S.ExpectResponse) -> str:
        if self._last_touch is None:
            raise StepFailed("assertion", "expectResponse: no touch before it")
        t_down, latency = self._last_touch
        if latency is None:
            raise StepFailed("assertion", "expectResponse: the previous touch was not "
                              "measured (use it after a touch that expects a change)")
        if latency > step.within_s:
            return self._incident("stall", t_down, t_down + latency,
                                  f"response took {latency * 1000:.0f} ms, over the "
                                  f"{step.within_s * 1000:.0f} ms expected")
        return ""

    def _measure(self, step: S.Measure) -> str:
        if self._last_touch is None:
            raise StepFailed("assertion", f"measure '{step.name}': no touch before it")
        t_down, latency = self._last_touch
        if step.until == "response":
            if latency is None:
                raise StepFailed("assertion", f"measure '{step.name}': no response measured")
            value = latency
        elif step.until == "settled":
            t_settled = self._settle(timeout_s=step.timeout_s)
            if t_settled is None:
                raise StepFailed("assertion", f"measure '{step.name}': the screen did not "
                                  f"settle within {step.timeout_s:.1f} s")
            value = max(0.0, t_settled - t_down)
        else:
            t_seen = self._wait_visible(step.until, True, step.timeout_s)
            if t_seen is None:
                raise StepFailed("assertion", f"measure '{step.name}': "
                                  f"{step.until.describe()} not visible within "
                                  f"{step.timeout_s:.1f} s")
            value = max(0.0, t_seen - t_down)
        self._emit(Measurement(run_id=self.run_id, t=self.clock.now(), name=step.name,
                               value=value, unit="s", t_start=t_down, flow=self._flow,
                               step=self._step))
        return ""

    def _launch(self, step: S.LaunchApp) -> str:
        link = self.rig.link
        if link is not None and step.icon is None:
            t0 = self.clock.now()
            ref = self.observer.view_at(t0)
            link.launch_app(step.app)
            watch = ResponseWatch(ref.image, self._status_mask, self.detector, t0)
            hit = self._await(watch.changed, t0, self.thresholds.unresponsive_after_s * 3)
            if hit is not None:
                self._emit(Measurement(run_id=self.run_id, t=self.clock.now(),
                                       name="launch_time", value=hit.t - t0, unit="s",
                                       t_start=t0, flow=self._flow, step=self._step))
            self._settle()
            return ""
        self._touch(PressKey(key="home"))
        target = step.icon or S.Text(text=step.app)
        at = target.resolve(self.rig.device.screen_px) if isinstance(target, S.Point) \
            else self._find_or_fail(target)
        return self._touch(S.Tap(at=S.Point(x=at.x, y=at.y)))

    def _press_keyboard(self, key: str, layout: dict[str, S.Point] | None, name: str, *,
                        timed: bool = False) -> str:
        """Tap ``key`` on the on-screen keyboard (from ``layout``, else found by OCR).

        ``timed``: the key is a typed character, so its response is looked for and timed
        like any touch's (a stall, or a dead zone over the keyboard, is seen at the key);
        returns the incident summary, if any. The answer is the key's preview popup over the
        keyboard (as a phone's keyboard shows by default), seen even when the character is
        too thin to see in the text field (an "i"); it shows only while the key is held and
        a moment after, so every frame is looked at; no answer is probed like any touch's (a
        freeze). Erasing is not timed: backspace on an empty field changes nothing."""
        if layout is not None:
            point = layout.get(key) or layout.get(key.lower()) or layout.get(name)
            if point is None:
                raise StepFailed("assertion", f"key {key!r} is not in the keyboard layout")
            at = point.resolve(self.rig.device.screen_px)
        else:
            at = self._find_or_fail(S.Text(text=key, min_score=0.3))
        message = self._touch(S.Tap(at=S.Point(x=at.x, y=at.y),
                                    expect="change" if timed else "none", settle=False),
                              key=True)
        self.clock.sleep(0.05)
        return message

    def _screenshot(self, name: str) -> None:
        if self.artifacts is None:
            return
        view = self.observer.view_at(self.clock.now())
        try:
            rel = self.artifacts.save_image(f"{self.slot:06d}-{name}", view.frame.image,
                                            folder="screenshots")
        except TapbotError:
            logger.exception("could not save screenshot %s", name)
            return
        self._emit(FrameRef(run_id=self.run_id, t=self.clock.now(), path=rel,
                            purpose=f"screenshot {name}", t_capture=view.t))
