"""Shared builders for the twin's tests."""

from __future__ import annotations

import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import (
    FaultOptions,
    SimCamera,
    SimCameraOptions,
    SimPhone,
    SimPhoneOptions,
    SimRobot,
    SimRobotOptions,
    SimWorld,
)

W, H = 1080, 2400
COUNTER_ICON = (0.125 * W, 0.20 * H)
VIDEO_ICON = (0.375 * W, 0.20 * H)
COUNTER_BUTTON = (0.5 * W, 0.62 * H)
VIDEO_CENTRE = (0.5 * W, 0.42 * H)
HOME = (0.5 * W, 0.975 * H)


class Rig:
    """A whole twin: clock, phone, world, robot, camera."""

    def __init__(self, *, faults: FaultOptions | None = None, seed: int = 0,
                 repeatability_mm: float = 0.05, noise_sigma: float = 0.0) -> None:
        self.clock = VirtualClock()
        self.phone = SimPhone(SimPhoneOptions(seed=seed, faults=faults or FaultOptions()),
                              self.clock)
        self.world = SimWorld(self.clock, self.phone)
        self.robot = SimRobot(SimRobotOptions(repeatability_mm=repeatability_mm, seed=seed),
                              self.world)
        self.camera = SimCamera(SimCameraOptions(noise_sigma=noise_sigma, seed=seed), self.world)

    def tap_px(self, x_px: float, y_px: float, hold_s: float = 0.05) -> None:
        """Move over a screen point, touch, hold, lift (to 5 mm)."""
        x_mm, y_mm = self.world.true_screen_to_robot().apply_point(x_px, y_px)
        self.robot.move_to(x_mm, y_mm, 300.0)
        self.robot.finger_down(0, 0.0)
        self.clock.sleep(hold_s)
        self.robot.finger_up(0, 5.0)


@pytest.fixture
def make_rig() -> type[Rig]:
    """The :class:`Rig` builder (tests never import from ``tests``)."""
    return Rig
