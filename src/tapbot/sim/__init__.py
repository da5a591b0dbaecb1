"""The digital twin: a simulated phone, deck, robot, camera and device link on a virtual clock.

Ground truth (:class:`GroundTruth`) is for tests and scorers only; monitors never read it.
"""

from tapbot.sim.camera import SimCamera, SimCameraOptions
from tapbot.sim.faults import FAULT_KINDS, FaultEvent, FaultOptions
from tapbot.sim.link import SimDeviceLink
from tapbot.sim.markers import HolderMarker, holder_layout
from tapbot.sim.phone import (
    LatencyOptions,
    Lognormal,
    SimPhone,
    SimPhoneOptions,
    SystemUiOptions,
)
from tapbot.sim.profiles import load_profile, profile_names
from tapbot.sim.robot import SimRobot, SimRobotOptions, TravelLimitAlarm, trapezoid_time
from tapbot.sim.score import ScoreReport, score_run
from tapbot.sim.truth import GroundTruth, TruthFault, TruthResponse, TruthTouch
from tapbot.sim.world import SimWorld, ToolPose

__all__ = [
    "FAULT_KINDS",
    "FaultEvent",
    "FaultOptions",
    "GroundTruth",
    "HolderMarker",
    "LatencyOptions",
    "Lognormal",
    "ScoreReport",
    "SimCamera",
    "SimCameraOptions",
    "SimDeviceLink",
    "SimPhone",
    "SimPhoneOptions",
    "SimRobot",
    "SimRobotOptions",
    "SimWorld",
    "SystemUiOptions",
    "ToolPose",
    "TravelLimitAlarm",
    "TruthFault",
    "TruthResponse",
    "TruthTouch",
    "holder_layout",
    "load_profile",
    "profile_names",
    "score_run",
    "trapezoid_time",
]
