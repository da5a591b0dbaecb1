"""Typed flow steps (DESIGN rule 4): a flow is data, compiled before anything moves.

A step never touches hardware; the runner executes it through the rig. Positions are screen
pixels or percentages of the screen (``"50%"``), resolved against the device profile; a target
may also be visible text (found by OCR in the screen view) or an image file (found by template
matching). YAML flows (:mod:`tapbot.flows.yamlflow`) compile to these same models, and Python
code can build them directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

    def describe(self) -> str:
        return f"({self.x}, {self.y})"


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


class Text(BaseModel):
    """Visible text, found by OCR in the current screen view (optionally within ``region``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    region: Region | None = None
    min_score: float = Field(0.5, ge=0, le=1)

    def describe(self) -> str:
        return repr(self.text)


class Image(BaseModel):
    """A picture of the element (a PNG file), found by template matching in the screen view."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: Path
    region: Region | None = None
    threshold: float = Field(0.8, gt=0, le=1)

    def describe(self) -> str:
        return f"image {self.image.name}"


Target = Point | Text | Image


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = ""
    source: str = Field("", description="file:line:column the step was compiled from")
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="monitor thresholds for this step (and the steps "
        "inside it), by Thresholds field name, over the flow's and the plan's")

    def describe(self) -> str:
        return self.label or self.kind  # type: ignore[attr-defined]


class _Touch(_Step):
    expect: Literal["change", "none", "still"] = Field(
        "change", description="'change': the screen must react (latency is measured to its "
        "first change); 'still': it must stop moving (a pause: latency to its last change); "
        "'none': nothing is expected")
    settle: bool = Field(True, description="wait for the screen to stop changing afterwards")
    animated: list[Region] = Field(
        default_factory=list,
        description="regions that move by themselves (a playing video): ignored when looking "
        "for the response")
    budget_s: float | None = Field(
        None, gt=0, description="response budget: a slower response is a stall incident")


class Tap(_Touch):
    kind: Literal["tap"] = "tap"
    at: Target
    hold_s: float = Field(0.06, gt=0, le=5)

    def describe(self) -> str:
        return self.label or f"tap {self.at.describe()}"


class DoubleTap(_Touch):
    kind: Literal["doubleTap"] = "doubleTap"
    at: Target
    gap_s: float = Field(0.12, gt=0, le=1)


class LongPress(_Touch):
    kind: Literal["longPress"] = "longPress"
    at: Target
    hold_s: float = Field(0.8, gt=0, le=10)


Direction = Literal["up", "down", "left", "right"]


class Swipe(_Touch):
    """A swipe from ``start`` to ``end``."""

    kind: Literal["swipe"] = "swipe"
    start: Point
    end: Point
    duration_s: float = Field(0.3, gt=0, le=10)


def direction_points(direction: str) -> tuple[Point, Point]:
    """The swipe that moves the finger in ``direction`` across the middle of the screen."""
    return {
        "up": (Point(x="50%", y="70%"), Point(x="50%", y="30%")),
        "down": (Point(x="50%", y="30%"), Point(x="50%", y="70%")),
        "left": (Point(x="80%", y="50%"), Point(x="20%", y="50%")),
        "right": (Point(x="20%", y="50%"), Point(x="80%", y="50%")),
    }[direction]


class PressKey(_Touch):
    """Press an on-screen navigation key (from the device profile's ``buttons``)."""

    kind: Literal["pressKey"] = "pressKey"
    key: str

    @field_validator("key")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()

    def describe(self) -> str:
        return self.label or f"pressKey {self.key}"


class Pinch(_Touch):
    """Two fingers move apart (``scale`` > 1, zoom in) or together around ``center``."""

    kind: Literal["pinch"] = "pinch"
    center: Point = Point(x="50%", y="50%")
    scale: float = Field(2.0, gt=0, le=10)
    span_px: float = Field(300.0, gt=0)
    duration_s: float = Field(0.5, gt=0, le=10)

    @model_validator(mode="after")
    def _check(self) -> Pinch:
        if self.scale == 1.0:
            raise ValueError("scale: 1.0 would not move the fingers; use e.g. 2.0 or 0.5")
        return self


class LaunchApp(_Step):
    """Start ``app``: through the device link when there is one, else tap its launcher icon
    (found by its label, or at ``icon`` when given)."""

    kind: Literal["launchApp"] = "launchApp"
    app: str = Field(min_length=1)
    icon: Target | None = None


class InputText(_Step):
    """Type ``text`` by tapping the on-screen keyboard's keys."""

    kind: Literal["inputText"] = "inputText"
    text: str = Field(min_length=1)
    keyboard: dict[str, Point] | None = Field(
        None, description="key label -> position (from a keyboard layout file); OCR otherwise")


class EraseText(_Step):
    kind: Literal["eraseText"] = "eraseText"
    characters: int = Field(50, ge=1, le=1000)
    keyboard: dict[str, Point] | None = None


class Wait(_Step):
    kind: Literal["wait"] = "wait"
    seconds: float = Field(gt=0, le=3600)


class WatchAnimation(_Step):
    """Watch for ``seconds``: the screen must keep changing (a video, a game)."""

    kind: Literal["watchAnimation"] = "watchAnimation"
    seconds: float = Field(gt=0, le=3600)


class WaitForAnimationToEnd(_Step):
    """Wait until the screen stops changing (at most ``timeout_s``)."""

    kind: Literal["waitForAnimationToEnd"] = "waitForAnimationToEnd"
    timeout_s: float = Field(15.0, gt=0, le=600)


class AssertVisible(_Step):
    """``target`` must be on screen within ``timeout_s`` (a failed assertion otherwise)."""

    kind: Literal["assertVisible"] = "assertVisible"
    target: Text | Image
    timeout_s: float = Field(3.0, ge=0, le=600)


class AssertNotVisible(_Step):
    kind: Literal["assertNotVisible"] = "assertNotVisible"
    target: Text | Image
    timeout_s: float = Field(3.0, ge=0, le=600)


class ExtendedWaitUntil(_Step):
    """Wait until ``visible`` shows or ``not_visible`` goes, for at most ``timeout_s``."""

    kind: Literal["extendedWaitUntil"] = "extendedWaitUntil"
    visible: Text | Image | None = None
    not_visible: Text | Image | None = None
    timeout_s: float = Field(10.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _check(self) -> ExtendedWaitUntil:
        if (self.visible is None) == (self.not_visible is None):
            raise ValueError("give exactly one of visible / notVisible")
        return self


class TakeScreenshot(_Step):
    kind: Literal["takeScreenshot"] = "takeScreenshot"
    name: str = Field(min_length=1)


class Scroll(_Touch):
    """Scroll the content ``direction`` (scrolling down swipes the finger up)."""

    kind: Literal["scroll"] = "scroll"
    direction: Direction = "down"


class ScrollUntilVisible(_Step):
    kind: Literal["scrollUntilVisible"] = "scrollUntilVisible"
    target: Text | Image
    direction: Direction = "down"
    max_scrolls: int = Field(10, ge=1, le=200)


class ExpectResponse(_Step):
    """The previous touch's response must have come within ``within_s`` (a stall otherwise)."""

    kind: Literal["expectResponse"] = "expectResponse"
    within_s: float = Field(gt=0, le=60)


class Measure(_Step):
    """A named measurement from the previous touch until ``until`` holds (``settled``: the
    screen stopped changing; or a target became visible)."""

    kind: Literal["measure"] = "measure"
    name: str = Field(min_length=1)
    until: Literal["response", "settled"] | Text | Image = "settled"
    timeout_s: float = Field(10.0, gt=0, le=600)


class Repeat(_Step):
    kind: Literal["repeat"] = "repeat"
    times: int = Field(ge=1, le=100000)
    steps: list[Step] = Field(min_length=1)


class Retry(_Step):
    """Run ``steps``; when one fails (an assertion, a target not found), run them again up to
    ``max_retries`` more times before the failure counts."""

    kind: Literal["retry"] = "retry"
    max_retries: int = Field(1, ge=0, le=10)
    steps: list[Step] = Field(min_length=1)


class SubFlow(_Step):
    """The steps of another flow (``runFlow``), already compiled with its env."""

    kind: Literal["runFlow"] = "runFlow"
    flow: str
    steps: list[Step] = Field(min_length=1)


Step = Annotated[
    Tap | DoubleTap | LongPress | Swipe | PressKey | Pinch | LaunchApp | InputText | EraseText
    | Wait | WatchAnimation | WaitForAnimationToEnd | AssertVisible | AssertNotVisible
    | ExtendedWaitUntil | TakeScreenshot | Scroll | ScrollUntilVisible | ExpectResponse
    | Measure | Repeat | Retry | SubFlow,
    Field(discriminator="kind"),
]

TOUCH_STEPS = (Tap, DoubleTap, LongPress, Swipe, PressKey, Pinch, Scroll)

Repeat.model_rebuild()
Retry.model_rebuild()
SubFlow.model_rebuild()


class Flow(BaseModel):
    """A named list of steps. Every flow starts and should end on the launcher.

    ``app`` is the app the flow exercises (relaunched after an incident); ``source`` is the
    file it was compiled from; ``thresholds`` (by Thresholds field name) apply to every step of
    the flow, over the plan's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    app: str | None = None
    source: str = ""
    thresholds: dict[str, float] = Field(default_factory=dict)


def walk(steps: list) -> list:
    """Every step of ``steps`` depth-first, containers before their children."""
    out: list = []
    for step in steps:
        out.append(step)
        inner = getattr(step, "steps", None)
        if inner:
            out.extend(walk(inner))
    return out


class FlowMix(BaseModel):
    """One flow of a soak with its weight."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flow: Flow
    weight: float = Field(1.0, gt=0)
