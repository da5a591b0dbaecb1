"""What cuts a step short: monitors' sightings and step failures, raised inside the runner and
handled where a step starts (:meth:`tapbot.runner.Runner._top_step`)."""

from __future__ import annotations

from tapbot.monitors.crash import DialogSighting
from tapbot.monitors.touchlog import GhostSighting
from tapbot.runner.observer import View


class CrashSeen(Exception):
    """A crash or ANR dialog (or its log line) was seen."""

    def __init__(self, sighting: DialogSighting, view: View) -> None:
        super().__init__("crash dialog")
        self.sighting = sighting
        self.view = view


class RebootSeen(Exception):
    """The phone went dark or its link reports a boot."""

    def __init__(self, onset: float, view: View) -> None:
        super().__init__("reboot")
        self.onset = onset
        self.view = view


class AppExitSeen(Exception):
    """The launcher showed while an app should have been in front."""

    def __init__(self, view: View, t: float | None = None) -> None:
        super().__init__("app exit")
        self.view = view
        self.t = view.t if t is None else t


class FlowAbandoned(Exception):
    """The rest of this iteration is skipped (after a recovery)."""


class StepFailed(Exception):
    """A step failed in a way ``retry`` may try again (target not found, assertion)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class GhostSeen(Exception):
    """The digitizer reported touches the robot did not make (ghost touches)."""

    def __init__(self, sightings: list[GhostSighting]) -> None:
        super().__init__("ghost touch")
        self.sightings = sightings


class RigFaultSeen(Exception):
    """The rig itself went wrong (the phone moved on the deck): the run stops, the phone is
    not blamed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
