"""Masks in camera px: where the robot's tool may hide the phone in a camera frame.

A mask is a ``uint8`` array the size of the camera image, nonzero where a detector must not
look. :func:`camera_mask` builds one from a mask and/or exclusion polygons (camera px) and
widens it by a margin; :func:`tool_footprint_px` turns the fingers' known screen positions into
camera-px polygons over the fingers, their arms and the carriage, through the calibration (its
homography and lens), for a caller that knows where the robot is.

For a caller that looks at a rectified screen view instead, :class:`ToolShape` describes the
tool part by part (fingers, arms, carriage, and how high each rides) and
:func:`tool_outline_screen_px` turns it into screen-px polygons for a given position of finger
0, parallax included; :func:`fill_swept` covers the area such an outline passes over as the
tool moves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.calibration import Calibration
from tapbot.core.errors import VisionError
from tapbot.vision.lens import RadialDistortion

logger = logging.getLogger(__name__)

__all__ = ["ToolShape", "camera_mask", "fill_swept", "screen_to_seen_px", "tool_footprint_px",
           "tool_outline_screen_px"]


def camera_mask(size_px: tuple[int, int], *, mask: np.ndarray | None = None,
                polygons: Iterable[np.ndarray | Sequence[Sequence[float]]] | None = None,
                margin_px: float = 0.0) -> np.ndarray | None:
    """The union of ``mask`` (nonzero = hidden) and the filled ``polygons`` (each N x 2 camera
    px, N >= 3), widened by ``margin_px``; ``None`` when both are empty.

    ``size_px`` is the camera image's (width, height); a mask of another size is refused.
    """
    w, h = int(size_px[0]), int(size_px[1])
    out: np.ndarray | None = None
    if mask is not None:
        m = np.asarray(mask)
        if m.shape[:2] != (h, w) or m.ndim not in (2, 3):
            raise VisionError(f"the tool mask is {m.shape[1::-1]} px, the camera frame is "
                              f"{(w, h)} px",
                              hint="pass a mask the size of the camera frame (camera px)")
        if m.ndim == 3:
            m = m.max(axis=2)
        out = (m != 0).astype(np.uint8) * 255
    polys = []
    for p in polygons or ():
        arr = np.asarray(p, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 3 or not np.all(np.isfinite(arr)):
            raise VisionError(f"an exclusion polygon must be N x 2 finite camera px with N >= 3, "
                              f"got shape {arr.shape}", hint="give polygons as [[x, y], ...]")
        polys.append(np.round(arr * 16).astype(np.int32))
    if polys:
        if out is None:
            out = np.zeros((h, w), np.uint8)
        for poly in polys:  # one at a time: fillPoly leaves the overlap of two as a hole
            cv2.fillPoly(out, [poly], 255, cv2.LINE_8, shift=4)
    if out is not None and margin_px > 0:
        k = 2 * int(np.ceil(margin_px)) + 1
        out = cv2.dilate(out, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return out


def screen_to_seen_px(calibration: Calibration, points_px: np.ndarray) -> np.ndarray:
    """Device screen px -> the camera px where the frame shows them (the calibration's
    homography, then its lens)."""
    ideal = calibration.camera_to_screen_h.inverse().apply(
        np.asarray(points_px, dtype=np.float64).reshape(-1, 2))
    if calibration.camera_distortion:
        return RadialDistortion.from_list(calibration.camera_distortion).distort(ideal)
    return ideal


def tool_footprint_px(calibration: Calibration, screen_px_per_mm: tuple[float, float],
                      fingers_screen_px: Sequence[tuple[float, float]], *,
                      finger_radius_mm: float = 6.0, reach_mm: float = 55.0,
                      width_mm: float = 60.0, direction: tuple[float, float] = (0.0, 1.0)
                      ) -> list[np.ndarray]:
    """Camera-px polygons over where a tool whose fingertips are at ``fingers_screen_px`` may
    be seen: a disk of ``finger_radius_mm`` round each tip, and a band ``width_mm`` wide
    (centred on the tips, at least as wide as the disks) from the tips' back edge
    ``reach_mm`` along ``direction`` (screen axes; the way the arms run to the carriage).

    The shapes are drawn on the glass plane: a part of the tool high above the glass looks
    bigger (parallax), so ``reach_mm`` and ``width_mm`` should include a margin for it. The
    twin's pinch tool (two fingers 12-90 mm apart, 5 mm arms, a 40 x 24 mm carriage centred
    30 mm beyond the tips, 30 mm above them) is covered by the defaults, with about 10 mm to
    spare for parallax.
    """
    if not fingers_screen_px:
        return []
    if finger_radius_mm <= 0 or reach_mm < 0 or width_mm < 0:
        raise VisionError("tool footprint sizes must be positive mm",
                          hint="e.g. finger_radius_mm=6, reach_mm=55, width_mm=60")
    sx, sy = float(screen_px_per_mm[0]), float(screen_px_per_mm[1])
    tips = np.asarray(fingers_screen_px, dtype=np.float64).reshape(-1, 2) / (sx, sy)  # mm
    d = np.asarray(direction, dtype=np.float64)
    norm = float(np.hypot(*d))
    d = d / norm if norm > 0 else np.array([0.0, 1.0])
    side = np.array([-d[1], d[0]])
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = np.c_[np.cos(ang), np.sin(ang)] * finger_radius_mm
    polys_mm = [tip + ring for tip in tips]
    if reach_mm > 0:
        centre = tips.mean(axis=0)
        across = (tips - centre) @ side
        half = max(width_mm / 2, float(np.abs(across).max()) + finger_radius_mm)
        base = centre + side * float(across.mean()) - d * finger_radius_mm
        polys_mm.append(np.array([base - side * half, base + side * half,
                                  base + side * half + d * (reach_mm + finger_radius_mm),
                                  base - side * half + d * (reach_mm + finger_radius_mm)]))
    out = []
    for poly in polys_mm:
        dense = _densify(poly, step_mm=2.0)  # the lens bends long straight sides
        out.append(screen_to_seen_px(calibration, dense * (sx, sy)))
    return out


@dataclass(frozen=True)
class ToolShape:
    """A robot's tool seen from above, in robot mm (robot axes) from finger 0's tip.

    Finger tips are disks of ``finger_radius_mm`` (the tip plus its shadow and the robot's
    repeatability); a two-finger tool's finger 1 rides ``second_finger_mm`` from finger 0. An
    arm ``arm_width_mm`` wide runs from each tip to the carriage, a ``carriage_size_mm``
    rectangle centred ``carriage_offset_mm`` from the tips' midpoint and ``carriage_z_mm``
    above the glass (the arms climb to it). Every part is widened by ``margin_mm``. The
    defaults are the usual pinch head at its resting separation (the twin's: fingers 20 mm
    apart along robot x, 5 mm arms, a 40 x 24 mm carriage 30 mm beyond the tips towards robot
    +y, 30 mm above them, hovering 3 mm over the glass).
    """

    finger_radius_mm: float = 6.0
    second_finger_mm: tuple[float, float] | None = (20.0, 0.0)
    arm_width_mm: float = 5.0
    carriage_size_mm: tuple[float, float] = (40.0, 24.0)
    carriage_offset_mm: tuple[float, float] = (0.0, 30.0)
    carriage_z_mm: float = 35.0
    margin_mm: float = 2.0

    def __post_init__(self) -> None:
        sizes = (self.finger_radius_mm, self.arm_width_mm, *self.carriage_size_mm)
        if min(sizes) <= 0 or self.margin_mm < 0 or self.carriage_z_mm < 0:
            raise VisionError("tool shape sizes must be positive mm",
                              hint="e.g. finger_radius_mm=6, arm_width_mm=5, "
                                   "carriage_size_mm=(40, 24)")

    def parts_mm(self, tip_mm: tuple[float, float]) -> list[tuple[np.ndarray, float]]:
        """The tool's parts with finger 0's tip at ``tip_mm`` (robot mm): (N x 2 robot-mm
        polygon, height above the glass in mm), fingers first, then arms, then the carriage;
        always the same parts in the same order."""
        f0 = np.asarray(tip_mm, dtype=np.float64)
        tips = [f0] if self.second_finger_mm is None else \
            [f0, f0 + np.asarray(self.second_finger_mm, dtype=np.float64)]
        m = self.margin_mm
        ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        ring = np.c_[np.cos(ang), np.sin(ang)] * (self.finger_radius_mm + m)
        parts: list[tuple[np.ndarray, float]] = [(tip + ring, 0.0) for tip in tips]
        off = np.asarray(self.carriage_offset_mm, dtype=np.float64)
        centre = np.mean(tips, axis=0) + off
        w, h = self.carriage_size_mm
        norm = float(np.hypot(*off))
        d = off / norm if norm > 0 else np.array([0.0, 1.0])  # from the tips to the carriage
        side = np.array([-d[1], d[0]])
        near = centre - d * (h / 2)  # the carriage's edge facing the tips
        a = self.arm_width_mm / 2 + m
        for tip in tips:
            reach = float((near - tip) @ d)
            if reach > 0:
                parts.append((np.array([tip - side * a, tip + side * a,
                                        tip + side * a + d * reach,
                                        tip - side * a + d * reach]), self.carriage_z_mm))
        hw, hh = w / 2 + m, h / 2 + m
        parts.append((np.array([centre - side * hw - d * hh, centre + side * hw - d * hh,
                                centre + side * hw + d * hh, centre - side * hw + d * hh]),
                      self.carriage_z_mm))
        return parts


def tool_outline_screen_px(shape: ToolShape, calibration: Calibration,
                           tip_screen_px: tuple[float, float], *,
                           camera_centre_screen_px: tuple[float, float] | None = None,
                           camera_height_mm: float | None = None) -> list[np.ndarray]:
    """Screen-px polygons over where ``shape`` is seen with finger 0's tip above screen point
    ``tip_screen_px``: each part mapped robot mm -> screen px by the calibration, and a part
    ``z`` mm above the glass also as the camera sees it, pushed away from the point under the
    lens (``camera_centre_screen_px``) by ``camera_height_mm / (camera_height_mm - z)``
    (parallax: give the lowest height the lens may have). Without a camera centre or height,
    no parallax. One convex polygon per part, in :meth:`ToolShape.parts_mm`'s order."""
    to_robot = calibration.screen_to_robot_h
    to_screen = to_robot.inverse()
    tip_mm = to_robot.apply_point(float(tip_screen_px[0]), float(tip_screen_px[1]))
    out = []
    for poly_mm, z in shape.parts_mm(tip_mm):
        poly = to_screen.apply(poly_mm)  # a homography: straight sides stay straight
        if z > 0 and camera_centre_screen_px is not None and camera_height_mm is not None:
            if camera_height_mm <= z:
                raise VisionError(f"the camera ({camera_height_mm:g} mm) must be above the "
                                  f"tool ({z:g} mm)", hint="give the lens height above the glass")
            c = np.asarray(camera_centre_screen_px, dtype=np.float64)
            seen = c + (poly - c) * (camera_height_mm / (camera_height_mm - z))
            poly = np.vstack([poly, seen])
        hull = cv2.convexHull(poly.astype(np.float32)).reshape(-1, 2)
        out.append(hull.astype(np.float64))
    return out


