"""Background monitors: between and during steps, the frames since the last look are scanned
(thinned) for a crash/ANR dialog, a dark screen (a reboot) and the launcher (the app exited by
itself); the device link's log and boot state are read when there is a link."""

from __future__ import annotations

import logging

from tapbot.core.errors import FlowError, TapbotError
from tapbot.monitors import look_for_crash
from tapbot.monitors.crash import DialogSighting, classify_text, read_text
from tapbot.runner.interrupts import AppExitSeen, CrashSeen, RebootSeen
from tapbot.runner.observer import View

logger = logging.getLogger(__name__)

DARK_LEVEL = 12.0  # mean gray below this: the screen is off (a reboot)


class BackgroundMixin:
    """Crash/ANR, reboot and app-exit scanning (mixed into :class:`~tapbot.runner.Runner`)."""

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
                raise RebootSeen(onset, views[0])
        for view in views:
            sighting = look_for_crash(view.t, view.image)
            if sighting is not None:
                self._t_background = view.t
                self._classify(sighting)
                raise CrashSeen(sighting, view)
            if float(view.image.mean()) < DARK_LEVEL:
                if self._dark_since is None:
                    self._dark_since = view.t
                elif view.t - self._dark_since >= 0.5:
                    onset, self._dark_since = self._dark_since, None
                    self._t_background = view.t
                    raise RebootSeen(onset, view)
            else:
                self._dark_since = None
            if self._in_app and view.t > self._in_app_since and self._launcher_ref is not None \
                    and not self.detector.compare(
                    self._launcher_ref, view.image, self._tool_mask).changed:
                self._in_app = False
                self._t_background = view.t
                raise AppExitSeen(view)
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
                raise CrashSeen(DialogSighting(t, None, kind, line), view)
            if "has died" in line.lower() and self._in_app:
                self._in_app = False
                self._t_background = view.t
                raise AppExitSeen(view, t)

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
