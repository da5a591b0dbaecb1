"""Robots: the backend contract and the front-end that owns limits and state."""

from tapbot.robots.base import RobotBackend
from tapbot.robots.recording import RecordingRobotBackend
from tapbot.robots.robot import Envelope, Robot, RobotSettings

__all__ = ["Envelope", "RecordingRobotBackend", "Robot", "RobotBackend", "RobotSettings"]
