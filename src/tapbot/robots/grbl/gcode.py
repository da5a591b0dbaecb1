"""G-code building: robot millimetres and seconds in, the exact lines a GRBL controller gets out.

Pure functions, so the bytes written for each gesture can be compared with golden files.
Coordinates are written with three decimals (GRBL's own resolution), feeds in mm/min.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from tapbot.core.errors import HardwareError

DECIMALS = 3


def num(value: float, decimals: int = DECIMALS) -> str:
    """A number as GRBL reads it: fixed decimals, never ``-0.000``."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def feed_word(speed_mm_s: float) -> str:
    """``F`` word in mm/min for a speed in mm/s (at least 1 mm/min)."""
    if not speed_mm_s > 0:
        raise HardwareError(f"speed must be positive, got {speed_mm_s} mm/s")
    return f"F{max(1, round(speed_mm_s * 60.0))}"


def move_xy(x_mm: float, y_mm: float, speed_mm_s: float) -> str:
    """A straight feed move in XY."""
    return f"G1 X{num(x_mm)} Y{num(y_mm)} {feed_word(speed_mm_s)}"


def move_z(z_mm: float, speed_mm_s: float) -> str:
    """A straight feed move of Z alone."""
    return f"G1 Z{num(z_mm)} {feed_word(speed_mm_s)}"


def dwell(seconds: float) -> str:
    """``G4 P<s>``: GRBL 1.1 takes the dwell in seconds."""
    return f"G4 P{num(max(0.0, seconds))}"


SETUP_LINES = ("G21 G90",)  # millimetres, absolute coordinates
UNLOCK = "$X"
HOME = "$H"


class ZFinger(BaseModel):
    """The finger rides on the Z axis: down and up are Z moves to the given heights."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["z"] = "z"
    z_speed_mm_s: float = Field(20.0, gt=0, description="Z speed for landing and lifting")

    def down(self, z_mm: float) -> list[str]:
        return [move_z(z_mm, self.z_speed_mm_s)]

    def up(self, z_mm: float) -> list[str]:
        return [move_z(z_mm, self.z_speed_mm_s)]

    def release(self) -> list[str]:
        return []


class ServoFinger(BaseModel):
    """A hobby servo on the spindle PWM output: ``M3 S<value>`` sets its angle.

    The height maps linearly to the PWM value: ``S = s_at_zero_mm + s_per_mm * z_mm``, so
    the contact height from calibration reaches the servo. ``settle_s`` is how long the servo
    takes to get there (a dwell, so the call returns when the finger has arrived).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["servo"] = "servo"
    s_at_zero_mm: float = 500.0
    s_per_mm: float = Field(20.0, description="PWM units per mm of finger height")
    s_max: float = Field(1000.0, gt=0, description="the controller's max spindle value ($30)")
    settle_s: float = Field(0.15, ge=0)

    def s_for(self, z_mm: float) -> int:
        s = round(self.s_at_zero_mm + self.s_per_mm * z_mm)
        if not 0 <= s <= self.s_max:
            raise HardwareError(
                f"finger height {z_mm:.3f} mm needs servo value S{s}, outside 0..{self.s_max:g}",
                hint="check s_at_zero_mm / s_per_mm of the servo finger in the rig config",
            )
        return s

    def down(self, z_mm: float) -> list[str]:
        return [f"M3 S{self.s_for(z_mm)}", dwell(self.settle_s)]

    def up(self, z_mm: float) -> list[str]:
        return [f"M3 S{self.s_for(z_mm)}", dwell(self.settle_s)]

    def release(self) -> list[str]:
        return ["M5"]


class OutputFinger(BaseModel):
    """A solenoid on a digital output (``M62 P<n>`` on, ``M63 P<n>`` off; grblHAL/FluidNC).

    A solenoid has one stroke, so the heights are not used; the glass height still bounds
    the envelope check in the front-end.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["output"] = "output"
    pin: int = Field(0, ge=0)
    settle_s: float = Field(0.03, ge=0)

    def down(self, z_mm: float) -> list[str]:
        return [f"M62 P{self.pin}", dwell(self.settle_s)]

    def up(self, z_mm: float) -> list[str]:
        return [f"M63 P{self.pin}", dwell(self.settle_s)]

    def release(self) -> list[str]:
        return [f"M63 P{self.pin}"]


FingerDrive = Annotated[ZFinger | ServoFinger | OutputFinger, Field(discriminator="kind")]
