"""Background monitors: between and during steps, the frames since the last look are scanned
(thinned) for a crash/ANR dialog, a dark screen (a reboot) and the launcher (the app exited by
itself), and every frame (a grid of points, cheaply) for a glitch; the device link's log, boot
state and touch log (ghost touches) are read when there is a link."""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np

from tapbot.cameras.base import SinkLink
from tapbot.core.documents import Measurement
from tapbot.core.errors import FlowError, TapbotError
from tapbot.monitors import look_for_crash
from tapbot.monitors.crash import DialogSighting, classify_text, read_text
from tapbot.monitors.freeze import main_thread_stall
from tapbot.monitors.glitch import GlitchSighting
from tapbot.monitors.pose import PoseCheck
from tapbot.runner.evidence import CLIP_BEFORE_S
from tapbot.runner.interrupts import (
    AppExitSeen,
    CrashSeen,
    GhostSeen,
    RebootSeen,
    RigFaultSeen,
)
from tapbot.runner.observer import View
from tapbot.vision.masks import screen_to_seen_px

logger = logging.getLogger(__name__)

DARK_LEVEL = 12.0  # mean gray below this: the screen is off (a reboot) ...
REBOOT_DARK_S = 0.5  # ... when it stays off this long
TOOL_SIDE_STEP_PX = 32.0  # the pose check samples the tool's sides this often (screen px)
POSE_RECHECK_S = 0.2  # between the checks that confirm a move of the phone
CRASH_AFTERMATH_S = 2.0  # a process death this soon after a handled crash is that crash


def is_dark(view: View, mask: np.ndarray | None = None) -> bool:
    """Whether ``view`` shows the screen off: its mean gray below :data:`DARK_LEVEL`, outside
    ``mask`` (view px, nonzero where the view is not the screen's own: the robot's tool
    standing over the glass, which a screen that goes off does not darken; the whole view
    when None, or when the mask covers it all)."""
    if mask is not None:
        shown = cv2.bitwise_not(mask)
        if cv2.countNonZero(shown):
            return cv2.mean(view.image, mask=shown)[0] < DARK_LEVEL
    return cv2.mean(view.image)[0] < DARK_LEVEL  # (numpy's mean of a uint8 image: 6x slower)


