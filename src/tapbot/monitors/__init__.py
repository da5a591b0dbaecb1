"""Monitors: judges fed by screen views; they never read the twin's ground truth."""

from tapbot.monitors.crash import DialogSighting, look_for_crash
from tapbot.monitors.freeze import AnimationWatch
from tapbot.monitors.pose import PoseCheck, PoseMonitor
from tapbot.monitors.response import ResponseWatch
from tapbot.monitors.thresholds import Thresholds

__all__ = ["AnimationWatch", "DialogSighting", "PoseCheck", "PoseMonitor", "ResponseWatch",
           "Thresholds", "look_for_crash"]
