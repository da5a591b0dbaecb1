"""Strokes: timed finger paths in device screen px, and their mapping to robot mm."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from tapbot.core.calibration import Calibration
from tapbot.core.errors import FlowError
from tapbot.core.geometry import PointMm, PointPx
from tapbot.core.paths import TouchPath

__all__ = [
    "STROKE_KINDS",
    "Stroke",
    "inside_screen",
    "long_press",
    "swipe",
    "tap",
    "to_touch_path",
]

STROKE_KINDS = ("tap", "long_press", "swipe")
MAX_SWIPE_SAMPLES = 100_000


def _check_point(name: str, p: PointPx) -> None:
    if not isinstance(p, PointPx):
        raise FlowError(
            f"{name} must be a PointPx, got {type(p).__name__}",
            hint="pass PointPx(x, y) in device screen pixels",
        )
    if not (math.isfinite(p.x) and math.isfinite(p.y)):
        raise FlowError(
            f"{name} has a non-finite coordinate ({p.x}, {p.y})",
            hint="pass finite screen pixel coordinates",
        )


def _check_duration(name: str, value: float) -> None:
    if (
        not isinstance(value, Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise FlowError(
            f"{name} must be a positive number of seconds, got {value!r}",
            hint=f"give {name} > 0, e.g. 0.3",
        )


@dataclass(frozen=True)
class Stroke:
    """One finger's timed path in device screen px.

    ``points`` are ``(t_rel_s, PointPx)`` from contact: the first is where the finger lands
    (at ``t = 0`` for the strokes built here), the last time is when it lifts. Times never go
    back.
    """

    kind: str
    points: tuple[tuple[float, PointPx], ...]
    finger: int = 0

    def __post_init__(self) -> None:
        if self.kind not in STROKE_KINDS:
            raise FlowError(
                f"unknown stroke kind {self.kind!r}", hint=f"use one of {', '.join(STROKE_KINDS)}"
            )
        if not isinstance(self.finger, int) or self.finger < 0:
            raise FlowError(f"finger must be an index >= 0, got {self.finger!r}", hint="use 0")
        if len(self.points) < 2:
            raise FlowError(
                f"a stroke needs at least 2 timed points (landing and lift), got "
                f"{len(self.points)}",
                hint="build strokes with tap(), long_press() or swipe()",
            )
        prev = -math.inf
        for i, (t, p) in enumerate(self.points):
            if not math.isfinite(t):
                raise FlowError(f"points[{i}] has a non-finite time {t!r}", hint="use seconds")
            if t < prev:
                raise FlowError(
                    f"points[{i}] time {t} goes back (previous {prev})",
                    hint="order stroke points by time",
                )
            prev = t
            _check_point(f"points[{i}]", p)
        if self.duration_s <= 0:
            raise FlowError("a stroke must last longer than 0 s", hint="give the lift a later time")

    @property
    def duration_s(self) -> float:
        """Seconds from landing to lift."""
        return self.points[-1][0] - self.points[0][0]

    @property
    def start(self) -> PointPx:
        """Where the finger lands."""
        return self.points[0][1]

    @property
    def end(self) -> PointPx:
        """Where the finger lifts."""
        return self.points[-1][1]


def tap(p: PointPx, hold_s: float = 0.06) -> Stroke:
    """A tap at ``p``: land, hold ``hold_s`` seconds in place, lift."""
    _check_point("p", p)
    _check_duration("hold_s", hold_s)
    return Stroke("tap", ((0.0, p), (float(hold_s), p)))


def long_press(p: PointPx, hold_s: float = 0.8) -> Stroke:
    """A long press at ``p``: like a tap, held ``hold_s`` seconds (Android's is >= 0.5 s)."""
    _check_point("p", p)
    _check_duration("hold_s", hold_s)
    return Stroke("long_press", ((0.0, p), (float(hold_s), p)))


def swipe(p0: PointPx, p1: PointPx, duration_s: float = 0.3, sample_hz: float = 60.0) -> Stroke:
    """A straight swipe from ``p0`` to ``p1`` at constant speed over ``duration_s``.

    Samples are evenly timed, at least ``sample_hz`` per second, and include both ends.
    """
    _check_point("p0", p0)
    _check_point("p1", p1)
    _check_duration("duration_s", duration_s)
    _check_duration("sample_hz", sample_hz)
    n = max(2, math.ceil(duration_s * sample_hz - 1e-9) + 1)
    if n > MAX_SWIPE_SAMPLES:
        raise FlowError(
            f"duration_s * sample_hz gives {n} samples, more than {MAX_SWIPE_SAMPLES}",
            hint="shorten the swipe or lower sample_hz (60 is plenty)",
        )
    points: list[tuple[float, PointPx]] = []
    for i in range(n):
        f = i / (n - 1)
        x = p0.x + (p1.x - p0.x) * f
        y = p0.y + (p1.y - p0.y) * f
        points.append((duration_s * f, PointPx(x, y)))
    points[-1] = (float(duration_s), p1)  # exact end, free of rounding
    return Stroke("swipe", tuple(points))


def to_touch_path(stroke: Stroke, calibration: Calibration) -> TouchPath:
    """Map every point of ``stroke`` from screen px to robot mm; keeps times and finger."""
    if not isinstance(stroke, Stroke):
        raise FlowError(
            f"stroke must be a Stroke, got {type(stroke).__name__}",
            hint="build it with tap(), long_press() or swipe()",
        )
    if not isinstance(calibration, Calibration):
        raise FlowError(
            f"calibration must be a Calibration, got {type(calibration).__name__}",
            hint="load it with Calibration.load or take it from the rig",
        )
    pts = np.array([(p.x, p.y) for _, p in stroke.points], dtype=np.float64)
    mm = calibration.screen_to_robot_h.apply(pts)
    points = tuple(
        (t, PointMm(float(x), float(y))) for (t, _), (x, y) in zip(stroke.points, mm, strict=True)
    )
    return TouchPath(points=points, finger=stroke.finger, label=stroke.kind)


def inside_screen(stroke: Stroke, screen_px: tuple[int, int]) -> bool:
    """True when every point lies on the screen: ``0 <= x < width`` and ``0 <= y < height``."""
    if len(screen_px) != 2 or min(screen_px) <= 0:
        raise FlowError(
            f"screen_px must be (width, height) > 0, got {screen_px!r}",
            hint="use the DeviceProfile's screen size in pixels",
        )
    w, h = screen_px
    return all(0 <= p.x < w and 0 <= p.y < h for _, p in stroke.points)
