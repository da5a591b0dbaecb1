"""Recovery after an incident: dismiss a crash/ANR dialog, wait out a reboot and unlock, go back
to the launcher; and learning the launcher's look at the start of a run."""

from __future__ import annotations

import logging

import cv2

from tapbot.core.errors import RunAborted, TapbotError
from tapbot.flows import steps as S
from tapbot.flows.steps import Flow, PressKey
from tapbot.gestures import Stroke
from tapbot.monitors import ResponseWatch
from tapbot.runner.background import is_dark
from tapbot.runner.interrupts import CrashSeen, RebootSeen
from tapbot.vision import find_dialog

logger = logging.getLogger(__name__)

#: How long recovery presses home on a phone that does not answer it before leaving the
#: phone to the next touch's probe.
HOME_PROBE_MAX_S = 15.0
#: More presses of home when the screen settles elsewhere than the launcher after one.
RECOVER_HOME_TRIES = 3
#: While the digitizer reports touches off target (a touch drift, seen through the device
#: link), the soak holds: it presses home every ``DRIFT_RETRY_S`` to see whether touches
#: land where the finger is again ...
DRIFT_RETRY_S = 10.0
#: ... for at most ``DRIFT_HOLD_MAX_S``; then flows go on (each abandoned at its first touch
#: that lands off target).
DRIFT_HOLD_MAX_S = 180.0
#: The lock screen is recognised below this fraction of the screen's height: its clock and
#: date, above, change from minute to minute.
LOCK_CLOCK_FRAC = 0.5
#: Swipes up in a row on a lock screen that is still there after one ...
UNLOCK_TRIES = 3
#: ... then one more every ``UNLOCK_RETRY_S`` (a dead zone or a drift may be passing) until
#: ``UNLOCK_HOLD_MAX_S`` has gone by; then the flows go on.
UNLOCK_RETRY_S = 10.0
UNLOCK_HOLD_MAX_S = 120.0


