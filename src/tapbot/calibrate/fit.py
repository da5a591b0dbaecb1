"""Fitting probe touches: screen px -> robot mm (affine or homography) and the glass plane.

Outliers are rejected iteratively: fit all points, drop the worst while its residual exceeds
``outlier_mm`` and enough points remain, refit. Residuals are reported per point in mm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from tapbot.core.errors import CalibrationError
from tapbot.core.geometry import Homography

logger = logging.getLogger(__name__)

__all__ = ["FitResult", "check_spread", "fit_glass_plane", "fit_screen_to_robot"]

MIN_POINTS = 4


@dataclass(frozen=True)
class FitResult:
    """A fitted screen px -> robot mm map with the residual of every point (mm)."""

    homography: Homography
    residuals_mm: np.ndarray  # (N,) distance between measured and fitted robot point
    inliers: np.ndarray  # (N,) bool
    model: str

    @property
    def rms_mm(self) -> float:
        """RMS residual over the inliers."""
        r = self.residuals_mm[self.inliers]
        return float(np.sqrt(np.mean(r * r))) if r.size else 0.0

    @property
    def max_mm(self) -> float:
        """Worst residual over the inliers."""
        r = self.residuals_mm[self.inliers]
        return float(r.max()) if r.size else 0.0


def check_spread(screen_px: np.ndarray, robot_mm: np.ndarray, *, min_points: int = MIN_POINTS,
                 min_separation_px: float = 2.0, min_spread: float = 0.05) -> None:
    """Refuse too few, duplicated or collinear probe points with a :class:`CalibrationError`.

    ``min_spread`` is the smaller principal extent of the screen points as a fraction of the
    larger: points on (or near) a line have almost none.
    """
    src = np.asarray(screen_px, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(robot_mm, dtype=np.float64).reshape(-1, 2)
    if len(src) != len(dst):
        raise CalibrationError(f"{len(src)} screen points but {len(dst)} robot points",
                               hint="pass one screen point per probe touch")
    if not (np.all(np.isfinite(src)) and np.all(np.isfinite(dst))):
        raise CalibrationError("probe points must be finite numbers", hint="re-probe")
    if len(src) < min_points:
        raise CalibrationError(
            f"calibration needs at least {min_points} probe points, got {len(src)}",
            hint="probe at least 4 points (default 9) spread over the whole screen")
    d = np.hypot(*(src[:, None, :] - src[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    if d[i, j] < min_separation_px:
        raise CalibrationError(
            f"probe points {min(i, j)} and {max(i, j)} coincide on the screen "
            f"(({src[i, 0]:.1f}, {src[i, 1]:.1f}) px)",
            hint="probe distinct points spread over the whole screen")
    centred = src - src.mean(axis=0)
    sv = np.linalg.svd(centred, compute_uv=False)
    if sv[0] <= 0 or sv[1] / sv[0] < min_spread:
        raise CalibrationError(
            "the probe points lie on a line", hint="probe points spread over the whole screen, "
            "not along one edge")


def _fit(src: np.ndarray, dst: np.ndarray, model: str) -> Homography:
    if model == "affine":
        return Homography.fit_affine(src, dst)
    if model == "homography":
        return Homography.fit(src, dst)
    raise CalibrationError(f"unknown model {model!r}", hint="use 'affine' or 'homography'")


def fit_screen_to_robot(screen_px: np.ndarray, robot_mm: np.ndarray, *, model: str = "affine",
                        outlier_mm: float = 1.0, max_outlier_frac: float = 0.34) -> FitResult:
    """Fit screen px -> robot mm and reject outliers.

    ``affine`` has 6 degrees of freedom (offset, scale per axis, rotation, shear: a gantry
    whose axes are not square); ``homography`` adds perspective. At most ``max_outlier_frac``
    of the points are rejected, and never so many that fewer than 4 (affine) or 5
    (homography) remain, so the fit stays over-determined.
    """
    src = np.asarray(screen_px, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(robot_mm, dtype=np.float64).reshape(-1, 2)
    check_spread(src, dst)
    keep = np.ones(len(src), bool)
    floor = 4 if model == "affine" else 5
    max_drop = min(int(max_outlier_frac * len(src)), max(0, len(src) - floor))
    while True:
        h = _fit(src[keep], dst[keep], model)
        res = np.hypot(*(h.apply(src) - dst).T)
        inlier_res = np.where(keep, res, -1.0)
        worst = int(np.argmax(inlier_res))
        if inlier_res[worst] <= outlier_mm or (~keep).sum() >= max_drop:
            break
        logger.info("rejecting probe point %d: residual %.3f mm", worst, res[worst])
        keep[worst] = False
        check_spread(src[keep], dst[keep], min_points=floor)
    return FitResult(homography=h, residuals_mm=res, inliers=keep, model=model)


def fit_glass_plane(xy_mm: np.ndarray, z_mm: np.ndarray) -> tuple[float, float, float]:
    """Least-squares plane ``z = a * x + b * y + c`` through >= 3 non-collinear points."""
    xy = np.asarray(xy_mm, dtype=np.float64).reshape(-1, 2)
    z = np.asarray(z_mm, dtype=np.float64).reshape(-1)
    if len(xy) < 3 or len(xy) != len(z):
        raise CalibrationError(f"a glass plane needs at least 3 heights, got {len(z)}",
                               hint="probe at least 4 points")
    a = np.c_[xy, np.ones(len(xy))]
    coeffs, _, rank, _ = np.linalg.lstsq(a, z, rcond=None)
    if rank < 3:
        raise CalibrationError("the glass heights lie on a line",
                               hint="probe points spread over the whole screen")
    return float(coeffs[0]), float(coeffs[1]), float(coeffs[2])
