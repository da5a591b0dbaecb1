"""Typed, coded errors.

Every error a user can cause or fix is a :class:`TapbotError` subclass with a stable ``code``.
The CLI prints ``str(error)`` on one line and exits 2; a server maps ``code`` to a status.
"""

from __future__ import annotations


class TapbotError(Exception):
    """Base of all tapbot errors: a stable code and a message that says what to do."""

    code: str = "TB000"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(TapbotError):
    """A config file (rig, plan, profile) is missing, malformed or names unknown things."""

    code = "TB100"


class FlowError(TapbotError):
    """A flow or its steps cannot be compiled or executed as written."""

    code = "TB200"


class SafetyError(TapbotError):
    """A motion was refused because it would leave the envelope or go below contact depth."""

    code = "TB300"


class HardwareError(TapbotError):
    """A robot, camera or device link failed or answered something unexpected."""

    code = "TB400"


class ConnectionLost(HardwareError):
    """A part of the rig went away (port vanished, camera unplugged, phone offline).

    The runner suspends the run and resumes it when the part is back; nothing recorded is lost.
    """

    code = "TB410"


class CalibrationError(TapbotError):
    """Calibration is missing, stale, degenerate or worse than its limit."""

    code = "TB500"


class VisionError(TapbotError):
    """The camera view cannot be interpreted (no screen found, bad region)."""

    code = "TB600"


class StoreError(TapbotError):
    """Recorded run data cannot be written or read."""

    code = "TB700"


class RunAborted(TapbotError):
    """A run was stopped by the user or by an unrecoverable condition."""

    code = "TB800"
