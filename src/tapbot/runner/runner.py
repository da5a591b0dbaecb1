"""The runner: executes flows and soaks on a rig and emits the run's documents.

It owns the state machine and the clock. Monitors judge the views it pulls from the camera;
incidents and measurements leave as documents to subscribers. Whatever happens, the rig is
closed at the end: fingers up and parked.

Control: ``request_stop()`` (Ctrl-C once) stops after the current step; a KeyboardInterrupt
(Ctrl-C twice) aborts at once; both leave the fingers up and parked. A
:class:`~tapbot.core.errors.ConnectionLost` from any part suspends the run (state ``paused``)
until the part answers again, then the interrupted iteration starts over.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.documents import (
    Dispatcher,
    FrameRef,
    Incident,
    Measurement,
    RunStart,
    RunStop,
    StepDoc,
    TouchDoc,
)
from tapbot.core.errors import ConnectionLost, FlowError, RunAborted, TapbotError
from tapbot.core.geometry import PointPx
from tapbot.core.paths import TouchPath
from tapbot.flows import steps as S
from tapbot.flows.plan import Budget, Plan
from tapbot.flows.steps import Flow, FlowMix, PressKey, Step
from tapbot.gestures import Stroke, long_press, swipe, tap, to_touch_path
from tapbot.monitors import AnimationWatch, ResponseWatch, Thresholds, look_for_crash
from tapbot.monitors.crash import DialogSighting, classify_text, read_text
from tapbot.rig.rig import Rig
from tapbot.runner.observer import Observer, View
from tapbot.runner.state import RunState, StateMachine
from tapbot.store.artifacts import Artifacts
from tapbot.vision import ChangeDetector, ScreenRectifier, find_dialog

logger = logging.getLogger(__name__)

FINGER_MASK_MM = 6.0  # radius masked around a touch: fingertip (~3.5 mm) plus its shadow
CLIP_BEFORE_S = 1.0  # evidence clip: this long before an incident's onset ...
CLIP_AFTER_S = 1.0  # ... to this long after it
CLIP_INTERVAL_S = 0.1
DARK_LEVEL = 12.0  # mean gray below this: the screen is off (a reboot)
SUSPEND_POLL_S = 5.0
MAX_VIEW_SCALE = 0.25  # monitors' view: at most a quarter of the screen's px ...
MIN_VIEW_SCALE = 0.1  # ... and at least a tenth, however coarse the camera
SUSPEND_LIMIT_S = 3600.0


class _CrashSeen(Exception):
    def __init__(self, sighting: DialogSighting, view: View) -> None:
        super().__init__("crash dialog")
        self.sighting = sighting
        self.view = view


class _RebootSeen(Exception):
    def __init__(self, onset: float, view: View) -> None:
        super().__init__("reboot")
        self.onset = onset
        self.view = view


class _AppExitSeen(Exception):
    def __init__(self, view: View, t: float | None = None) -> None:
        super().__init__("app exit")
        self.view = view
        self.t = view.t if t is None else t


class _FlowAbandoned(Exception):
    """The rest of this iteration is skipped (after a recovery)."""


class _StepFailed(Exception):
    """A step failed in a way ``retry`` may try again (target not found, assertion)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class ResumePoint:
    """Where an interrupted run goes on: schedule slot, incidents so far, time used."""

    slot: int
    steps_done: int
    incidents: dict[str, int]
    elapsed_s: float


