"""Typed flow steps (DESIGN rule 4): a flow is data, compiled before anything moves.

A step never touches hardware; the runner executes it through the rig. Positions are screen
pixels or percentages of the screen (``"50%"``), resolved against the device profile.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tapbot.core.errors import FlowError
from tapbot.core.geometry import PointPx

Coord = float | str  # px, or "NN%" of the screen dimension


def _resolve(value: Coord, size: int, what: str) -> float:
    if isinstance(value, str):
        text = value.strip()
        if not text.endswith("%"):
            raise FlowError(f"{what} '{value}' must be a number of px or a percentage like '50%'")
        try:
            return float(text[:-1]) / 100.0 * size
        except ValueError:
            raise FlowError(f"{what} '{value}' is not a percentage") from None
    return float(value)


class Point(BaseModel):
    """A screen position in px or percent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: Coord
    y: Coord

    def resolve(self, screen_px: tuple[int, int]) -> PointPx:
        p = PointPx(_resolve(self.x, screen_px[0], "x"), _resolve(self.y, screen_px[1], "y"))
        if not (0 <= p.x < screen_px[0] and 0 <= p.y < screen_px[1]):
            raise FlowError(f"point ({self.x}, {self.y}) lies off the {screen_px} px screen")
        return p


class Region(BaseModel):
    """A screen rectangle, corners in px or percent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x0: Coord
    y0: Coord
    x1: Coord
    y1: Coord

    def resolve(self, screen_px: tuple[int, int]) -> tuple[PointPx, PointPx]:
        w, h = screen_px
        a = PointPx(_resolve(self.x0, w, "x0"), _resolve(self.y0, h, "y0"))
        b = PointPx(_resolve(self.x1, w, "x1"), _resolve(self.y1, h, "y1"))
        if not (a.x < b.x and a.y < b.y):
            raise FlowError(f"region ({self.x0}, {self.y0})-({self.x1}, {self.y1}) is empty")
        return a, b


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = ""

    def describe(self) -> str:
        return self.label or self.kind  # type: ignore[attr-defined]


class _Touch(_Step):
    expect: Literal["change", "none"] = Field(
        "change", description="'change': the screen must react (latency is measured)")
    settle: bool = Field(True, description="wait for the screen to stop changing afterwards")
    animated: list[Region] = Field(
        default_factory=list,
        description="regions that move by themselves (a playing video): ignored when looking "
        "for the response")


class Tap(_Touch):
    kind: Literal["tap"] = "tap"
    at: Point
    hold_s: float = Field(0.06, gt=0, le=5)


class LongPress(_Touch):
    kind: Literal["longPress"] = "longPress"
    at: Point
    hold_s: float = Field(0.8, gt=0, le=10)


class Swipe(_Touch):
    kind: Literal["swipe"] = "swipe"
    start: Point
    end: Point
    duration_s: float = Field(0.3, gt=0, le=10)


class PressKey(_Touch):
    """Press an on-screen navigation key (from the device profile's ``buttons``)."""

    kind: Literal["pressKey"] = "pressKey"
    key: str

    @field_validator("key")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class Wait(_Step):
    kind: Literal["wait"] = "wait"
    seconds: float = Field(gt=0, le=3600)


class WatchAnimation(_Step):
    """Watch for ``seconds``: the screen must keep changing (a video, a game)."""

    kind: Literal["watchAnimation"] = "watchAnimation"
    seconds: float = Field(gt=0, le=3600)


Step = Annotated[
    Tap | LongPress | Swipe | PressKey | Wait | WatchAnimation, Field(discriminator="kind")
]


class Flow(BaseModel):
    """A named list of steps. Every flow starts and should end on the launcher."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)


class FlowMix(BaseModel):
    """One flow of a soak with its weight."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flow: Flow
    weight: float = Field(1.0, gt=0)
