"""The twin's deck: one phone lying at a known pose, its glass at a known height.

The world also keeps a bounded history of where the robot's tool was (every finger's XYZ and
the carriage, in deck mm) so the camera can draw fingers and arm at any recent time, hovering or
touching, and blur them over an exposure.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tapbot.core.clock import VirtualClock
from tapbot.core.geometry import Homography
from tapbot.sim.phone import SimPhone

logger = logging.getLogger(__name__)

CONTACT_TOLERANCE_MM = 0.05
FINGER_HISTORY_S = 12.0


@dataclass(frozen=True, slots=True)
class ToolPose:
    """Where the robot's tool is: each finger's tip (x, y, z) and the carriage's centre
    (x, y, z of its underside), all in deck mm."""

    fingers: tuple[tuple[float, float, float], ...]
    carriage: tuple[float, float, float]


class ToolMotion(Protocol):
    """One motion of the tool between ``t_start`` and ``t_end`` (a robot reports these)."""

    t_start: float
    t_end: float

    def pose_at(self, t: float) -> ToolPose:
        """The pose at ``t`` (clamped to the motion's interval)."""
        ...


@dataclass(frozen=True, slots=True)
class _Still:
    t_start: float
    t_end: float
    pose: ToolPose

    def pose_at(self, t: float) -> ToolPose:
        return self.pose


class SimWorld:
    """The deck: one phone lying at a known pose, glass at a known height, on a VirtualClock.

    ``screen_origin_mm`` is where the screen's top-left corner lies on the deck (robot mm);
    the screen is rotated by ``rotation_deg`` about that corner (screen x axis towards
    positive deck x at 0 degrees, screen y towards positive deck y).
    """

    def __init__(
        self,
        clock: VirtualClock,
        phone: SimPhone,
        *,
        screen_origin_mm: tuple[float, float] = (40.0, 30.0),
        rotation_deg: float = 0.0,
        glass_z_mm: float = 0.0,
    ) -> None:
        self.clock = clock
        self.phone = phone
        self.glass_z_mm = float(glass_z_mm)
        self.screen_origin_mm = (float(screen_origin_mm[0]), float(screen_origin_mm[1]))
        self.rotation_deg = float(rotation_deg)
        self._to_robot = self._build_screen_to_robot()
        self._to_screen = self._to_robot.inverse()
        self._touching: dict[int, tuple[float, float]] = {}
        # (t_from, positions of touching fingers in screen px)
        self._finger_history: deque[tuple[float, tuple[tuple[float, float], ...]]] = deque()
        self._finger_history.append((-math.inf, ()))
        # tool motions, oldest first; between motions the tool rests at the last end pose
        self._motions: deque[ToolMotion] = deque()

    def _build_screen_to_robot(self) -> Homography:
        sx, sy = self.phone.profile.px_per_mm
        a = math.radians(self.rotation_deg)
        c, s = math.cos(a), math.sin(a)
        ox, oy = self.screen_origin_mm
        scale = np.diag([1.0 / sx, 1.0 / sy, 1.0])
        rot_tr = np.array([[c, -s, ox], [s, c, oy], [0.0, 0.0, 1.0]])
        return Homography(rot_tr @ scale)

    def deck_to_screen(self) -> Homography:
        """The true map from deck mm to screen px."""
        return self._to_screen

    # ------------------------------------------------------------------ tool history

    def tool_motion(self, motion: ToolMotion) -> None:
        """Record a motion of the tool (motions arrive in time order; bounded history)."""
        if self._motions and motion.t_start < self._motions[-1].t_start - 1e-9:
            raise ValueError(f"tool motion at {motion.t_start:.6f} s is older than the last "
                             f"one ({self._motions[-1].t_start:.6f} s)")
        self._motions.append(motion)
        horizon = motion.t_start - FINGER_HISTORY_S
        while len(self._motions) > 1 and self._motions[1].t_end <= horizon:
            self._motions.popleft()

    def tool_rests(self, t: float, pose: ToolPose) -> None:
        """Record that the tool is at ``pose`` from ``t`` on (e.g. at start-up)."""
        self.tool_motion(_Still(t, t, pose))

    def tool_pose_at(self, t: float) -> ToolPose | None:
        """Where the tool was at ``t`` (``None`` before any report; the oldest kept pose for
        times older than the ~12 s history)."""
        for motion in reversed(self._motions):
            if motion.t_start <= t + 1e-12:
                return motion.pose_at(min(t, motion.t_end))
        if self._motions:
            first = self._motions[0]
            return first.pose_at(first.t_start)
        return None

    def true_screen_to_robot(self) -> Homography:
        """The true map from screen px to deck mm."""
        return self._to_robot

    def finger_contact(
        self, finger: int, t: float, x_mm: float, y_mm: float, z_mm: float, action: str
    ) -> None:
        """Report where a finger is: ``action`` is ``down``, ``move`` or ``up``.

        A finger above ``glass_z_mm + 0.05`` or off the screen makes no touch; a touching
        finger that slides off the screen lifts.
        """
        if action not in ("down", "move", "up"):
            raise ValueError(f"action must be down, move or up, got {action!r}")
        x_px, y_px = self._to_screen.apply_point(x_mm, y_mm)
        w, h = self.phone.profile.screen_px
        on_screen = 0.0 <= x_px < w and 0.0 <= y_px < h
        on_glass = z_mm <= self.glass_z_mm + CONTACT_TOLERANCE_MM
        touching = finger in self._touching
        if action == "down":
            if touching:
                return
            if not on_glass:
                logger.debug("finger %d down at z=%.2f mm stays above the glass", finger, z_mm)
                return
            if not on_screen:
                logger.debug("finger %d lands off the screen at (%.1f, %.1f) mm",
                             finger, x_mm, y_mm)
                return
            self._touching[finger] = (x_px, y_px)
            self.phone.touch_down(t, x_px, y_px)
        elif action == "move":
            if not touching:
                return
            if not on_screen or not on_glass:
                last = self._touching.pop(finger)
                self.phone.touch_up(t, *last)
            else:
                self._touching[finger] = (x_px, y_px)
                self.phone.touch_move(t, x_px, y_px)
        else:
            if not touching:
                return
            last = self._touching.pop(finger)
            px = (x_px, y_px) if on_screen else last
            self.phone.touch_up(t, *px)
        self._record(t)

    def _record(self, t: float) -> None:
        state = tuple(self._touching[f] for f in sorted(self._touching))
        while self._finger_history and self._finger_history[-1][0] >= t:
            # same instant (or out-of-order report): the newest report wins
            if len(self._finger_history) == 1:
                break
            self._finger_history.pop()
        self._finger_history.append((t, state))
        horizon = t - FINGER_HISTORY_S
        while len(self._finger_history) > 1 and self._finger_history[1][0] <= horizon:
            self._finger_history.popleft()

    def finger_state_at(self, t: float) -> list[tuple[float, float]]:
        """Screen-px positions of the fingers touching the glass at ``t`` (last ~10 s)."""
        for t_from, state in reversed(self._finger_history):
            if t_from <= t + 1e-9:
                return list(state)
        return list(self._finger_history[0][1])
