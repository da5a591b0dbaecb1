"""Points in millimetres and pixels, and planar homographies between frames of reference.

Units live in the names: ``PointMm`` is robot/screen millimetres, ``PointPx`` is pixels of
some image (the device screen unless said otherwise). A :class:`Homography` maps points of one
plane to another and is what calibration produces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.errors import CalibrationError


@dataclass(frozen=True, slots=True)
class PointMm:
    """A point in millimetres (robot deck or screen glass, as the context says)."""

    x: float
    y: float

    def distance_to(self, other: PointMm) -> float:
        return float(np.hypot(self.x - other.x, self.y - other.y))


@dataclass(frozen=True, slots=True)
class PointPx:
    """A point in pixels (device screen pixels unless the context says camera pixels)."""

    x: float
    y: float

    def distance_to(self, other: PointPx) -> float:
        return float(np.hypot(self.x - other.x, self.y - other.y))


def as_array(points: Iterable[PointMm | PointPx | Sequence[float]]) -> np.ndarray:
    """Stack points into an (N, 2) float64 array."""
    rows = [(p.x, p.y) if isinstance(p, PointMm | PointPx) else (p[0], p[1]) for p in points]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


@dataclass(frozen=True)
class Homography:
    """A 3x3 projective map between two planes; ``apply`` maps (N, 2) arrays."""

    matrix: np.ndarray

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=np.float64)
        if m.shape != (3, 3) or not np.all(np.isfinite(m)):
            raise CalibrationError(
                f"a homography must be a finite 3x3 matrix, got shape {m.shape}",
                hint="re-run calibration",
            )
        if abs(np.linalg.det(m)) < 1e-12:
            raise CalibrationError("the homography is singular", hint="re-run calibration")
        m = m / m[2, 2] if abs(m[2, 2]) > 1e-12 else m.copy()
        m.setflags(write=False)  # (shared: a calibration's maps are made once)
        object.__setattr__(self, "matrix", m)

    @classmethod
    def identity(cls) -> Homography:
        return cls(np.eye(3))

    @classmethod
    def from_list(cls, rows: Sequence[Sequence[float]]) -> Homography:
        return cls(np.asarray(rows, dtype=np.float64))

    @classmethod
    def scale_offset(cls, sx: float, sy: float, ox: float = 0.0, oy: float = 0.0) -> Homography:
        """``x' = sx * x + ox``, ``y' = sy * y + oy``."""
        return cls(np.array([[sx, 0.0, ox], [0.0, sy, oy], [0.0, 0.0, 1.0]]))

    @classmethod
    def fit(cls, src: np.ndarray, dst: np.ndarray) -> Homography:
        """Least-squares homography from >= 4 point pairs (no outlier rejection)."""
        src = np.asarray(src, dtype=np.float64).reshape(-1, 2)
        dst = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
        if len(src) != len(dst) or len(src) < 4:
            raise CalibrationError(
                f"a homography needs at least 4 point pairs, got {min(len(src), len(dst))}",
                hint="probe more points spread over the screen",
            )
        spread = np.linalg.matrix_rank(np.c_[src - src.mean(axis=0)], tol=1e-6)
        if spread < 2:
            raise CalibrationError(
                "the points lie on a line or coincide",
                hint="probe points spread over the whole screen",
            )
        matrix, _ = cv2.findHomography(src, dst, 0)
        if matrix is None:
            raise CalibrationError("no homography fits these points", hint="re-probe")
        return cls(matrix)

    @classmethod
    def fit_affine(cls, src: np.ndarray, dst: np.ndarray) -> Homography:
        """Least-squares affine map (6 dof: shear included) from >= 3 point pairs."""
        src = np.asarray(src, dtype=np.float64).reshape(-1, 2)
        dst = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
        if len(src) != len(dst) or len(src) < 3:
            raise CalibrationError("an affine fit needs at least 3 point pairs")
        a = np.c_[src, np.ones(len(src))]
        coeffs, _, rank, _ = np.linalg.lstsq(a, dst, rcond=None)
        if rank < 3:
            raise CalibrationError(
                "the points lie on a line or coincide",
                hint="probe points spread over the whole screen",
            )
        m = np.eye(3)
        m[:2, :] = coeffs.T
        return cls(m)

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map an (N, 2) array of points."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        homog = np.c_[pts, np.ones(len(pts))] @ self.matrix.T
        return homog[:, :2] / homog[:, 2:3]

    def apply_point(self, x: float, y: float) -> tuple[float, float]:
        """Map one point, in plain floats (for one point ~15x faster than :meth:`apply`; the
        same formula, which may round otherwise in the last place)."""
        (a, b, c), (d, e, f), (g, h, i) = self._rows
        w = x * g + y * h + i
        return (x * a + y * b + c) / w, (x * d + y * e + f) / w

    @property
    def _rows(self) -> list[list[float]]:
        rows = self.__dict__.get("_rows_cache")
        if rows is None:
            rows = self.matrix.tolist()
            object.__setattr__(self, "_rows_cache", rows)
        return rows

    def inverse(self) -> Homography:
        """The map back (worked out once: a homography does not change)."""
        inv = self.__dict__.get("_inverse")
        if inv is None:
            inv = Homography(np.linalg.inv(self.matrix))
            object.__setattr__(self, "_inverse", inv)
        return inv

    def then(self, other: Homography) -> Homography:
        """The map that applies ``self`` first, then ``other``."""
        return Homography(other.matrix @ self.matrix)

    def to_list(self) -> list[list[float]]:
        return [[float(v) for v in row] for row in self.matrix]