class BackgroundMixin:
    """Crash/ANR, reboot and app-exit scanning (mixed into :class:`~tapbot.runner.Runner`)."""

    def _scan_background(self) -> None:
        """Look at frames since the last scan (thinned) for a crash/ANR dialog or a dark
        screen (a reboot), and at the device link's crash log when there is one."""
        now = self.clock.now()
        self._scan_glitches(now)
        self._scan_ghosts(now)
        self._check_pose(now)
        if now <= self._t_background:
            return
        views = self.observer.views_covering(self._t_background, now,
                                             self.background_interval_s)
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
                raise RebootSeen(onset, views[0])
        for view in views:
            sighting = look_for_crash(view.t, view.image)
            if sighting is not None:
                self._t_background = view.t
                self._classify(sighting)
                raise CrashSeen(sighting, view)
            if is_dark(view, self._tool_mask):
                if self._dark_since is None:
                    self._dark_since = view.t
                elif view.t - self._dark_since >= REBOOT_DARK_S:
                    onset, self._dark_since = self._dark_since, None
                    self._t_background = view.t
                    raise RebootSeen(onset, view)
            else:
                self._dark_since = None
            if self._in_app and view.t > self._in_app_since and self._shows_launcher(view):
                # confirmed on the frame glitch_max later: a frame or two that only look like
                # the launcher (a glitch) are not the app leaving
                t_confirm = view.t + self.thresholds.glitch_max_s
                if t_confirm > now:
                    self._t_background = view.t - 1e-6  # look at it again next time
                    return
                if self._shows_launcher(self.observer.view_at(t_confirm)):
                    self._in_app = False
                    self._t_background = view.t
                    raise AppExitSeen(view)
        self._t_background = now

    def _shows_launcher(self, view: View) -> bool:
        """Whether ``view`` is the launcher as learnt (outside the resting tool)."""
        return self._launcher_ref is not None and not self.detector.differs(
            self._launcher_ref, view.image, self._tool_mask)

    @property
    def _glitch(self) -> SinkLink:
        """How the runner talks to the glitch watch, which the camera runs where it makes the
        grid's samples (the twin's copy, on the other core): inputs go in order with the
        frames (:meth:`SinkLink.call`)."""
        return self.rig.camera.pixel_sink(self.glitch_watch)

    def _scan_glitches(self, now: float) -> None:
        """Every frame since the last look (at most ``glitch_interval_s`` apart), through the
        glitch watch's grid; each glitch is an incident (nothing to recover).

        The frames are asked for now, fed to the watch at the next scan (after what the
        runner tells it meanwhile: the touches and responses of those frames), and what it
        found is reported at the first scan the link's ``collect_after_s`` or more after
        that (:meth:`_flush_glitches`; at once at the end of a run): a camera that renders
        them and runs the watch elsewhere (the twin's copy: 30 s) works while the runner goes
        on, and the runner waits for it only when it falls that far behind. A glitch is
        reported under the flow and step of the scan that asked. Only frames whose exposure
        has ended (a frame period ago) are asked for, as a real camera hands them."""
        self._flush_glitches()
        camera = self.rig.camera
        until = now - camera.frame_period_s
        if self.glitch_interval_s is None or until <= self._t_glitch:
            return
        since = max(self._t_glitch, until - camera.history_s)
        gap = since > self._t_glitch
        self._t_glitch = until
        points = self.glitch_sampler.points(camera.size_px)
        self._glitch_batch = (self._glitch.ask(since, until, points, self.glitch_interval_s),
                              gap, self.thresholds.glitch_max_s, self._flow, self._step)

    def _flush_glitches(self, last: bool = False) -> None:
        """Feed the glitch watch the frames asked for at the last scan, and report what it
        found in the frames fed the link's ``collect_after_s`` ago or more (at most what
        keeps an incident's evidence clip in the camera's history); ``last`` (the run
        ends): report everything. (The wait is on the rig's clock: a soak's documents do not
        depend on how fast the copy is.)"""
        now = self.clock.now()
        fed = self._glitch_fed
        link = self._glitch
        lag = min(link.collect_after_s, self.rig.camera.history_s - CLIP_BEFORE_S
                  - 2 * self.background_interval_s)
        if self._glitch_batch is not None:
            ticket, gap, glitch_max_s, flow, step = self._glitch_batch
            self._glitch_batch = None
            if gap:
                link.call("reset")
            link.call("set_glitch_max", glitch_max_s)
            fed.append((now, link.feed(ticket), flow, step))
        while fed and (last or now - fed[0][0] >= lag - 1e-9):
            self._report_glitches(*fed.popleft()[1:])

    def _report_glitches(self, collect: Callable[[], list[GlitchSighting]], flow: str,
                         step: str) -> None:
        period_ms = self.rig.camera.frame_period_s * 1000
        for seen in collect():
            shown_ms = (seen.t_end - seen.t_start) * 1000 + period_ms
            self._incident("glitch", seen.t_start, seen.t_end,
                           f"{seen.frac:.0%} of the screen changed for {shown_ms:.0f} ms "
                           "and came back", flow=flow, step=step)

    def _check_pose(self, now: float, force: bool = False) -> PoseCheck | None:
        """Every ``pose_check_s`` (or now, with ``force``), the tool at rest: has the phone
        moved on the deck since calibration? Each trustworthy check is a ``pose_drift``
        measurement (mm); a drift over ``pose_drift_max_mm`` on consecutive checks is a
        ``pose-drift`` incident, and the run stops (a rig fault: every touch would land off
        target). Returns the check, if one was made."""
        monitor = self.pose_monitor
        if monitor is None or self.rig.robot.fingers_down or not (force or monitor.due(now)):
            return None
        rig = self.rig
        # the tool the touch masks hide, in camera px (its sides sampled every 32 screen px,
        # about 2 mm: the lens bends them)
        tool = [screen_to_seen_px(rig.calibration, poly, step_px=TOOL_SIDE_STEP_PX)
                for poly in self._tool_screen_polygons(self._tip_px())]
        try:
            check = monitor.check(rig.camera.latest(), exclude=tool)
        except TapbotError:
            logger.exception("the pose check failed")
            return None
        if not check.trustworthy:
            return check
        self._emit(Measurement(run_id=self.run_id, t=now, name="pose_drift",
                               value=check.max_drift_mm, unit="mm", t_start=check.t,
                               flow=self._flow, step=self._step))
        if check.incident:
            onset = check.drift_since if check.drift_since is not None else check.t
            self._incident("pose-drift", onset, check.t,
                           f"the phone moved {check.max_drift_mm:.1f} mm on the deck "
                           f"({check.worst_point}) since calibration, over "
                           f"{monitor.limit_mm:g} mm")
            raise RigFaultSeen(check.message())
        return check

    def _check_phone_moved(self) -> None:
        """A touch landed off target: before blaming the phone's digitizer, check at once
        whether the phone moved on the deck (checks ``POSE_RECHECK_S`` apart, as many as the
        monitor needs to confirm; a confirmed move stops the run)."""
        monitor = self.pose_monitor
        if monitor is None:
            return
        for _ in range(monitor.consecutive):
            check = self._check_pose(self.clock.now(), force=True)
            if check is None or check.status != "drifted":
                return
            self.clock.sleep(POSE_RECHECK_S)

    def _scan_ghosts(self, now: float) -> None:
        """Finger-downs in the digitizer's log that the robot did not make."""
        if self.touch_log is None:
            return
        self._read_touch_log()
        ghosts = self.touch_log.ghosts(settled_before=now)
        if ghosts:
            raise GhostSeen(ghosts)

    def _pull_log(self) -> None:
        """Read the device log's lines (logcat through the link) since the last read into
        :attr:`_log_unread`, for the crash scan. The main thread's stalls among them are kept
        (:attr:`_stalls`) for the freeze monitor, which asks about them later
        (:meth:`_stall_over`)."""
        try:
            lines = self.rig.link.log_lines(self._t_log)  # type: ignore[union-attr]
        except TapbotError:
            self._log_read = False
            return
        self._log_read = True
        if not lines:
            return
        self._t_log = max(t for t, _ in lines)
        self._log_unread.extend(lines)
        hz = self.rig.device.refresh_hz
        for t, line in lines:
            stall = main_thread_stall(t, line, hz)
            if stall is not None:
                self._stalls.append(stall)

    def _take_log(self) -> list[tuple[float, str]]:
        """The device log's lines not looked at yet (read now), taken."""
        self._pull_log()
        lines, self._log_unread = self._log_unread, []
        return lines

    def _stall_over(self, t: float) -> tuple[float, float] | None:
        """A stall of the app's main thread the device log tells of (read now) that had
        begun by ``t`` (a touch: swallowed by the stall, not its cause, as a slow handler of
        that touch would be) and lasted a frozen frame or longer; None without a link or such
        a line."""
        if self.rig.link is None:
            return None
        self._pull_log()
        for t0, t1 in reversed(self._stalls):
            if t0 <= t <= t1 and t1 - t0 >= self.thresholds.frozen_frame_s:
                return t0, t1
        return None

    def _stalled_within(self, t0: float, t1: float) -> bool | None:
        """Whether the device log (read now) tells of a stall of the app's main thread of a
        frozen frame or longer overlapping ``[t0, t1]``; None when it cannot tell (no link,
        or the log could not be read)."""
        if self.rig.link is None:
            return None
        self._pull_log()
        if not self._log_read:
            return None
        return any(s0 <= t1 and s1 >= t0 and s1 - s0 >= self.thresholds.frozen_frame_s
                   for s0, s1 in self._stalls)

    def _scan_log(self, view: View) -> None:
        """The device's crash/ANR/process-death lines (logcat through the link) since the
        last look: they name what the camera may not see (a dialog under the tool)."""
        for t, line in self._take_log():
            kind = classify_text(line)
            if kind is not None:
                self._t_background = view.t
                raise CrashSeen(DialogSighting(t, None, kind, line), view)
            low = line.lower()
            if "has died" in low and (self._in_app or "fg " in low or "top" in low) \
                    and t > self._t_crash_handled + CRASH_AFTERMATH_S:
                # an app process died in the foreground (even as the flow was leaving it)
                self._in_app = False
                self._t_background = view.t
                raise AppExitSeen(view, t)

    def _classify(self, sighting: DialogSighting) -> None:
        """Crash or ANR: the device log when there is one, else the dialog's text by OCR."""
        link = self.rig.link
        if sighting.box is None:
            return
        if link is not None:
            lines = self._take_log()
            for _, line in lines:
                kind = classify_text(line)
                if kind is not None:
                    sighting.kind, sighting.text = kind, line
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
