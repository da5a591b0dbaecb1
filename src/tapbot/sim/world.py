"""The twin's deck: one phone lying at a known pose, its glass at a known height.

The phone's pose on the deck is a function of time: it starts where the world was built with
and changes only when a ``bump`` fault knocks it (the phone's fault engine tells the world, see
:meth:`SimWorld.apply_bump`). The world keeps a short list of ``(t_from, pose)`` segments so
touches and camera frames of the recent past use the pose of their own time.

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
from tapbot.sim.mirror import CommandMirror
from tapbot.sim.phone import SimPhone

logger = logging.getLogger(__name__)

CONTACT_TOLERANCE_MM = 0.05
#: How far back the fingers' contacts and the tool's motions are kept: beyond the twin
#: camera's history (:data:`tapbot.sim.camera.HISTORY_S`, which it derives from this).
FINGER_HISTORY_S = 42.0
#: Pose segments that ended longer ago than this are dropped (the camera renders ~40 s back).
POSE_HISTORY_S = 120.0


@dataclass(frozen=True, slots=True)
class ScreenPose:
    """Where the screen lies on the deck: its top-left corner ``origin_mm`` (deck mm) and its
    rotation ``rotation_deg`` about that corner (0: screen x along deck x, y along deck y)."""

    origin_mm: tuple[float, float]
    rotation_deg: float

    def screen_to_deck(self, px_per_mm: tuple[float, float]) -> Homography:
        """The map from screen px to deck mm for a screen of ``px_per_mm``."""
        sx, sy = px_per_mm
        a = math.radians(self.rotation_deg)
        c, s = math.cos(a), math.sin(a)
        ox, oy = self.origin_mm
        scale = np.diag([1.0 / sx, 1.0 / sy, 1.0])
        rot_tr = np.array([[c, -s, ox], [s, c, oy], [0.0, 0.0, 1.0]])
        return Homography(rot_tr @ scale)

    def bumped(self, centre_px: tuple[float, float], px_per_mm: tuple[float, float],
               dx_mm: float, dy_mm: float, rotation_deg: float) -> ScreenPose:
        """This pose turned by ``rotation_deg`` about the screen point ``centre_px`` and then
        shifted by ``(dx_mm, dy_mm)``: the point ``centre_px`` moves by exactly the shift."""
        cx, cy = self.screen_to_deck(px_per_mm).apply_point(*centre_px)
        a = math.radians(rotation_deg)
        c, s = math.cos(a), math.sin(a)
        ox, oy = self.origin_mm[0] - cx, self.origin_mm[1] - cy
        return ScreenPose((cx + c * ox - s * oy + dx_mm, cy + s * ox + c * oy + dy_mm),
                          self.rotation_deg + rotation_deg)


@dataclass(frozen=True, slots=True, eq=False)
class _PoseSegment:
    """The pose from ``t_from`` on, with its maps (screen px <-> deck mm)."""

    t_from: float
    pose: ScreenPose
    to_robot: Homography
    to_screen: Homography


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
    positive deck x at 0 degrees, screen y towards positive deck y). Both are the pose *now*:
    a ``bump`` fault moves the phone (:meth:`apply_bump`), and the maps of any recent time are
    :meth:`true_screen_to_robot` / :meth:`deck_to_screen` with ``t``.
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
        # the inputs from outside (robot commands, phone actions), for a copy to replay
        self.mirror = CommandMirror()
        self.mirror.register("phone", phone)
        self.glass_z_mm = float(glass_z_mm)
        pose = ScreenPose((float(screen_origin_mm[0]), float(screen_origin_mm[1])),
                          float(rotation_deg))
        to_robot = pose.screen_to_deck(phone.profile.px_per_mm)
        # pose segments, oldest first; the first one holds from -inf
        self._poses: list[_PoseSegment] = [
            _PoseSegment(-math.inf, pose, to_robot, to_robot.inverse())]
        # only a phone that may be bumped needs its events processed before a pose is read
        self._may_bump = phone.may_bump
        phone.on_bump(self.apply_bump)
        self._touching: dict[int, tuple[float, float]] = {}
        # the phone's id of each touching finger's contact: its moves and lift are that
        # contact's, not the nearest finger's (a ghost touch may be nearer)
        self._contacts: dict[int, int] = {}
        # (t_from, positions of touching fingers in screen px)
        self._finger_history: deque[tuple[float, tuple[tuple[float, float], ...]]] = deque()
        self._finger_history.append((-math.inf, ()))
        # tool motions, oldest first; between motions the tool rests at the last end pose
        self._motions: deque[ToolMotion] = deque()

    # ------------------------------------------------------------------ the phone's pose

    def _segment_at(self, t: float) -> _PoseSegment:
        """The pose segment in force at ``t`` (the phone's events up to ``t`` processed)."""
        poses = self._poses
        if self._may_bump:
            self.phone.update(t)
        if len(poses) == 1:
            return poses[0]
        for seg in reversed(poses):
            if seg.t_from <= t + 1e-12:
                return seg
        return poses[0]

    def _now_segment(self, t: float | None) -> _PoseSegment:
        return self._segment_at(self.clock.now() if t is None else t)

    def screen_pose_at(self, t: float) -> ScreenPose:
        """Where the phone lay on the deck at ``t`` (poses older than ~2 min are forgotten:
        the oldest kept one answers for them)."""
        return self._segment_at(t).pose

    @property
    def screen_origin_mm(self) -> tuple[float, float]:
        """Where the screen's top-left corner lies on the deck now (deck mm)."""
        return self._now_segment(None).pose.origin_mm

    @property
    def rotation_deg(self) -> float:
        """The screen's rotation on the deck now (degrees, about its top-left corner)."""
        return self._now_segment(None).pose.rotation_deg

    @property
    def pose_history(self) -> list[tuple[float, ScreenPose]]:
        """The kept ``(t_from, pose)`` segments, oldest first (the first from ``-inf``)."""
        self._now_segment(None)
        return [(seg.t_from, seg.pose) for seg in self._poses]

    def apply_bump(self, t: float, dx_mm: float, dy_mm: float, rotation_deg: float) -> None:
        """The phone was knocked at ``t``: from then on its screen centre lies ``(dx_mm,
        dy_mm)`` further on the deck and it is turned by ``rotation_deg`` about that centre.

        The phone's fault engine calls this for a ``bump`` fault (which also logs it in the
        ground truth); call it directly only in tests of the geometry. Bumps arrive in time
        order. A finger resting on the glass keeps its screen position until it next moves.
        """
        last = self._poses[-1]
        if t < last.t_from - 1e-9:
            raise ValueError(f"bump at {t:.6f} s is older than the last pose change "
                             f"({last.t_from:.6f} s)")
        profile = self.phone.profile
        w, h = profile.screen_px
        pose = last.pose.bumped((w / 2.0, h / 2.0), profile.px_per_mm, dx_mm, dy_mm,
                                rotation_deg)
        to_robot = pose.screen_to_deck(profile.px_per_mm)
        seg = _PoseSegment(t, pose, to_robot, to_robot.inverse())
        if abs(t - last.t_from) <= 1e-12 and len(self._poses) > 1:
            self._poses[-1] = seg  # two bumps at one instant: the later one wins
        else:
            self._poses.append(seg)
        horizon = t - POSE_HISTORY_S
        while len(self._poses) > 1 and self._poses[1].t_from <= horizon:
            self._poses.pop(0)
        logger.info("phone bumped at %.3f s: shift (%.2f, %.2f) mm, turn %.2f deg; screen "
                    "origin now (%.2f, %.2f) mm at %.2f deg", t, dx_mm, dy_mm, rotation_deg,
                    pose.origin_mm[0], pose.origin_mm[1], pose.rotation_deg)

    def deck_to_screen(self, t: float | None = None) -> Homography:
        """The true map from deck mm to screen px, now (or at ``t``)."""
        return self._now_segment(t).to_screen

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

    def tool_at_rest(self, t0: float, t1: float) -> ToolMotion | None:
        """The motion whose end pose the tool holds throughout ``[t0, t1]`` (the same object
        for as long as the tool rests there), or ``None`` if it moves then (or no pose is
        known that far back)."""
        for motion in reversed(self._motions):
            if motion.t_start <= t1 + 1e-12:
                # the last motion to start by t1 ended by t0: nothing moved in between
                return motion if motion.t_end <= t0 + 1e-12 else None
        return None

    def tool_poses_at(self, ts: list[float]) -> list[ToolPose | None]:
        """:meth:`tool_pose_at` for times in increasing order, with one search of the
        history for all of them when they fall in one motion (an exposure's instants)."""
        if not ts:
            return []
        later = math.inf  # when the motion after the one found starts
        for motion in reversed(self._motions):
            if motion.t_start <= ts[0] + 1e-12:
                if ts[-1] + 1e-12 < later:  # no other motion starts by the last time
                    t_end = motion.t_end
                    return [motion.pose_at(min(t, t_end)) for t in ts]
                break
            later = motion.t_start
        return [self.tool_pose_at(t) for t in ts]

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

    def true_screen_to_robot(self, t: float | None = None) -> Homography:
        """The true map from screen px to deck mm, now (or at ``t``; it changes at a bump)."""
        return self._now_segment(t).to_robot

    def finger_contact(
        self, finger: int, t: float, x_mm: float, y_mm: float, z_mm: float, action: str
    ) -> None:
        """Report where a finger is: ``action`` is ``down``, ``move`` or ``up``.

        A finger above ``glass_z_mm + 0.05`` or off the screen makes no touch; a touching
        finger that slides off the screen lifts.
        """
        if action not in ("down", "move", "up"):
            raise ValueError(f"action must be down, move or up, got {action!r}")
        x_px, y_px = self._segment_at(t).to_screen.apply_point(x_mm, y_mm)
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
            self._contacts[finger] = self.phone.touch_down(t, x_px, y_px)
        elif action == "move":
            if not touching:
                return
            if not on_screen or not on_glass:
                last = self._touching.pop(finger)
                self.phone.touch_up(t, *last, self._contacts.pop(finger))
            else:
                self._touching[finger] = (x_px, y_px)
                self.phone.touch_move(t, x_px, y_px, self._contacts[finger])
        else:
            if not touching:
                return
            last = self._touching.pop(finger)
            px = (x_px, y_px) if on_screen else last
            self.phone.touch_up(t, *px, self._contacts.pop(finger))
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
        """Screen-px positions of the fingers touching the glass at ``t`` (within
        :data:`FINGER_HISTORY_S`)."""
        for t_from, state in reversed(self._finger_history):
            if t_from <= t + 1e-9:
                return list(state)
        return list(self._finger_history[0][1])