def fill_swept(mask: np.ndarray, poses: Sequence[Sequence[np.ndarray]],
               value: int = 255) -> np.ndarray:
    """Fill into ``mask`` (in place; returned) every polygon of every pose and the convex hull
    of each polygon with the same polygon of the next pose: the area a tool moving in straight
    lines from one pose to the next passes over. ``poses`` are lists of N x 2 polygons in
    ``mask``'s px, each pose's in the same order (as :func:`tool_outline_screen_px` gives
    them); the polygons should be convex (a hull stands in for each one's sweep)."""
    prev: Sequence[np.ndarray] | None = None
    for pose in poses:
        for i, poly in enumerate(pose):
            pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
            if prev is not None and i < len(prev):
                pts = np.vstack([np.asarray(prev[i], dtype=np.float64).reshape(-1, 2), pts])
            hull = cv2.convexHull(np.round(pts * 16).astype(np.int32))
            cv2.fillConvexPoly(mask, hull, value, cv2.LINE_8, shift=4)
        prev = pose
    return mask


def _densify(poly: np.ndarray, step_mm: float) -> np.ndarray:
    pts = []
    for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step_mm)))
        pts.append(a + (b - a) * np.linspace(0, 1, n, endpoint=False)[:, None])
    return np.vstack(pts)
