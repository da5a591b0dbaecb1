"""The digital twin: a simulated phone, deck, robot, camera and device link on a virtual clock.

Ground truth (:class:`GroundTruth`) is for tests and scorers only; monitors never read it.
"""

from tapbot.sim.camera import SimCamera, SimCameraOptions
from tapbot.sim.faults import FAULT_KINDS, FaultEvent, FaultOptions
from tapbot.sim.link import SimDeviceLink
from tapbot.sim.phone import (
    LatencyOptions,
    Lognormal,
    SimPhone,
    SimPhoneOptions,
    SystemUiOptions,
)
from tapbot.sim.profiles import load_profile, profile_names
from tapbot.sim.robot import SimRobot, SimRobotOptions, trapezoid_time
from tapbot.sim.truth import GroundTruth, TruthFault, TruthResponse, TruthTouch
from tapbot.sim.world import SimWorld

__all__ = [
    "FAULT_KINDS",
    "FaultEvent",
    "FaultOptions",
    "GroundTruth",
    "LatencyOptions",
    "Lognormal",
    "SimCamera",
    "SimCameraOptions",
    "SimDeviceLink",
    "SimPhone",
    "SimPhoneOptions",
    "SimRobot",
    "SimRobotOptions",
    "SimWorld",
    "SystemUiOptions",
    "TruthFault",
    "TruthResponse",
    "TruthTouch",
    "load_profile",
    "profile_names",
    "trapezoid_time",
]