class Runner:
    """Runs flows and soaks on one rig, emitting documents through ``dispatcher``."""

    def __init__(
        self,
        rig: Rig,
        dispatcher: Dispatcher,
        *,
        run_id: str,
        thresholds: Thresholds | None = None,
        artifacts: Artifacts | None = None,
        view_scale: float | None = None,
        background_interval_s: float = 0.5,
        reader: object | None = None,
    ) -> None:
        self.rig = rig
        self.clock = rig.clock
        self.dispatcher = dispatcher
        self.run_id = run_id
        self.thresholds = thresholds or Thresholds()
        self._base_thresholds = self.thresholds
        self.artifacts = artifacts
        if view_scale is None:  # as fine as the camera sees the screen, at most a quarter
            sampling = ScreenRectifier.camera_sampling(rig.calibration.camera_to_screen_h,
                                                       rig.device.screen_px)
            view_scale = min(MAX_VIEW_SCALE, max(MIN_VIEW_SCALE, round(sampling, 2)))
        self.rectifier = ScreenRectifier.for_calibration(rig.calibration, rig.device.screen_px,
                                                         view_scale)
        self.observer = Observer(rig.camera, self.rectifier)
        self.detector = ChangeDetector()
        self.background_interval_s = background_interval_s
        self.machine = StateMachine()
        self._stop_requested = False
        self._t_background = 0.0
        self._flow = ""
        self._step = ""
        self._reader = reader
        self._reader_tried = reader is not None
        self._full_rectifier: ScreenRectifier | None = None
        self._templates: dict[str, np.ndarray] = {}
        self._last_touch: tuple[float, float | None] | None = None  # (t_down, latency)
        self._budget = Budget()
        self._dark_since: float | None = None
        self._launcher_ref: np.ndarray | None = None
        self._in_app = False
        self._in_app_since = 0.0
        self._last_mask: np.ndarray | None = None
        self._t_log = 0.0
        self.incident_kinds: Counter[str] = Counter()
        self.steps_done = 0
        self.slot = 0
        self._status_mask = self._make_status_mask()

    # -- control -----------------------------------------------------------------------------
    @property
    def state(self) -> RunState:
        return self.machine.state

    def request_stop(self) -> None:
        """Stop cleanly after the current step (Ctrl-C once)."""
        self._stop_requested = True
        if self.machine.state in (RunState.RUNNING, RunState.PAUSED):
            self.machine.to(RunState.STOPPING)

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    # -- entry points ------------------------------------------------------------------------
    def run_flow(self, flow: Flow, iterations: int = 1, plan: str | None = None) -> RunStop:
        """Run one flow ``iterations`` times."""
        p = Plan(name=plan or flow.name, seed=0, iterations=iterations,
                 entries=[{"flow": flow}])
        return self.run_plan(p, seeded=False)

    def run_soak(self, mix: list[FlowMix], duration_s: float, seed: int,
                 plan: str = "soak") -> RunStop:
        """Run a seeded, weighted mix of flows for ``duration_s`` on the rig's clock."""
        if not mix:
            raise FlowError("a soak needs at least one flow")
        if duration_s <= 0:
            raise FlowError(f"a soak duration must be positive, got {duration_s} s")
        return self.run_plan(Plan.from_mix(mix, name=plan, seed=seed, duration_s=duration_s))

    def run_plan(self, plan: Plan, *, resume: ResumePoint | None = None,
                 seeded: bool = True) -> RunStop:
        """Run a compiled plan: its seeded schedule, for its duration or iteration count.

        With ``resume``, the schedule is replayed up to ``resume.slot`` and the run goes on
        from there (the interrupted iteration starts over); the earlier incidents count.
        """
        if plan.thresholds:
            self.thresholds = self._base_thresholds.merged(**plan.thresholds)
        self.validate([e.flow for e in plan.entries])
        schedule = plan.schedule()
        if resume is not None:
            for _ in range(resume.slot):
                next(schedule)
            self.slot = resume.slot
            self.steps_done = resume.steps_done
            self.incident_kinds.update(resume.incidents)
        counts: Counter[str] = Counter()
        elapsed0 = resume.elapsed_s if resume else 0.0

        def body() -> None:
            t_end = None if plan.duration_s is None else \
                self.clock.now() + plan.duration_s - elapsed0
            while not self._stop_requested:
                if t_end is not None and self.clock.now() >= t_end:
                    break
                if plan.iterations is not None and self.slot >= plan.iterations:
                    break
                entry = plan.entries[next(schedule)]
                self._budget = entry.budget
                self._iteration_suspendable(entry.flow, counts[entry.flow.name])
                counts[entry.flow.name] += 1
                self.slot += 1

        return self._run(plan.name, seed=plan.seed if seeded else None,
                         duration_s=plan.duration_s, body=body, resumed=resume is not None)

    def validate(self, flows: list[Flow]) -> None:
        """Resolve every position, key, image and capability before anything moves."""
        for flow in flows:
            for i, step in enumerate(S.walk(flow.steps)):
                try:
                    self._validate_step(step)
                except TapbotError as exc:
                    where = f"{step.source}: " if step.source else ""
                    raise FlowError(
                        f"{where}flow '{flow.name}' step {i + 1} ({step.describe()}): "
                        f"{exc.message}", hint=exc.hint) from exc

    def _validate_step(self, step) -> None:
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

    # -- run skeleton ------------------------------------------------------------------------
    def _emit(self, doc) -> None:
        self.dispatcher.emit(doc)

    def _run(self, plan: str, seed: int | None, duration_s: float | None,
             body: Callable[[], None], resumed: bool = False) -> RunStop:
        rig = self.rig
        self.machine.to(RunState.RUNNING)
        self._emit(RunStart(
            run_id=self.run_id, t=self.clock.now(), rig=rig.name, device=rig.device.name,
            plan=plan, seed=seed, duration_s=duration_s, thresholds=self.thresholds.as_dict(),
            config={"camera_fps": rig.camera.fps, "calibration": rig.calibration.source,
                    "resumed": resumed}))
        reason = "completed"
        try:
            rig.open()
            self._t_background = self.clock.now()
            self._t_log = self.clock.now()
            self._learn_launcher()
            body()
            if self._stop_requested:
                reason = "stopped"
        except KeyboardInterrupt:
            reason = "aborted"
            logger.warning("run aborted by the user")
        except TapbotError:
            reason = "error"
            self.machine.to(RunState.FAULTED)
            raise
        finally:
            try:
                rig.close()
            finally:
                stop = self._stop_doc(reason)
                self._emit(stop)
                if self.machine.state != RunState.FAULTED:
                    self.machine.to(RunState.FINISHED)
        return stop

    def _stop_doc(self, reason: str) -> RunStop:
        total = sum(self.incident_kinds.values())
        reasons = [f"{n} {kind} incident{'s' if n > 1 else ''}"
                   for kind, n in sorted(self.incident_kinds.items())]
        if total:
            verdict = "FAIL"
        elif reason == "completed":
            verdict = "PASS"
        else:
            verdict = "INCOMPLETE"
            reasons.append(f"the run did not complete ({reason})")
        return RunStop(run_id=self.run_id, t=self.clock.now(), reason=reason, verdict=verdict,
                       reasons=reasons, steps=self.steps_done, incidents=total)

    def _iteration_suspendable(self, flow: Flow, iteration: int) -> None:
        """One iteration; when a part of the rig is lost, wait for it and start over."""
        while True:
            try:
                self._iteration(flow, iteration)
                return
            except ConnectionLost as exc:
                self._suspend(exc)
                if self._stop_requested:
                    return
                self._recover_home()  # the iteration starts over from the launcher

    def _suspend(self, exc: ConnectionLost) -> None:
        """Pause until every part answers again (Bluesky-style suspender)."""
        logger.warning("suspended: %s", exc.message)
        self.machine.to(RunState.PAUSED)
        t0 = self.clock.now()
        while True:
            if self._stop_requested:
                return
            if self.clock.now() - t0 > SUSPEND_LIMIT_S:
                self.machine.to(RunState.FAULTED)
                raise RunAborted(f"{exc.message}; still lost after {SUSPEND_LIMIT_S:.0f} s",
                                 hint="reconnect the part and resume with --resume")
            self.clock.sleep(SUSPEND_POLL_S)
            try:
                self.rig.open()
                if self.rig.link is not None and self.rig.link.boot_state() == "offline":
                    raise ConnectionLost("the phone is offline")
            except ConnectionLost:
                continue
            break
        logger.warning("resumed after %.0f s", self.clock.now() - t0)
        self.machine.to(RunState.RUNNING)
        self._t_background = self.clock.now()

    def _iteration(self, flow: Flow, iteration: int) -> bool:
        """One pass through a flow; returns False when an incident cut it short."""
        self._flow = flow.name
        self._last_touch = None
        t_begin = self.clock.now()
        ok = True
        for index, step in enumerate(flow.steps):
            if self._stop_requested:
                return True
            ok = self._top_step(flow, iteration, index, step)
            if not ok:
                break
        budget = self._budget.duration_s
        if ok and budget is not None and self.clock.now() - t_begin > budget:
            self._incident("stall", t_begin, self.clock.now(),
                           f"flow '{flow.name}' took {self.clock.now() - t_begin:.1f} s, over "
                           f"its {budget:.1f} s budget")
        return ok

    def _top_step(self, flow: Flow, iteration: int, index: int, step: Step) -> bool:
        self._step = step.describe()
        t_start = self.clock.now()
        status, message = "ok", ""
        try:
            self._scan_background()
            incident = self._execute(step)
            if incident:
                status, message = "failed", incident
        except _CrashSeen as crash:
            self._step_doc(flow, iteration, index, step, "failed", t_start, crash.sighting.kind)
            self._handle_crash(crash, flow)
            return False
        except _AppExitSeen as exit_seen:
            self._incident("app-exit", exit_seen.t, exit_seen.view.t,
                           "the app closed to the launcher by itself",
                           evidence_view=exit_seen.view)
            self._step_doc(flow, iteration, index, step, "failed", t_start, "app-exit")
            self._recover_home()
            return False
        except _RebootSeen as reboot:
            self._step_doc(flow, iteration, index, step, "failed", t_start, "reboot")
            self._handle_reboot(reboot)
            return False
        except _StepFailed as failed:
            message = self._incident(failed.kind, t_start, self.clock.now(), failed.message)
            self._step_doc(flow, iteration, index, step, "failed", t_start, message)
            self._recover(flow)
            return False
        except _FlowAbandoned as exc:
            self._step_doc(flow, iteration, index, step, "failed", t_start, str(exc))
            return False
        self._step_doc(flow, iteration, index, step, status, t_start, message)
        return True

    def _step_doc(self, flow: Flow, iteration: int, index: int, step: Step, status: str,
                  t_start: float, message: str) -> None:
        self.steps_done += 1
        self._emit(StepDoc(run_id=self.run_id, t=self.clock.now(), flow=flow.name,
                           iteration=iteration, index=index, step=step.describe(),
                           status=status, t_start=t_start, message=message, slot=self.slot,
                           last=index == len(flow.steps) - 1))

    # -- steps -------------------------------------------------------------------------------
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
        """Run one step; returns an incident summary when the step raised one, else ''."""
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
            for ch in step.text:
                self._press_keyboard(" " if ch == " " else ch, step.keyboard, "space")
            return ""
        if isinstance(step, S.EraseText):
            for _ in range(step.characters):
                self._press_keyboard("backspace", step.keyboard, "backspace")
            return ""
        if isinstance(step, S.WaitForAnimationToEnd):
            self._settle(timeout_s=step.timeout_s)
            return ""
        if isinstance(step, S.AssertVisible):
            if self._wait_visible(step.target, True, step.timeout_s) is None:
                raise _StepFailed("assertion", f"{step.target.describe()} is not visible")
            return ""
        if isinstance(step, S.AssertNotVisible):
            if self._wait_visible(step.target, False, step.timeout_s) is None:
                raise _StepFailed("assertion", f"{step.target.describe()} is still visible")
            return ""
        if isinstance(step, S.ExtendedWaitUntil):
            target = step.visible or step.not_visible
            if self._wait_visible(target, step.visible is not None, step.timeout_s) is None:
                state = "visible" if step.visible is not None else "gone"
                raise _StepFailed("assertion", f"{target.describe()} was not {state} within "
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
            raise _StepFailed("assertion", f"{step.target.describe()} not found after "
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
                except _StepFailed:
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
                raise _FlowAbandoned("unresponsive touch")
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

    def _expect_response(self, step: S.ExpectResponse) -> str:
        if self._last_touch is None:
            raise _StepFailed("assertion", "expectResponse: no touch before it")
        t_down, latency = self._last_touch
        if latency is None:
            raise _StepFailed("assertion", "expectResponse: the previous touch was not "
                              "measured (use it after a touch that expects a change)")
        if latency > step.within_s:
            return self._incident("stall", t_down, t_down + latency,
                                  f"response took {latency * 1000:.0f} ms, over the "
                                  f"{step.within_s * 1000:.0f} ms expected")
        return ""

    def _measure(self, step: S.Measure) -> str:
        if self._last_touch is None:
            raise _StepFailed("assertion", f"measure '{step.name}': no touch before it")
        t_down, latency = self._last_touch
        if step.until == "response":
            if latency is None:
                raise _StepFailed("assertion", f"measure '{step.name}': no response measured")
            value = latency
        elif step.until == "settled":
            t_settled = self._settle(timeout_s=step.timeout_s)
            if t_settled is None:
                raise _StepFailed("assertion", f"measure '{step.name}': the screen did not "
                                  f"settle within {step.timeout_s:.1f} s")
            value = max(0.0, t_settled - t_down)
        else:
            t_seen = self._wait_visible(step.until, True, step.timeout_s)
            if t_seen is None:
                raise _StepFailed("assertion", f"measure '{step.name}': "
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

    def _press_keyboard(self, key: str, layout: dict[str, S.Point] | None, name: str) -> None:
        if layout is not None:
            point = layout.get(key) or layout.get(key.lower()) or layout.get(name)
            if point is None:
                raise _StepFailed("assertion", f"key {key!r} is not in the keyboard layout")
            at = point.resolve(self.rig.device.screen_px)
        else:
            at = self._find_or_fail(S.Text(text=key, min_score=0.3))
        self._touch(S.Tap(at=S.Point(x=at.x, y=at.y), expect="none", settle=False))
        self.clock.sleep(0.05)

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

    # -- finding things ----------------------------------------------------------------------
    def _ocr_importable(self) -> bool:
        return self._reader is not None or importlib.util.find_spec("tapbot.vision.ocr") \
            is not None

    def _ocr(self):
        if not self._reader_tried:
            self._reader_tried = True
            try:
                module = importlib.import_module("tapbot.vision.ocr")
                self._reader = module.TextReader()
            except Exception as exc:  # OCR unavailable: text selectors fail with a message
                logger.warning("OCR unavailable: %s", exc)
        if self._reader is None:
            raise FlowError("text selectors need OCR (tapbot.vision.ocr), which is not "
                            "available")
        return self._reader

    def _template(self, target: S.Image) -> np.ndarray:
        key = str(target.image)
        img = self._templates.get(key)
        if img is None:
            img = cv2.imread(key, cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise FlowError(f"image {target.image} cannot be read as a picture")
            self._templates[key] = img
        return img

    def _full_view(self) -> np.ndarray:
        """The current screen at full device resolution (gray), for OCR and templates."""
        if self._full_rectifier is None:
            self._full_rectifier = ScreenRectifier.for_calibration(
                self.rig.calibration, self.rig.device.screen_px, 1.0)
        frame = self.observer.view_at(self.clock.now()).frame
        return self._full_rectifier.view(frame.image)

    def _region_px(self, region: S.Region | None) -> tuple[int, int, int, int] | None:
        if region is None:
            return None
        a, b = region.resolve(self.rig.device.screen_px)
        return int(a.x), int(a.y), int(b.x - a.x), int(b.y - a.y)

    def _locate(self, target) -> PointPx | None:
        """Where ``target`` is on the current screen (screen px), or None."""
        if isinstance(target, S.Point):
            return target.resolve(self.rig.device.screen_px)
        view = self._full_view()
        if isinstance(target, S.Text):
            box = self._ocr().find(view, target.text, region=self._region_px(target.region),
                                   min_score=target.min_score)
            return None if box is None else PointPx(*box.center)
        template_mod = importlib.import_module("tapbot.vision.template")
        match = template_mod.match_template(view, self._template(target),
                                            threshold=target.threshold,
                                            region=self._region_px(target.region))
        if not match.found:
            return None
        x, y, w, h = match.box
        return PointPx(x + w / 2.0, y + h / 2.0)

    def _find_or_fail(self, target) -> PointPx:
        p = self._locate(target)
        if p is None:
            raise _StepFailed("assertion", f"{target.describe()} is not on the screen")
        return p

    def _wait_visible(self, target, visible: bool, timeout_s: float,
                      interval_s: float = 0.5) -> float | None:
        """Poll (OCR/template on demand) until ``target`` is (not) visible; the time it was
        first seen so, or None after ``timeout_s``."""
        t_end = self.clock.now() + timeout_s
        while True:
            if (self._locate(target) is not None) == visible:
                return self.clock.now()
            if self.clock.now() >= t_end:
                return None
            self.clock.sleep(min(interval_s, max(1e-3, t_end - self.clock.now())))
            self._scan_background()

    # -- watching ----------------------------------------------------------------------------
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

    def _await(self, predicate: Callable[[np.ndarray], bool], t_from: float,
               timeout_s: float, chunk_s: float = 0.1) -> View | None:
        """The first view after ``t_from`` for which ``predicate`` holds, within ``timeout_s``.

        Waits on the rig clock in small chunks, as frames arrive.
        """
        deadline = t_from + timeout_s
        t_scan = t_from
        while True:
            target = min(deadline, t_scan + chunk_s)
            self.clock.sleep(target - self.clock.now())
            until = min(self.clock.now(), deadline)
            hit = self.observer.first_change(t_scan, until, predicate)
            if hit is not None:
                return hit
            if until >= deadline - 1e-9:
                return None
            t_scan = until

    def _settle(self, interval_s: float = 0.1, timeout_s: float | None = None) -> float | None:
        """Wait until the screen has not changed for ``settle_quiet_s``; returns the time of
        the last change, or None when it kept changing until the timeout."""
        timeout = self.thresholds.settle_timeout_s if timeout_s is None else timeout_s
        start = self.clock.now()
        last = self.observer.view_at(start)
        t_last_change = last.t
        t_scan = last.t
        while True:
            self.clock.sleep(interval_s)
            for view in self.observer.views(t_scan, self.clock.now(), interval_s):
                if self.detector.compare(last.image, view.image, self._status_mask).changed:
                    t_last_change = view.t
                last, t_scan = view, view.t
                if view.t - t_last_change >= self.thresholds.settle_quiet_s:
                    return t_last_change
                if view.t - start >= timeout:
                    return None

    def _wait(self, seconds: float) -> None:
        t_end = self.clock.now() + seconds
        while self.clock.now() < t_end - 1e-9:
            self.clock.sleep(min(1.0, t_end - self.clock.now()))
            self._scan_background()

    def _watch(self, seconds: float, interval_s: float = 0.2) -> str:
        """The screen must keep changing for ``seconds``; a static stretch is a freeze."""
        watch = AnimationWatch(self.detector, mask=self._status_mask)
        t_scan = self.clock.now() - interval_s
        t_end = self.clock.now() + seconds
        while True:
            self.clock.sleep(min(1.0, max(0.0, t_end - self.clock.now())) or interval_s)
            for view in self.observer.views(t_scan, self.clock.now(), interval_s):
                watch.feed(view.t, view.image)
                t_scan = view.t
                if watch.static_s(view.t) >= self.thresholds.frozen_frame_s:
                    self._scan_background()
                    return self._follow_frozen_animation(watch)
            self._scan_background()
            if self.clock.now() >= t_end - 1e-9:
                return ""

    def _follow_frozen_animation(self, watch: AnimationWatch, interval_s: float = 0.1) -> str:
        onset = watch.last_change_t if watch.last_change_t is not None else self.clock.now()
        t_scan = self.clock.now()
        while self.clock.now() - onset < self.thresholds.max_freeze_s:
            self.clock.sleep(0.5)
            for view in self.observer.views(t_scan, self.clock.now(), interval_s):
                t_scan = view.t
                if watch.feed(view.t, view.image):
                    return self._incident("freeze", onset, view.t,
                                          f"the animation stood still for "
                                          f"{view.t - onset:.2f} s")
            self._scan_background()
        self._incident("freeze", onset, None,
                       f"the animation stood still for over {self.thresholds.max_freeze_s:.0f} s")
        self._recover_home()
        raise _FlowAbandoned("frozen")

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
        raise _FlowAbandoned("unresponsive")

    # -- background monitors -----------------------------------------------------------------
    def _scan_background(self) -> None:
        """Look at frames since the last scan (thinned) for a crash/ANR dialog or a dark
        screen (a reboot), and at the device link's crash log when there is one."""
        now = self.clock.now()
        if now <= self._t_background:
            return
        views = self.observer.views(self._t_background, now, self.background_interval_s)
        if self.rig.link is not None and views:
            self._scan_log(views[-1])
            try:
                booting = self.rig.link.boot_state() != "booted"
            except TapbotError:
                booting = False
            if booting:
                onset = self._dark_since if self._dark_since is not None else views[0].t
                self._dark_since = None
                self._t_background = now
                raise _RebootSeen(onset, views[0])
        for view in views:
            sighting = look_for_crash(view.t, view.image)
            if sighting is not None:
                self._t_background = view.t
                self._classify(sighting)
                raise _CrashSeen(sighting, view)
            if float(view.image.mean()) < DARK_LEVEL:
                if self._dark_since is None:
                    self._dark_since = view.t
                elif view.t - self._dark_since >= 0.5:
                    onset, self._dark_since = self._dark_since, None
                    self._t_background = view.t
                    raise _RebootSeen(onset, view)
            else:
                self._dark_since = None
            if self._in_app and view.t > self._in_app_since and self._launcher_ref is not None \
                    and not self.detector.compare(
                    self._launcher_ref, view.image, self._tool_mask).changed:
                self._in_app = False
                self._t_background = view.t
                raise _AppExitSeen(view)
        self._t_background = now

    def _scan_log(self, view: View) -> None:
        """The device's crash/ANR/process-death lines (logcat through the link) since the
        last look: they name what the camera may not see (a dialog under the tool)."""
        try:
            lines = self.rig.link.log_lines(self._t_log)  # type: ignore[union-attr]
        except TapbotError:
            return
        if not lines:
            return
        self._t_log = max(t for t, _ in lines)
        for t, line in lines:
            kind = classify_text(line)
            if kind is not None:
                self._t_background = view.t
                raise _CrashSeen(DialogSighting(t, None, kind, line), view)
            if "has died" in line.lower() and self._in_app:
                self._in_app = False
                self._t_background = view.t
                raise _AppExitSeen(view, t)

    def _classify(self, sighting: DialogSighting) -> None:
        """Crash or ANR: the device log when there is one, else the dialog's text by OCR."""
        link = self.rig.link
        if sighting.box is None:
            return
        if link is not None:
            try:
                lines = link.log_lines(self._t_log)
            except TapbotError:
                lines = []
            for _, line in lines:
                kind = classify_text(line)
                if kind is not None:
                    sighting.kind, sighting.text = kind, line
            self._t_log = self.clock.now()
            if lines and sighting.text:
                return
        reader = None
        try:
            reader = self._ocr()
        except FlowError:
            return
        s = 1.0 / self.rectifier.scale
        b = sighting.box
        region = (int(b.x * s), int(b.y * s), int(b.w * s), int(b.h * s))
        text = read_text(reader, self._full_view(), region)
        kind = classify_text(text)
        if kind is not None:
            sighting.kind, sighting.text = kind, text

    def _handle_crash(self, crash: _CrashSeen, flow: Flow | None = None) -> None:
        onset = crash.sighting.t
        kind = crash.sighting.kind
        self._in_app = False  # dismissing the dialog lands on the launcher
        what = "an app-not-responding" if kind == "anr" else "an app-stopped"
        home = self._stroke(PressKey(key="home"))
        for _ in range(3):
            _, t_down, _ = self._perform(home, "recover-home")
            gone = self._await(lambda img: find_dialog(img) is None, t_down, 2.0)
            if gone is not None:
                self._incident(kind, onset, gone.t,
                               f"{what} dialog appeared; dismissed with home",
                               evidence_view=crash.view)
                self._t_background = gone.t
                self._settle()
                return
        self._incident(kind, onset, None, f"{what} dialog cannot be dismissed",
                       evidence_view=crash.view)
        raise RunAborted(f"{what} dialog stayed after three presses of home",
                         hint="look at the phone; the run stopped with the finger parked")

    def _handle_reboot(self, reboot: _RebootSeen) -> None:
        """Wait out the reboot (link boot state, or the screen lighting up), then unlock."""
        t_end = self.clock.now() + self.thresholds.reboot_wait_s
        link = self.rig.link
        self._in_app = False
        while self.clock.now() < t_end:
            self.clock.sleep(1.0)
            if link is not None:
                try:
                    if link.boot_state() != "booted":
                        continue
                except TapbotError:
                    continue
            view = self.observer.view_at(self.clock.now())
            if float(view.image.mean()) >= DARK_LEVEL:
                break
        self._settle(timeout_s=10.0)
        self._incident("reboot", reboot.onset, self.clock.now(),
                       "the screen went dark and the phone restarted",
                       evidence_view=reboot.view)
        self._unlock()
        self._t_background = self.clock.now()

    def _unlock(self) -> None:
        """Swipe up from the bottom (Android's swipe-to-unlock), then go home."""
        try:
            up = S.Swipe(start=S.Point(x="50%", y="85%"), end=S.Point(x="50%", y="35%"),
                         expect="none")
            self._touch(up)
            self._recover_home()
        except TapbotError:
            logger.exception("unlocking after a reboot failed")

    def _learn_launcher(self) -> None:
        """Go home and remember the launcher's look (to see an app close by itself)."""
        try:
            self._perform(self._stroke(PressKey(key="home")), "home")
            self._settle()
        except TapbotError:
            logger.exception("could not go home at the start of the run")
            return
        self._launcher_ref = self.observer.view_at(self.clock.now()).image
        self._in_app = False
        self._t_background = self.clock.now()

    def _recover(self, flow: Flow | None = None) -> None:
        """Back to a known state after an incident: the launcher."""
        self._recover_home()

    def _recover_home(self) -> None:
        self._in_app = False
        try:
            self._perform(self._stroke(PressKey(key="home")), "recover-home")
            self._settle()
        except TapbotError:
            logger.exception("recovery to the launcher failed")

    # -- incidents and evidence --------------------------------------------------------------
    def _incident(self, kind: str, onset: float, end: float | None, message: str,
                  evidence_view: View | None = None) -> str:
        self.incident_kinds[kind] += 1
        evidence: list[str] = []
        if self.artifacts is not None:
            try:
                evidence = self._evidence(kind, onset, end, evidence_view)
            except TapbotError:
                logger.exception("could not save evidence for a %s incident", kind)
        self._emit(Incident(run_id=self.run_id, t=self.clock.now(), incident=kind,
                            t_onset=onset, t_end=end, flow=self._flow, step=self._step,
                            message=message, evidence=evidence))
        logger.info("%s at %.2f s in %s/%s: %s", kind, onset, self._flow, self._step, message)
        return f"{kind}: {message}"

    def _evidence(self, kind: str, onset: float, end: float | None,
                  evidence_view: View | None) -> list[str]:
        """The onset frame, a short clip around the onset, and the screen views before and
        after, saved as artifacts; each announced by a frame-ref document."""
        assert self.artifacts is not None
        now = self.clock.now()
        n = sum(self.incident_kinds.values())
        name = f"incident-{n:04d}-{kind}"
        saved: list[str] = []

        def save(image: np.ndarray, rel_name: str, folder: str, purpose: str, t: float) -> None:
            rel = self.artifacts.save_image(rel_name, image, folder=folder)
            saved.append(rel)
            self._emit(FrameRef(run_id=self.run_id, t=self.clock.now(), path=rel,
                                purpose=purpose, t_capture=t))

        view = evidence_view or self.observer.view_at(min(onset + 1e-6, now))
        save(view.frame.image, name, "frames", f"{kind} onset", view.t)
        clip = self.observer.views(max(0.0, onset - CLIP_BEFORE_S),
                                   min(now, onset + CLIP_AFTER_S), CLIP_INTERVAL_S)
        for i, v in enumerate(clip):
            save(v.frame.image, f"{i:03d}", f"clips/{name}", f"{kind} clip", v.t)
        before = self.observer.view_at(max(0.0, onset - CLIP_BEFORE_S))
        save(before.image, f"{name}-before", "views", f"{kind} before", before.t)
        after = self.observer.view_at(min(now, end) if end is not None else now)
        save(after.image, f"{name}-after", "views", f"{kind} after", after.t)
        return saved
