"""Recovery after an incident: dismiss a crash/ANR dialog, wait out a reboot and unlock, go back
to the launcher; and learning the launcher's look at the start of a run."""

from __future__ import annotations

import logging

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
        self._unlock()
        self._t_background = self.clock.now()

    def _unlock(self) -> None:
        """Swipe up from the bottom (Android's swipe-to-unlock), then go home."""
        try:
            up = S.Swipe(start=S.Point(x="50%", y="85%"), end=S.Point(x="50%", y="35%"),
                         expect="none")
            self._perform(self._stroke(up), "unlock")  # no response to judge: recovery
            self._settle()
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
        """Press home and let the screen settle; a slow answer is a stall like any other
        (home is the one key a phone always answers, unless it already shows the launcher)."""
        self._in_app = False
        try:
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
                    self.glitch_watch.responded(hit.t)
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
        elsewhere (said in the log)."""
        for _ in range(RECOVER_HOME_TRIES):
            if self._launcher_ref is None or self._on_launcher():
                return
            logger.info("%s/%s: not on the launcher after home; pressing home again",
                        self._flow, self._step)
            self._perform(home, "recover-home")
            self._settle()
        if self._launcher_ref is not None and not self._on_launcher():
            # (info: during a touch drift this repeats at every recovery; the drift is an incident)
            logger.info("%s/%s: still not on the launcher after %d more presses of home",
                        self._flow, self._step, RECOVER_HOME_TRIES)

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
                self.glitch_watch.responded(hit.t)
                self._incident("freeze", t_down, hit.t,
                               f"home was not answered for {hit.t - t_down:.2f} s")
                return
        logger.warning("home was not answered for %.0f s; the next touch will tell",
                       self.clock.now() - t_down)
