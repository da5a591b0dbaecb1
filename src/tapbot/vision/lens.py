"""Radial lens distortion, one parameter: what a real camera adds that a homography cannot.

Model (OpenCV's ``k1`` in pixel units): an ideal pinhole point ``u`` is imaged at
``d = c + (u - c) * (1 + kappa * |u - c|^2)`` with ``c`` the image centre. ``kappa =
k1 / f^2`` (barrel: ``kappa < 0``). Fitted from many point correspondences on a plane (marker
corners) together with the homography.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.geometry import Homography

logger = logging.getLogger(__name__)

__all__ = ["RadialDistortion", "fit_homography_with_distortion"]


@dataclass(frozen=True)
class RadialDistortion:
    """``kappa`` (1/px^2) about the centre ``(cx, cy)`` in camera px."""

    kappa: float
    cx: float
    cy: float

    def distort(self, ideal: np.ndarray) -> np.ndarray:
        """Ideal (pinhole) camera px -> the px the lens images them at."""
        p = np.asarray(ideal, dtype=np.float64).reshape(-1, 2)
        c = np.array([self.cx, self.cy])
        q = p - c
        r2 = np.sum(q * q, axis=1, keepdims=True)
        return c + q * (1.0 + self.kappa * r2)

    def undistort(self, seen: np.ndarray, iterations: int = 20) -> np.ndarray:
        """Seen camera px -> ideal px (fixed-point iteration; exact for mild distortion)."""
        d = np.asarray(seen, dtype=np.float64).reshape(-1, 2)
        c = np.array([self.cx, self.cy])
        q = d - c
        u = q.copy()
        for _ in range(iterations):
            r2 = np.sum(u * u, axis=1, keepdims=True)
            u = q / (1.0 + self.kappa * r2)
        return c + u

    def to_list(self) -> list[float]:
        return [float(self.kappa), float(self.cx), float(self.cy)]

    @classmethod
    def from_list(cls, values: list[float] | tuple[float, ...]) -> RadialDistortion:
        kappa, cx, cy = (float(v) for v in values)
        return cls(kappa, cx, cy)


def _fit_h(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray | None, float]:
    m, _ = cv2.findHomography(src, dst, 0)
    if m is None:
        return None, float("inf")
    h = Homography(m)
    err = np.hypot(*(h.apply(src) - dst).T)
    return m, float(np.sqrt(np.mean(err * err)))


def fit_homography_with_distortion(camera_px: np.ndarray, screen_px: np.ndarray,
                                   image_size: tuple[int, int], *, min_points: int = 16,
                                   max_k1: float = 0.5
                                   ) -> tuple[Homography, RadialDistortion | None, float]:
    """Camera -> screen homography and the radial distortion that best explain the points.

    ``kappa`` is searched (golden section) over ``|k1| <= max_k1`` with the focal length taken
    as the image width; the distortion is kept only when it lowers the RMS residual by a
    tenth or more (else ``None``: a homography alone). Returns (homography from *ideal*
    camera px, distortion or None, RMS residual in screen px).
    """
    src = np.asarray(camera_px, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(screen_px, dtype=np.float64).reshape(-1, 2)
    m0, rms0 = _fit_h(src, dst)
    if m0 is None:
        raise ValueError("no homography fits these points")
    if len(src) < min_points:
        return Homography(m0), None, rms0
    w, h = image_size
    cx, cy = w / 2.0, h / 2.0
    k_max = max_k1 / float(w) ** 2

    def cost(kappa: float) -> float:
        dist = RadialDistortion(kappa, cx, cy)
        return _fit_h(dist.undistort(src), dst)[1]

    lo, hi = -k_max, k_max
    g = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = cost(a), cost(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = cost(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = cost(b)
    kappa = (lo + hi) / 2.0
    dist = RadialDistortion(kappa, cx, cy)
    m1, rms1 = _fit_h(dist.undistort(src), dst)
    if m1 is None or rms1 > 0.9 * rms0:
        return Homography(m0), None, rms0
    logger.info("lens distortion k1 = %.4f (f = image width): residual %.2f -> %.2f px",
                kappa * w * w, rms0, rms1)
    return Homography(m1), dist, rms1
