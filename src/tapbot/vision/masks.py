"""Masks in camera px: where the robot's tool may hide the phone in a camera frame.

A mask is a ``uint8`` array the size of the camera image, nonzero where a detector must not
look. :func:`camera_mask` builds one from a mask and/or exclusion polygons (camera px) and
widens it by a margin; :func:`tool_footprint_px` turns the fingers' known screen positions into
camera-px polygons over the fingers, their arms and the carriage, through the calibration (its
homography and lens), for a caller that knows where the robot is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from tapbot.core.calibration import Calibration
from tapbot.core.errors import VisionError
from tapbot.vision.lens import RadialDistortion

logger = logging.getLogger(__name__)

__all__ = ["camera_mask", "screen_to_seen_px", "tool_footprint_px"]


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


def _densify(poly: np.ndarray, step_mm: float) -> np.ndarray:
    pts = []
    for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step_mm)))
        pts.append(a + (b - a) * np.linspace(0, 1, n, endpoint=False)[:, None])
    return np.vstack(pts)
