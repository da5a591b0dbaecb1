"""GRBL-family controllers (GRBL 1.1, grblHAL, FluidNC) over USB serial.

``protocol`` parses what the controller says, ``gcode`` builds what it is told, ``link``
streams lines without overrunning it, ``backend`` is the :class:`RobotBackend`, and
``emulator`` is a controller on a pseudo-terminal for tests and hardware-less users.
"""

from tapbot.robots.grbl.backend import GrblOptions, GrblRobot, open_serial
from tapbot.robots.grbl.gcode import OutputFinger, ServoFinger, ZFinger
from tapbot.robots.grbl.link import GrblLink
from tapbot.robots.grbl.protocol import GrblAlarm, GrblError, Status, parse_status

__all__ = [
    "GrblAlarm",
    "GrblError",
    "GrblLink",
    "GrblOptions",
    "GrblRobot",
    "OutputFinger",
    "ServoFinger",
    "Status",
    "ZFinger",
    "open_serial",
    "parse_status",
]
