"""The runner: executes flows and soaks on a rig and emits the run's documents.

It owns the state machine and the clock. Monitors judge the views it pulls from the camera;
incidents and measurements leave as documents to subscribers. Whatever happens, the rig is
closed at the end: fingers up and parked.

Control: ``request_stop()`` (Ctrl-C once) stops after the current step; a KeyboardInterrupt
(Ctrl-C twice) aborts at once; both leave the fingers up and parked. A
:class:`~tapbot.core.errors.ConnectionLost` from any part suspends the run (state ``paused``)
until the part answers again, then the interrupted iteration starts over.

This module holds the run skeleton (entry points, state, iterations, step documents); the
rest of the runner lives in modules named for what they hold, mixed into :class:`Runner`:
:mod:`~tapbot.runner.steps` (each step kind), :mod:`~tapbot.runner.locate` (selectors),
:mod:`~tapbot.runner.touch` (touch, response, probe), :mod:`~tapbot.runner.watch` (settle,
watch, await), :mod:`~tapbot.runner.background` (crash/ANR/reboot/app-exit scanning),
:mod:`~tapbot.runner.recovery` and :mod:`~tapbot.runner.evidence`.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from tapbot.calibrate.procedure import holder_markers_mm
from tapbot.core.documents import (
    RIG_FAULT_INCIDENTS,
    Dispatcher,
    RunStart,
    RunStop,
    StepDoc,
)
from tapbot.core.errors import ConnectionLost, FlowError, RunAborted, TapbotError
from tapbot.flows import steps as S
from tapbot.flows.plan import Budget, Plan
from tapbot.flows.steps import Flow, FlowMix, Step
from tapbot.flows.yamlflow import validation_message
from tapbot.monitors import PoseMonitor, Thresholds
from tapbot.monitors.glitch import GlitchSighting, GlitchWatch
from tapbot.monitors.sampler import FrameSampler
from tapbot.monitors.slowdown import SlowdownWatch
from tapbot.monitors.touchlog import DriftWatch, TouchLog
from tapbot.rig.rig import Rig
from tapbot.runner.background import BackgroundMixin
from tapbot.runner.evidence import EvidenceMixin
from tapbot.runner.interrupts import (
    AppExitSeen,
    CrashSeen,
    FlowAbandoned,
    GhostSeen,
    RebootSeen,
    RigFaultSeen,
    StepFailed,
)
from tapbot.runner.locate import LocateMixin
from tapbot.runner.observer import Observer, View
from tapbot.runner.recovery import RecoveryMixin
from tapbot.runner.state import RunState, StateMachine
from tapbot.runner.steps import StepsMixin
from tapbot.runner.touch import TouchMixin, tool_shape
from tapbot.runner.watch import WatchMixin
from tapbot.store.artifacts import Artifacts
from tapbot.vision import ChangeDetector, ScreenRectifier

logger = logging.getLogger(__name__)

SUSPEND_POLL_S = 5.0
MAX_VIEW_SCALE = 0.25  # monitors' view: at most a quarter of the screen's px ...
MIN_VIEW_SCALE = 0.1  # ... and at least a tenth, however coarse the camera
SUSPEND_LIMIT_S = 3600.0
STALLS_KEPT = 16  # main-thread stalls from the device log kept for the freeze monitor


@dataclass
class ResumePoint:
    """Where an interrupted run goes on: schedule slot, incidents so far, time used."""

    slot: int
    steps_done: int
    incidents: dict[str, int]
    elapsed_s: float


class Runner(StepsMixin, LocateMixin, TouchMixin, WatchMixin, BackgroundMixin, RecoveryMixin,
             EvidenceMixin):
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
        glitch_interval_s: float | None = 1.0 / 60.0,
        pose_check_s: float | None = 30.0,
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
        self._undone: list[View] = []  # changes that came back as the last touch awaited
        self._budget = Budget()
        self._dark_since: float | None = None
        self._launcher_ref: np.ndarray | None = None
        # the lock screen as seen after a reboot, and the mask it is compared outside of
        self._lock: tuple[np.ndarray, np.ndarray] | None = None
        self._in_app = False
        self._in_app_since = 0.0
        self._last_mask: np.ndarray | None = None
        self._animated_until = -np.inf  # when an animation watch last saw the screen move
        self._still_view: View | None = None  # the last view a settle looked at
        # the first touch since the last answer that expected nothing and changed nothing:
        # (touch-down, the view then, the tool's travel to it as a view mask)
        self._silent: tuple[float, View, np.ndarray] | None = None
        self._t_log = 0.0  # the device log is read up to here (its lines' own times)
        self._log_read = False  # whether the last read of the device log worked
        self._log_unread: list[tuple[float, str]] = []  # read, not yet scanned for crashes
        # the app's main-thread stalls the device log told of lately: (start, end)
        self._stalls: deque[tuple[float, float]] = deque(maxlen=STALLS_KEPT)
        self.incident_kinds: Counter[str] = Counter()
        self.steps_done = 0
        self.slot = 0
        self._status_mask = self._make_status_mask()
        self._tool_shape = tool_shape(rig)  # what the masks hide: the robot's tool
        # (tip x, tip y, calibration) -> the tool's view polygons there (_tool_view_polygons)
        self._tool_polygons: OrderedDict[tuple, list[np.ndarray]] = OrderedDict()
        # monitors beyond the views: every frame (glitch), the digitizer (ghost touch, drift),
        # the latency trend (slowdown)
        self.glitch_interval_s = glitch_interval_s
        # the glitch grid's points in a view of (h, w): (h, w) and their flat indices
        self._grid_in_view: tuple[tuple[int, int], np.ndarray] | None = None
        self.glitch_sampler = FrameSampler(rig.calibration, rig.device.screen_px,
                                           self.thresholds.status_bar_frac)
        # the camera runs it where it makes the grid's samples (the twin's copy): talk to it
        # through self._glitch only, and read nothing back but what a feed found
        self.glitch_watch = GlitchWatch(self.thresholds.glitch_max_s,
                                        rows=self.glitch_sampler.rows)
        self._t_glitch = 0.0
        # frames asked for at the last scan: (ticket, after a gap, glitch_max_s, flow, step)
        self._glitch_batch: tuple[Any, bool, float, str, str] | None = None
        # the frames fed to the glitch watch and not reported yet, oldest first: (when fed,
        # its findings, flow, step)
        self._glitch_fed: deque[tuple[float, Callable[[], list[GlitchSighting]], str, str]] = \
            deque()
        self.touch_log = TouchLog(rig.device.px_per_mm) if rig.link is not None else None
        self.drift_watch = DriftWatch(self.thresholds.drift_max_mm)
        self._off_target: float | None = None
        self._t_crash_handled = -1e9
        self.slowdown_watch = SlowdownWatch(self.thresholds.slowdown_min_s)
        # has the phone moved on the deck (a bump)? every pose_check_s, between touches
        self.pose_monitor = None if pose_check_s is None else PoseMonitor(
            rig.calibration, rig.device.screen_px, rig.device.screen_mm,
            markers_mm=holder_markers_mm(rig.camera),
            limit_mm=self.thresholds.pose_drift_max_mm, every_s=pose_check_s,
            search_mm=max(4.0, 4.0 * self.thresholds.pose_drift_max_mm))

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
        """Resolve every position, key, image, capability and threshold before anything
        moves."""
        for flow in flows:
            try:
                self._base_thresholds.merged(**flow.thresholds)
            except ValidationError as exc:
                raise FlowError(f"{flow.source or 'flow'}: flow '{flow.name}' thresholds: "
                                f"{validation_message(exc)}") from None
            for i, step in enumerate(S.walk(flow.steps)):
                try:
                    self._validate_step(step)
                except TapbotError as exc:
                    where = f"{step.source}: " if step.source else ""
                    raise FlowError(
                        f"{where}flow '{flow.name}' step {i + 1} ({step.describe()}): "
                        f"{exc.message}", hint=exc.hint) from exc

    # -- run skeleton ------------------------------------------------------------------------
    def _emit(self, doc) -> None:
        self.dispatcher.emit(doc)

    @contextmanager
    def _thresholds_for(self, changes: dict[str, Any], budget_s: float | None = None
                        ) -> Iterator[None]:
        """Narrower thresholds (a flow's, a step's) while the block runs; ``budget_s`` (a
        plan's per-flow or a touch's response budget), when set, over them."""
        saved = self.thresholds
        if budget_s is not None:
            changes = {**changes, "response_budget_s": budget_s}
        if changes:
            self.thresholds = saved.merged(**changes)
        try:
            yield
        finally:
            self.thresholds = saved

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
            # an aborted run's last batches went with its camera
            self._glitch_batch = None
            self._glitch_fed.clear()
            self._t_background = self.clock.now()
            self._t_log = self.clock.now()
            self._log_unread.clear()
            self._stalls.clear()
            self._learn_launcher()
            body()
            self._flush_glitches(last=True)
            self._last_ghosts()
            if self._stop_requested:
                reason = "stopped"
        except RigFaultSeen as fault:
            reason = "rig-fault"
            self._flush_glitches(last=True)
            logger.error("run stopped, a rig fault: %s", fault.message)
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
                if self.artifacts is not None:
                    self.artifacts.close()  # every evidence image on disk before the end
                stop = self._stop_doc(reason)
                self._emit(stop)
                if self.machine.state != RunState.FAULTED:
                    self.machine.to(RunState.FINISHED)
        return stop

    def _stop_doc(self, reason: str) -> RunStop:
        total = sum(self.incident_kinds.values())
        reasons = [f"{n} {kind} incident{'s' if n > 1 else ''}"
                   for kind, n in sorted(self.incident_kinds.items())]
        phone = sum(n for kind, n in self.incident_kinds.items()
                    if kind not in RIG_FAULT_INCIDENTS)
        if phone:
            verdict = "FAIL"
        elif reason == "completed":
            verdict = "PASS"
        else:
            verdict = "INCOMPLETE"
            reasons.append(f"the run did not complete ({reason})")
        if reason == "rig-fault":
            reasons.append("the phone moved on the deck: check the holder, run tapbot "
                           "calibrate, then tapbot soak --resume RUN")
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
        self._silent = None
        if not self._on_launcher():  # every flow starts on the launcher
            self._recover_home()
        t_begin = self.clock.now()
        ok = True
        with self._thresholds_for(flow.thresholds, self._budget.response_s):
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
        logger.debug("%s/%s: step %d of iteration %d begins", flow.name, self._step, index + 1,
                     iteration)
        status, message = "ok", ""
        try:
            self._scan_background()
            incident = self._execute(step)
            if incident:
                status, message = "failed", incident
        except GhostSeen as ghost:
            self._ghost_incidents(ghost)
            self._step_doc(flow, iteration, index, step, "failed", t_start, "ghost touch")
            self._recover_home()
            return False
        except CrashSeen as crash:
            self._step_doc(flow, iteration, index, step, "failed", t_start, crash.sighting.kind)
            self._handle_crash(crash, flow)
            return False
        except AppExitSeen as exit_seen:
            self._incident("app-exit", exit_seen.t, exit_seen.view.t,
                           "the app closed to the launcher by itself",
                           evidence_view=exit_seen.view)
            self._step_doc(flow, iteration, index, step, "failed", t_start, "app-exit")
            self._recover_home()
            return False
        except RebootSeen as reboot:
            self._step_doc(flow, iteration, index, step, "failed", t_start, "reboot")
            self._handle_reboot(reboot)
            return False
        except StepFailed as failed:
            message = self._incident(failed.kind, t_start, self.clock.now(), failed.message)
            self._step_doc(flow, iteration, index, step, "failed", t_start, message)
            self._recover(flow)
            return False
        except FlowAbandoned as exc:
            self._step_doc(flow, iteration, index, step, "failed", t_start, str(exc))
            return False
        self._step_doc(flow, iteration, index, step, status, t_start, message)
        return True

    def _ghost_incidents(self, ghost: GhostSeen) -> None:
        for g in ghost.sightings:
            self._incident("ghost_touch", g.t_down, g.t_up if g.t_up is not None else g.t_down,
                           f"the digitizer reported a touch at ({g.x_px:.0f}, {g.y_px:.0f}) "
                           "px that the robot did not make")

    def _last_ghosts(self) -> None:
        """The digitizer's reports since the last step's scan, judged as the run ends: a ghost
        touch during the run's last step is an incident too."""
        try:
            self._scan_ghosts(self.clock.now())
        except GhostSeen as ghost:
            self._ghost_incidents(ghost)

    def _step_doc(self, flow: Flow, iteration: int, index: int, step: Step, status: str,
                  t_start: float, message: str) -> None:
        self.steps_done += 1
        self._emit(StepDoc(run_id=self.run_id, t=self.clock.now(), flow=flow.name,
                           iteration=iteration, index=index, step=step.describe(),
                           status=status, t_start=t_start, message=message, slot=self.slot,
                           last=index == len(flow.steps) - 1))

