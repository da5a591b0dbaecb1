"""Probe touches: find the glass under a robot point and where the phone saw the touch.

A :class:`TouchSource` says whether a touch registered since a probe began and where (screen
px): from the device link's touch log when there is one (:class:`LinkTouchSource`), else from
the camera seeing the phone's touch feedback (:class:`CameraTouchSource`).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tapbot.cameras.base import Camera
from tapbot.core.clock import Clock
from tapbot.core.errors import CalibrationError
from tapbot.core.geometry import PointMm
from tapbot.devices.link import DeviceLink
from tapbot.robots.robot import Robot
from tapbot.vision.change import ChangeDetector
from tapbot.vision.locate import locate_touch_feedback
from tapbot.vision.rectify import ScreenRectifier

logger = logging.getLogger(__name__)

__all__ = ["CameraTouchSource", "LinkTouchSource", "Probe", "TouchSource", "probe_point"]


class TouchSource(ABC):
    """Tells a probe whether (and where) the phone registered a touch since :meth:`begin`."""

    @abstractmethod
    def begin(self) -> None:
        """Start watching for one probe's touch."""

    @abstractmethod
    def touched(self) -> bool:
        """Whether a touch registered since :meth:`begin`."""

    @abstractmethod
    def position_px(self) -> tuple[float, float]:
        """Screen px of the touch seen since :meth:`begin` (call after ``touched()``)."""


class LinkTouchSource(TouchSource):
    """Touches from the device link's digitizer log (``DeviceLink.touch_events``)."""

    def __init__(self, link: DeviceLink, clock: Clock) -> None:
        self.link = link
        self.clock = clock
        self._since = 0.0
        self._down: tuple[float, float] | None = None

    def begin(self) -> None:
        self._since = self.clock.now()
        self._down = None

    def touched(self) -> bool:
        for ev in self.link.touch_events(self._since):
            if ev.action == "down":
                self._down = (ev.x_px, ev.y_px)
                return True
        return False

    def position_px(self) -> tuple[float, float]:
        if self._down is None and not self.touched():
            raise CalibrationError("no touch registered", hint="re-probe")
        assert self._down is not None
        return self._down


class CameraTouchSource(TouchSource):
    """Touches seen by the camera: the phone's touch feedback overlay (Android's pointer
    location / show taps, switched on with ``DeviceLink.set_show_touches`` or by hand).

    Needs the camera -> screen map. The view at :meth:`begin` is the reference; a touch
    registered when the current view shows the feedback (see
    :func:`tapbot.vision.locate.locate_touch_feedback`).
    """

    def __init__(self, camera: Camera, rectifier: ScreenRectifier, clock: Clock,
                 settle_s: float = 0.05, detector: ChangeDetector | None = None) -> None:
        self.camera = camera
        self.rectifier = rectifier
        self.clock = clock
        self.settle_s = settle_s
        self.detector = detector or ChangeDetector(threshold=40, min_area_px=6)
        self._ref: np.ndarray | None = None
        self._pos: tuple[float, float] | None = None

    def begin(self) -> None:
        self._ref = self.rectifier.view(self.camera.latest().image)
        self._pos = None

    def touched(self) -> bool:
        assert self._ref is not None, "begin() first"
        self.clock.sleep(self.settle_s)  # the overlay shows on the next refresh
        cur = self.rectifier.view(self.camera.latest().image)
        changed = self.detector.changed_pixels(self._ref, cur)
        found = locate_touch_feedback(changed)
        if found is None:
            return False
        self._pos = self.rectifier.view_to_screen(*found)
        return True

    def position_px(self) -> tuple[float, float]:
        if self._pos is None:
            raise CalibrationError("the camera saw no touch feedback",
                               hint="switch on the phone's pointer location overlay")
        return self._pos


@dataclass(frozen=True)
class Probe:
    """One probe: the commanded robot point, where the phone saw the touch, the glass height."""

    robot_mm: PointMm
    screen_px: tuple[float, float]
    z_mm: float


def probe_point(robot: Robot, source: TouchSource, p: PointMm, *, z_start_mm: float,
                z_floor_mm: float, coarse_step_mm: float = 0.5, fine_step_mm: float = 0.02,
                approach_mm: float = 1.0) -> Probe | None:
    """Find the glass under ``p``: a coarse descent, then a fine one from just above the
    coarse hit. Returns ``None`` when no touch registered down to ``z_floor_mm``.

    The finger always arrives from ``approach_mm`` towards -x, -y (at hover height), so a
    gantry's backlash is the same for every probe and for every later touch that arrives
    the same way.
    """

    def touched() -> bool:
        return source.touched()

    if approach_mm > 0:
        robot.move_to(PointMm(p.x - approach_mm, p.y - approach_mm))
    source.begin()
    z_hit = robot.lower_until(p, touched, z_start_mm=z_start_mm, z_floor_mm=z_floor_mm,
                              step_mm=coarse_step_mm)
    if z_hit is None:
        return None
    _wait_released(robot, source)
    source.begin()
    fine: Callable[[], bool] = touched
    z_fine = robot.lower_until(p, fine, z_start_mm=z_hit + coarse_step_mm,
                               z_floor_mm=z_hit - coarse_step_mm, step_mm=fine_step_mm)
    if z_fine is None:  # the glass moved between the two descents: trust the coarse one
        logger.warning("fine probe at (%.2f, %.2f) mm found no glass; using the coarse height",
                       p.x, p.y)
        source.begin()
        z_fine = robot.lower_until(p, fine, z_start_mm=z_hit, z_floor_mm=z_hit - coarse_step_mm,
                                   step_mm=coarse_step_mm)
        if z_fine is None:
            return None
    return Probe(robot_mm=p, screen_px=source.position_px(), z_mm=float(z_fine))


def _wait_released(robot: Robot, source: TouchSource) -> None:
    """Give the phone a moment to register the lift (one refresh at 60 Hz)."""
    robot.clock.sleep(0.02)