class RecoveryMixin:
    """Back to a known state (mixed into :class:`~tapbot.runner.Runner`)."""

    def _handle_crash(self, crash: CrashSeen, flow: Flow | None = None) -> None:
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
                self._t_crash_handled = gone.t
                self._t_background = gone.t
                self._settle()
                return
        self._incident(kind, onset, None, f"{what} dialog cannot be dismissed",
                       evidence_view=crash.view)
        raise RunAborted(f"{what} dialog stayed after three presses of home",
                         hint="look at the phone; the run stopped with the finger parked")

    def _handle_reboot(self, reboot: RebootSeen) -> None:
        """Wait out the reboot (link boot state, or the screen lighting up), then unlock."""
        t_end = self.clock.now() + self.thresholds.reboot_wait_s
        link = self.rig.link
        self._in_app = False
        self.slowdown_watch.reset()  # whatever slowed the phone is gone with the restart
        while self.clock.now() < t_end:
            self.clock.sleep(1.0)
            if link is not None:
                try:
                    if link.boot_state() != "booted":
                        continue
                except TapbotError:
                    continue
            view = self.observer.view_at(self.clock.now())
            if not is_dark(view, self._tool_mask):
                break
        self._settle(timeout_s=10.0)
        self._incident("reboot", reboot.onset, self.clock.now(),
                       "the screen went dark and the phone restarted",
                       evidence_view=reboot.view)
        started = self.observer.view_at(self.clock.now())
        # (a phone without a lock screen starts on the launcher: nothing to learn)
        if self._shows_launcher(started):
            self._lock = None
        else:  # compared outside its clock and the tool as it stood then
            ignored = self._tool_mask.copy()
            ignored[:round(LOCK_CLOCK_FRAC * ignored.shape[0])] = 255
            self._lock = (started.image, ignored)
        self._recover_home()  # unlocks first
        self._t_background = self.clock.now()

    def _on_lock_screen(self) -> bool:
        """Whether the screen shows the lock screen as seen after the last reboot (home does
        nothing there: only a swipe up leaves it)."""
        if self._lock is None:
            return False
        ref, ignored = self._lock
        return not self.detector.differs(ref, self.observer.view_at(self.clock.now()).image,
                                         cv2.bitwise_or(ignored, self._tool_mask))

    def _unlock(self) -> None:
        """Swipe up from the bottom (Android's swipe-to-unlock), each swipe settled, until the
        lock screen is gone: ``UNLOCK_TRIES`` swipes in a row, then one every
        ``UNLOCK_RETRY_S`` (a swipe may be lost to a dead zone or a drifting digitizer) for up
        to ``UNLOCK_HOLD_MAX_S``. A flow run on the lock screen would only gather incidents
        the phone did not have."""
        up = S.Swipe(start=S.Point(x="50%", y="85%"), end=S.Point(x="50%", y="35%"),
                     expect="none")
        t0 = self.clock.now()
        tries = 0
        while True:
            self._perform(self._stroke(up), "unlock")  # no response to judge: recovery
            self._settle()
            tries += 1
            if not self._on_lock_screen():
                return
            if self._stop_requested or self.clock.now() - t0 >= UNLOCK_HOLD_MAX_S:
                break
            if tries >= UNLOCK_TRIES:
                self.clock.sleep(UNLOCK_RETRY_S)
        logger.warning("%s/%s: the lock screen stayed after %d swipes up in %.0f s", self._flow,
                       self._step, tries, self.clock.now() - t0)

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
        """Press home and let the screen settle; a slow answer is a stall like any other
        (home is the one key a phone always answers, unless it already shows the launcher)."""
        self._in_app = False
        try:
            if self._on_lock_screen():  # a reboot restarts on it, where home does nothing
                self._unlock()
                if self._on_lock_screen():
                    return
            on_launcher = self._on_launcher()
            stroke = self._stroke(PressKey(key="home"))
            ref = self.observer.view_at(self.clock.now())
            _, t_down, _ = self._perform(stroke, "recover-home")
            budget = self.thresholds.response_budget_s
            if not on_launcher and budget is not None and self._off_target is None:
                watch = ResponseWatch(ref.image, self._finger_mask(stroke), self.detector,
                                      t_down)
                hit = self._await(watch.changed, t_down, max(budget,
                                                             self.thresholds.stall_max_s))
                if hit is not None:
                    self._glitch.call("responded", hit.t)
                    if hit.t - t_down > budget:
                        self._stall(t_down, hit.t, budget)
                else:
                    self._home_unanswered(stroke, t_down)
            self._settle()
            self._home_again(stroke)
        except TapbotError:
            logger.exception("recovery to the launcher failed")

    def _home_again(self, home: Stroke) -> None:
        """The screen settled after home but is not the launcher: the press was felt elsewhere
        (the digitizer's touches drifting: above the navigation bar it lands on the app) or
        not taken. Press home again, up to ``RECOVER_HOME_TRIES`` times, each settled: the
        next flow starts from the launcher, as it assumes, or is started knowingly from
        elsewhere (said in the log). Not while the digitizer reports the presses off target
        (device link): more would land off target too (see :meth:`_wait_out_drift`)."""
        for _ in range(RECOVER_HOME_TRIES):
            if self._launcher_ref is None or self._on_launcher() or \
                    self._off_target is not None:
                return
            logger.info("%s/%s: not on the launcher after home; pressing home again",
                        self._flow, self._step)
            self._perform(home, "recover-home")
            self._settle()
        if self._launcher_ref is not None and self._off_target is None and \
                not self._on_launcher():
            # (info: during a touch drift this repeats at every recovery; the drift is an incident)
            logger.info("%s/%s: still not on the launcher after %d more presses of home",
                        self._flow, self._step, RECOVER_HOME_TRIES)

    def _wait_out_drift(self) -> None:
        """Touches land off target and the drift watch has an episode open: every flow would be
        abandoned at its first touch, and the presses of home that recover from it land
        elsewhere too, opening whatever is there (the next flow's first tap then acts on that
        app, and what it watches is not what the flow expects). So the soak holds: it watches
        the screen as at any wait (crash, reboot, glitch) and every ``DRIFT_RETRY_S`` presses
        home, whose landing the digitizer reports, until a press lands where the finger was
        (the episode ends) or ``DRIFT_HOLD_MAX_S`` has gone by."""
        if not self.drift_watch.active:
            return
        t0 = self.clock.now()
        logger.info("%s/%s: touches land off target; holding until they land again",
                    self._flow, self._step)
        while self.drift_watch.active and not self._stop_requested and \
                self.clock.now() - t0 < DRIFT_HOLD_MAX_S:
            self._wait(DRIFT_RETRY_S)
            self._recover_home()
        if self.drift_watch.active:
            logger.warning("touches still land off target after %.0f s; the flows go on",
                           self.clock.now() - t0)
        else:
            logger.info("touches land on target again after %.0f s", self.clock.now() - t0)

    def _home_unanswered(self, home: Stroke, t_down: float) -> None:
        """Home got no answer within ``stall_max`` away from the launcher: a phone that answers
        always answers home, so it is frozen. Press home again every ``unresponsive_after``
        until it answers or the launcher shows: a freeze from the first press to then.

        Unless the launcher only looked different because the phone moved on the deck (a pose
        check first: that stops the run as a rig fault); and with no answer at all by
        ``HOME_PROBE_MAX_S`` nothing is claimed (the next touch probes a phone that stays
        frozen)."""
        self._check_phone_moved()
        # bounded well inside the touch log's memory, so the probes are never taken for
        # ghost touches when the log is next judged
        limit = min(self.thresholds.max_freeze_s, HOME_PROBE_MAX_S)
        while self.clock.now() - t_down < limit:
            if self._stop_requested:
                return
            if self._on_launcher():  # the display came back, on the launcher
                self._incident("freeze", t_down, self.clock.now(),
                               f"home was not answered for {self.clock.now() - t_down:.2f} s")
                return
            hit, _ = self._home_probe(home)
            if hit is not None:
                self._glitch.call("responded", hit.t)
                self._incident("freeze", t_down, hit.t,
                               f"home was not answered for {hit.t - t_down:.2f} s")
                return
        logger.warning("home was not answered for %.0f s; the next touch will tell",
                       self.clock.now() - t_down)
