"""A backend that records what would be sent and moves nothing: dry runs and golden files."""

from __future__ import annotations

from dataclasses import dataclass, field

from tapbot.robots.base import RobotBackend


@dataclass
class RecordingRobotBackend(RobotBackend):
    """Logs each command as a tuple; positions are whatever was last commanded."""

    fingers: int = 1
    calls: list[tuple] = field(default_factory=list)
    _pos: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    def setup(self) -> None:
        self.calls.append(("setup",))

    def stop(self) -> None:
        self.calls.append(("stop",))

    def home(self) -> None:
        self.calls.append(("home",))
        self._pos[:2] = [0.0, 0.0]

    def move_to(self, x_mm: float, y_mm: float, speed_mm_s: float) -> None:
        self.calls.append(("move_to", x_mm, y_mm, speed_mm_s))
        self._pos[:2] = [x_mm, y_mm]

    def finger_down(self, finger: int, z_mm: float) -> None:
        self.calls.append(("finger_down", finger, z_mm))
        self._pos[2] = z_mm

    def finger_up(self, finger: int, z_mm: float) -> None:
        self.calls.append(("finger_up", finger, z_mm))
        self._pos[2] = z_mm

    def request_position(self) -> tuple[float, float, float]:
        return (self._pos[0], self._pos[1], self._pos[2])
