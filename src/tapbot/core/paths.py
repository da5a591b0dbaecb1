"""A touch path: where one finger is on the glass over time, in robot millimetres."""

from __future__ import annotations

from dataclasses import dataclass, field

from tapbot.core.geometry import PointMm


@dataclass(frozen=True)
class TouchPath:
    """Timed points of one finger while it touches: ``(t_rel_s, PointMm)`` from contact.

    The first point is where the finger lands; the last time is when it lifts. A tap is two
    points at the same place (``hold_s`` apart); a swipe is several points along a line.
    """

    points: tuple[tuple[float, PointMm], ...]
    finger: int = 0
    label: str = field(default="", compare=False)

    @property
    def start(self) -> PointMm:
        return self.points[0][1]

    @property
    def duration_s(self) -> float:
        return self.points[-1][0] - self.points[0][0]
