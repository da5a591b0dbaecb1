"""The runner: executes flows and soaks on a rig and emits the run's documents.

It owns the state machine and the clock. Monitors judge the views it pulls from the camera;
incidents and measurements leave as documents to subscribers. Whatever happens, the rig is
closed at the end: fingers up and parked.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

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
from tapbot.core.errors import FlowError, RunAborted, TapbotError
from tapbot.core.geometry import PointPx
from tapbot.core.paths import TouchPath
from tapbot.flows.steps import (
    Flow,
    FlowMix,
    LongPress,
    PressKey,
    Step,
    Swipe,
    Tap,
    Wait,
    WatchAnimation,
)
from tapbot.gestures import Stroke, long_press, swipe, tap, to_touch_path
from tapbot.monitors import AnimationWatch, ResponseWatch, Thresholds, look_for_crash
from tapbot.monitors.crash import DialogSighting
from tapbot.rig.rig import Rig
from tapbot.runner.observer import Observer, View
from tapbot.runner.state import RunState, StateMachine
from tapbot.store.artifacts import Artifacts
from tapbot.vision import ChangeDetector, ScreenRectifier, find_dialog

logger = logging.getLogger(__name__)

FINGER_MASK_MM = 6.0  # radius masked around a touch: fingertip (~3.5 mm) plus its shadow


class _CrashSeen(Exception):
    def __init__(self, sighting: DialogSighting, view: View) -> None:
        super().__init__("crash dialog")
        self.sighting = sighting
        self.view = view


class _FlowAbandoned(Exception):
    """The rest of this iteration is skipped (after a recovery)."""


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
        view_scale: float = 0.25,
        background_interval_s: float = 0.3,
    ) -> None:
        self.rig = rig
        self.clock = rig.clock
        self.dispatcher = dispatcher
        self.run_id = run_id
        self.thresholds = thresholds or Thresholds()
        self.artifacts = artifacts
        self.rectifier = ScreenRectifier(
            rig.calibration.camera_to_screen_h, rig.device.screen_px, view_scale)
        self.observer = Observer(rig.camera, self.rectifier)
        self.detector = ChangeDetector()
        self.background_interval_s = background_interval_s
        self.machine = StateMachine()
        self._stop_requested = False
        self._t_background = 0.0
        self._flow = ""
        self._step = ""
        self.incident_kinds: Counter[str] = Counter()
        self.steps_done = 0

    # -- control -----------------------------------------------------------------------------
    @property
    def state(self) -> RunState:
        return self.machine.state

    def request_stop(self) -> None:
        """Stop cleanly after the current step (Ctrl-C once)."""
        self._stop_requested = True
        if self.machine.state in (RunState.RUNNING, RunState.PAUSED):
            self.machine.to(RunState.STOPPING)

    # -- entry points ------------------------------------------------------------------------
    def run_flow(self, flow: Flow, iterations: int = 1, plan: str | None = None) -> RunStop:
        """Run one flow ``iterations`` times."""
        self.validate([flow])

        def body() -> None:
            for i in range(iterations):
                if self._stop_requested:
                    break
                self._iteration(flow, i)

        return self._run(plan or flow.name, seed=None, duration_s=None, body=body)

    def run_soak(self, mix: list[FlowMix], duration_s: float, seed: int,
                 plan: str = "soak") -> RunStop:
        """Run a seeded, weighted mix of flows for ``duration_s`` on the rig's clock."""
        if not mix:
            raise FlowError("a soak needs at least one flow")
        if duration_s <= 0:
            raise FlowError(f"a soak duration must be positive, got {duration_s} s")
        self.validate([m.flow for m in mix])
        rng = np.random.default_rng(seed)
        weights = np.array([m.weight for m in mix], dtype=float)
        weights /= weights.sum()
        counts: Counter[str] = Counter()

        def body() -> None:
            t_end = self.clock.now() + duration_s
            while self.clock.now() < t_end and not self._stop_requested:
                flow = mix[int(rng.choice(len(mix), p=weights))].flow
                self._iteration(flow, counts[flow.name])
                counts[flow.name] += 1

        return self._run(plan, seed=seed, duration_s=duration_s, body=body)

    def validate(self, flows: list[Flow]) -> None:
        """Resolve every position and key before anything moves."""
        for flow in flows:
            for i, step in enumerate(flow.steps):
                try:
                    if isinstance(step, Tap | LongPress | PressKey | Swipe):
                        stroke = self._stroke(step)
                        to_touch_path(stroke, self.rig.calibration)
                        for _, p in stroke.points:
                            self.rig.robot.check_point(
                                self.rig.calibration.screen_to_robot_mm(p),
                                self.rig.robot.contact_z_mm)
                except TapbotError as exc:
                    raise FlowError(
                        f"flow '{flow.name}' step {i + 1} ({step.describe()}): {exc.message}",
                        hint=exc.hint) from exc

    # -- run skeleton ------------------------------------------------------------------------
    def _emit(self, doc) -> None:
        self.dispatcher.emit(doc)

    def _run(self, plan: str, seed: int | None, duration_s: float | None,
             body: Callable[[], None]) -> RunStop:
        rig = self.rig
        self.machine.to(RunState.RUNNING)
        self._emit(RunStart(
            run_id=self.run_id, t=self.clock.now(), rig=rig.name, device=rig.device.name,
            plan=plan, seed=seed, duration_s=duration_s, thresholds=self.thresholds.as_dict(),
            config={"camera_fps": rig.camera.fps, "calibration": rig.calibration.source}))
        reason = "completed"
        try:
            rig.open()
            self._t_background = self.clock.now()
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

    def _iteration(self, flow: Flow, iteration: int) -> bool:
        """One pass through a flow; returns False when an incident cut it short."""
        self._flow = flow.name
        for index, step in enumerate(flow.steps):
            if self._stop_requested:
                return True
            self._step = step.describe()
            t_start = self.clock.now()
            status, message = "ok", ""
            try:
                self._scan_background()
                incident = self._execute(step)
                if incident:
                    status, message = "failed", incident
            except _CrashSeen as crash:
                self._step_doc(flow, iteration, index, step, "failed", t_start, "crash")
                self._handle_crash(crash)
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
                           status=status, t_start=t_start, message=message))

    # -- steps -------------------------------------------------------------------------------
    def _stroke(self, step: Tap | LongPress | PressKey | Swipe) -> Stroke:
        screen = self.rig.device.screen_px
        if isinstance(step, Tap):
            return tap(step.at.resolve(screen), hold_s=step.hold_s)
        if isinstance(step, LongPress):
            return long_press(step.at.resolve(screen), hold_s=step.hold_s)
        if isinstance(step, Swipe):
            return swipe(step.start.resolve(screen), step.end.resolve(screen),
                         duration_s=step.duration_s)
        buttons = self.rig.device.buttons
        if step.key not in buttons:
            raise FlowError(f"key '{step.key}' is not a button of {self.rig.device.name}; "
                            f"known: {', '.join(sorted(buttons))}")
        return tap(PointPx(*buttons[step.key]))

    def _execute(self, step: Step) -> str:
        """Run one step; returns an incident summary when the step raised one, else ''."""
        if isinstance(step, Wait):
            self._wait(step.seconds)
            return ""
        if isinstance(step, WatchAnimation):
            return self._watch(step.seconds)
        return self._touch(step)

    def _perform(self, stroke: Stroke, gesture: str) -> tuple[TouchPath, float, float]:
        path = to_touch_path(stroke, self.rig.calibration)
        t_down, t_up = self.rig.robot.perform(path)
        p, mm = stroke.start, path.start
        self._emit(TouchDoc(run_id=self.run_id, t=self.clock.now(), gesture=gesture,
                            finger=path.finger, x_px=p.x, y_px=p.y, x_mm=mm.x, y_mm=mm.y,
                            t_down=t_down, t_up=t_up))
        return path, t_down, t_up

    def _touch(self, step: Tap | LongPress | PressKey | Swipe) -> str:
        stroke = self._stroke(step)
        _, t_down, _ = self._perform(stroke, step.kind)
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
            return self._probe_freeze(stroke, step.kind, watch, t_down)
        latency = watch.latency_s(hit.t)
        self._emit(Measurement(run_id=self.run_id, t=self.clock.now(), name="response_latency",
                               value=latency, unit="s", t_start=t_down, flow=self._flow,
                               step=self._step))
        if step.settle:
            t_settled = self._settle()
            if t_settled is not None:
                self._emit(Measurement(run_id=self.run_id, t=self.clock.now(),
                                       name="settle_time", value=t_settled - t_down, unit="s",
                                       t_start=t_down, flow=self._flow, step=self._step))
        return ""

    def _finger_mask(self, stroke: Stroke) -> np.ndarray:
        """Nonzero where the finger and arm may be seen: a disk around every touch point and
        a band from it towards the bottom of the screen."""
        w, h = self.rectifier.view_size_px
        mask = np.zeros((h, w), dtype=np.uint8)
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

    def _settle(self, interval_s: float = 0.1) -> float | None:
        """Wait until the screen has not changed for ``settle_quiet_s``; returns the time of
        the last change, or None when it kept changing until ``settle_timeout_s``."""
        start = self.clock.now()
        last = self.observer.view_at(start)
        t_last_change = last.t
        t_scan = last.t
        while True:
            self.clock.sleep(interval_s)
            for view in self.observer.views(t_scan, self.clock.now(), interval_s):
                if self.detector.compare(last.image, view.image).changed:
                    t_last_change = view.t
                last, t_scan = view, view.t
                if view.t - t_last_change >= self.thresholds.settle_quiet_s:
                    return t_last_change
                if view.t - start >= self.thresholds.settle_timeout_s:
                    return None

    def _wait(self, seconds: float) -> None:
        t_end = self.clock.now() + seconds
        while self.clock.now() < t_end - 1e-9:
            self.clock.sleep(min(1.0, t_end - self.clock.now()))
            self._scan_background()

    def _watch(self, seconds: float, interval_s: float = 0.1) -> str:
        """The screen must keep changing for ``seconds``; a static stretch is a freeze."""
        watch = AnimationWatch(self.detector)
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
                return self._incident("freeze", onset, hit.t,
                                      f"no response to touch for {hit.t - onset:.2f} s")
            self._scan_background()
        self._incident("freeze", onset, None,
                       f"no response to touch for over {self.clock.now() - onset:.0f} s")
        self._recover_home()
        raise _FlowAbandoned("unresponsive")

    # -- background monitors -----------------------------------------------------------------
    def _scan_background(self) -> None:
        """Look at frames since the last scan (thinned) for a crash dialog."""
        now = self.clock.now()
        if now <= self._t_background:
            return
        views = self.observer.views(self._t_background, now, self.background_interval_s)
        for view in views:
            sighting = look_for_crash(view.t, view.image)
            if sighting is not None:
                self._t_background = view.t
                raise _CrashSeen(sighting, view)
        self._t_background = now

    def _handle_crash(self, crash: _CrashSeen) -> None:
        onset = crash.sighting.t
        home = self._stroke(PressKey(key="home"))
        for _ in range(3):
            _, t_down, _ = self._perform(home, "recover-home")
            gone = self._await(lambda img: find_dialog(img) is None, t_down, 2.0)
            if gone is not None:
                self._incident("crash", onset, gone.t,
                               "an app-stopped dialog appeared; dismissed with home",
                               evidence_view=crash.view)
                self._t_background = gone.t
                self._settle()
                return
        self._incident("crash", onset, None, "an app-stopped dialog cannot be dismissed",
                       evidence_view=crash.view)
        raise RunAborted("a crash dialog stayed after three presses of home",
                         hint="look at the phone; the run stopped with the finger parked")

    def _recover_home(self) -> None:
        try:
            self._perform(self._stroke(PressKey(key="home")), "recover-home")
            self._settle()
        except TapbotError:
            logger.exception("recovery to the launcher failed")

    def _incident(self, kind: str, onset: float, end: float | None, message: str,
                  evidence_view: View | None = None) -> str:
        self.incident_kinds[kind] += 1
        evidence: list[str] = []
        if self.artifacts is not None:
            view = evidence_view or self.observer.view_at(min(onset + 1e-6, self.clock.now()))
            name = f"incident-{sum(self.incident_kinds.values()):04d}-{kind}"
            try:
                rel = self.artifacts.save_image(name, view.frame.image)
                evidence.append(rel)
                self._emit(FrameRef(run_id=self.run_id, t=self.clock.now(), path=rel,
                                    purpose=f"{kind} onset", t_capture=view.t))
            except TapbotError:
                logger.exception("could not save evidence for a %s incident", kind)
        self._emit(Incident(run_id=self.run_id, t=self.clock.now(), incident=kind,
                            t_onset=onset, t_end=end, flow=self._flow, step=self._step,
                            message=message, evidence=evidence))
        logger.info("%s at %.2f s in %s/%s: %s", kind, onset, self._flow, self._step, message)
        return f"{kind}: {message}"
