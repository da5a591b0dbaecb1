"""Masks in camera px: where the robot's tool may hide the phone in a camera frame.

A mask is a ``uint8`` array the size of the camera image, nonzero where a detector must not
look. :func:`camera_mask` builds one from a mask and/or exclusion polygons (camera px) and
widens it by a margin.

The tool is described part by part (fingers, arms, carriage, and how high each rides) by the
robot's :class:`~tapbot.core.tool.ToolGeometry`; :func:`tool_outline_screen_px` turns it into
screen-px polygons for a given position of finger 0, parallax included (:func:`screen_to_seen_px`
takes them on to camera px, through the calibration's homography and lens);
:func:`fill_swept` covers the area such an outline passes over as the tool moves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from tapbot.core.calibration import Calibration
from tapbot.core.errors import VisionError
from tapbot.core.tool import ToolGeometry
from tapbot.vision.lens import RadialDistortion

logger = logging.getLogger(__name__)

__all__ = ["camera_mask", "fill_swept", "screen_to_seen_px", "tool_outline_screen_px"]


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


def screen_to_seen_px(calibration: Calibration, points_px: np.ndarray,
                      step_px: float | None = None) -> np.ndarray:
    """Device screen px -> the camera px where the frame shows them (the calibration's
    homography, then its lens). With ``step_px``, ``points_px`` is a polygon whose sides are
    first sampled every ``step_px`` screen px: the lens bends straight sides."""
    pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
    if step_px is not None and calibration.camera_distortion:
        pts = _densify(pts, step_px)
    ideal = calibration.camera_to_screen_h.inverse().apply(pts)
    if calibration.camera_distortion:
        return RadialDistortion.from_list(calibration.camera_distortion).distort(ideal)
    return ideal


def tool_outline_screen_px(tool: ToolGeometry, calibration: Calibration,
                           tip_screen_px: tuple[float, float], *,
                           camera_centre_screen_px: tuple[float, float] | None = None,
                           camera_height_mm: float | None = None) -> list[np.ndarray]:
    """Screen-px polygons over where ``tool`` is seen with finger 0's tip above screen point
    ``tip_screen_px``: each part mapped robot mm -> screen px by the calibration, and a part
    ``z`` mm above the glass also as the camera sees it, pushed away from the point under the
    lens (``camera_centre_screen_px``) by ``camera_height_mm / (camera_height_mm - z)``
    (parallax: give the lowest height the lens may have). Without a camera centre or height,
    no parallax. One convex polygon per part, in :meth:`ToolGeometry.parts_mm`'s order."""
    to_robot = calibration.screen_to_robot_h
    to_screen = to_robot.inverse()
    tip_mm = to_robot.apply_point(float(tip_screen_px[0]), float(tip_screen_px[1]))
    out = []
    for poly_mm, z in tool.parts_mm(tip_mm):
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


def _densify(poly: np.ndarray, step: float) -> np.ndarray:
    pts = []
    for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        pts.append(a + (b - a) * np.linspace(0, 1, n, endpoint=False)[:, None])
    return np.vstack(pts)
