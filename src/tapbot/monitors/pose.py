"""Pose drift: has the phone moved under the camera since calibration (the robot bumped it)?

A :class:`PoseMonitor` is called every ``every_s`` seconds with a camera frame and where the
robot's tool may be in it (a camera-px mask or exclusion polygons). It re-measures the screen's
pose near the calibrated one, ignoring the masked areas, and says how far the phone moved: the
drift in screen mm at the four corners and the centre.

The phone lies flat on the deck, so a bump moves it rigidly in the glass plane: a rotation and
a shift (three numbers). They are measured two ways:

- **markers** (the robust path): the corners of the holder's ArUco markers not under the tool
  give point pairs (where the calibration puts them, where the layout says they are); a
  least-squares rigid fit, dropping markers that disagree.
- **outline**: the screen's four edge lines near where the calibration puts them, from
  unmasked edge profiles only (:func:`tapbot.vision.outline.screen_edge_lines`). A side's line
  may be the true edge or a content edge parallel to it (a dark status bar looks like the
  bezel), so a shift is measured only by a *pair* of opposite sides whose lines keep the
  screen's width (or height): left with right gives the shift along x, top with bottom along
  y. Content edges are axis-aligned, so any two sides that agree give the rotation.

Verdicts: ``ok`` (measured, at most ``limit_mm`` at every point), ``drifted`` (measured above
it; with only one shift measured, when that part alone already exceeds the limit) or
``unknown`` (not enough unhidden evidence, or evidence that contradicts itself). It never says
``drifted`` because the tool hides part of the screen: hidden profiles and markers are not
used, and what is left must agree with itself. ``incident`` is set on the check that sees the
drift a second time in a row (``consecutive``); ``unknown`` checks neither confirm nor reset.

Monitors never read the twin's ground truth: this one sees camera frames, the calibration, the
device's screen size and the holder's marker layout only.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import cv2
import numpy as np

from tapbot.core.calibration import Calibration
from tapbot.core.errors import VisionError
from tapbot.core.frames import Frame
from tapbot.vision.lens import RadialDistortion
from tapbot.vision.locate import layout_from_mm, marker_corners
from tapbot.vision.masks import camera_mask, screen_to_seen_px
from tapbot.vision.outline import EdgeLine, screen_edge_lines

logger = logging.getLogger(__name__)

__all__ = ["POINTS", "PoseCheck", "PoseMonitor", "ScreenMotion", "measure_motion"]

#: Where drift is reported: the screen's corners and its centre.
POINTS = ("top-left", "top-right", "bottom-right", "bottom-left", "centre")
_NAN = float("nan")


@dataclass(frozen=True)
class ScreenMotion:
    """How the screen moved: ``T(q) = R(rotation) q + shift`` maps where the calibration puts a
    point (screen mm from the screen's centre) to the screen point really there now; ``nan``
    for what was not measured, with 1-sigma errors (rad, mm). ``evidence`` says what was used.
    """

    method: Literal["markers", "outline", "none"]
    rotation_rad: float = _NAN
    shift_mm: tuple[float, float] = (_NAN, _NAN)
    rotation_sigma: float = _NAN
    shift_sigma_mm: tuple[float, float] = (_NAN, _NAN)
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def phone_rotation_deg(self) -> float:
        """How far the phone turned (degrees, clockwise in the image as screen y points
        down): the inverse of ``rotation_rad``."""
        return -math.degrees(self.rotation_rad)

    def drift_at(self, points_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drift vectors ``p - T(p)`` (the phone's move under a point the calibration aims at,
        screen mm) at ``points_mm`` (N x 2, from the centre) and their 1-sigma errors;
        ``nan`` where a component was not measured."""
        p = np.asarray(points_mm, dtype=np.float64).reshape(-1, 2)
        th = self.rotation_rad
        c, s = math.cos(th), math.sin(th)
        tx, ty = self.shift_mm
        dx = p[:, 0] - (c * p[:, 0] - s * p[:, 1] + tx)
        dy = p[:, 1] - (s * p[:, 0] + c * p[:, 1] + ty)
        sth = self.rotation_sigma
        sx, sy = self.shift_sigma_mm
        ex = np.sqrt(sx**2 + (p[:, 1] * sth) ** 2)
        ey = np.sqrt(sy**2 + (p[:, 0] * sth) ** 2)
        return np.c_[dx, dy], np.c_[ex, ey]


@dataclass(frozen=True)
class PoseCheck:
    """One check's result.

    ``drift_mm`` maps each of :data:`POINTS` to its drift ``(dx, dy)`` in screen mm (the
    phone's move under that point: a touch aimed there lands this far off), ``nan`` for a
    component that was not measured; ``max_drift_mm`` is the largest over the points (over the
    measured components only when ``complete`` is false) and ``sigma_mm`` its 1-sigma error.
    ``trustworthy`` is false exactly when ``status`` is ``unknown``; ``drift_since`` is the
    time of the first check of the current run of ``drifted`` checks (the incident's onset).
    """

    t: float
    status: Literal["ok", "drifted", "unknown"]
    method: Literal["markers", "outline", "none"]
    drift_mm: dict[str, tuple[float, float]]
    max_drift_mm: float
    sigma_mm: float
    complete: bool
    incident: bool
    reason: str
    motion: ScreenMotion
    limit_mm: float
    drift_since: float | None = None

    @property
    def trustworthy(self) -> bool:
        return self.status != "unknown"

    @property
    def worst_point(self) -> str:
        """The point of :data:`POINTS` that moved most (measured components)."""
        mags = [float(np.hypot(*np.nan_to_num(self.drift_mm[p]))) for p in POINTS]
        return POINTS[int(np.argmax(mags))]

    def message(self) -> str:
        """One line for a log or an incident: what moved, how much, how it was measured."""
        if self.status == "unknown":
            return f"pose not verifiable ({self.reason})"
        p = self.worst_point
        dx, dy = self.drift_mm[p]
        part = "" if self.complete else " (x only: a lower bound)" if math.isnan(dy) else \
            " (y only: a lower bound)"
        return (f"the phone moved {self.max_drift_mm:.2f} +- {self.sigma_mm:.2f} mm at its "
                f"{p}{part} since calibration (dx {dx:+.2f}, dy {dy:+.2f} mm, turned "
                f"{self.motion.phone_rotation_deg:+.2f} deg; limit {self.limit_mm:.2f} mm; "
                f"from {self.method})")

    def evidence(self) -> dict[str, Any]:
        """Numbers for an incident's or a measurement's record (JSON-ready)."""
        def clean(v: float) -> float | None:
            return None if math.isnan(v) else round(float(v), 4)

        return {
            "status": self.status, "method": self.method, "complete": self.complete,
            "max_drift_mm": clean(self.max_drift_mm), "sigma_mm": clean(self.sigma_mm),
            "limit_mm": self.limit_mm,
            "drift_mm": {k: [clean(v[0]), clean(v[1])] for k, v in self.drift_mm.items()},
            "rotation_deg": clean(self.motion.phone_rotation_deg),
            "drift_since": self.drift_since,
            "reason": self.reason, **self.motion.evidence,
        }


def _points_mm(screen_mm: tuple[float, float]) -> np.ndarray:
    w, h = screen_mm
    return np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2],
                     [0.0, 0.0]])


class _Geometry:
    """Calibrated camera px <-> screen mm from the screen's centre."""

    def __init__(self, calibration: Calibration, screen_px: tuple[int, int],
                 screen_mm: tuple[float, float]) -> None:
        self.calibration = calibration
        self.h = calibration.camera_to_screen_h
        self.lens = (RadialDistortion.from_list(calibration.camera_distortion)
                     if calibration.camera_distortion else None)
        self.screen_px = (int(screen_px[0]), int(screen_px[1]))
        self.screen_mm = (float(screen_mm[0]), float(screen_mm[1]))
        self.mm_per_px = np.array([self.screen_mm[0] / self.screen_px[0],
                                   self.screen_mm[1] / self.screen_px[1]])
        self.half_mm = np.array(self.screen_mm) / 2

    def seen_to_mm(self, seen: np.ndarray) -> np.ndarray:
        ideal = self.lens.undistort(seen) if self.lens is not None else seen
        return self.px_to_mm(self.h.apply(ideal))

    def px_to_mm(self, px: np.ndarray) -> np.ndarray:
        return (np.asarray(px, dtype=np.float64) + 0.5) * self.mm_per_px - self.half_mm

    def mm_to_seen(self, mm: np.ndarray) -> np.ndarray:
        px = (np.asarray(mm, dtype=np.float64) + self.half_mm) / self.mm_per_px - 0.5
        return screen_to_seen_px(self.calibration, px)

    def camera_px_per_mm(self) -> float:
        c = self.mm_to_seen(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        return float(min(np.hypot(*(c[1] - c[0])), np.hypot(*(c[2] - c[0]))))


# ----------------------------------------------------------------------------- markers


def _rigid_fit(q: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray]:
    """Least-squares rotation and shift with ``R q + t ~ p`` (2-D Kabsch)."""
    qc, pc = q.mean(axis=0), p.mean(axis=0)
    m = (q - qc).T @ (p - pc)
    th = math.atan2(m[0, 1] - m[1, 0], m[0, 0] + m[1, 1])
    c, s = math.cos(th), math.sin(th)
    r = np.array([[c, -s], [s, c]])
    return th, pc - r @ qc


def _motion_from_markers(image: np.ndarray, geo: _Geometry,
                         markers_mm: Mapping[int, Sequence[Sequence[float]]],
                         mask: np.ndarray | None, *, min_markers: int, floor_mm: float,
                         max_marker_mm: float) -> ScreenMotion:
    layout = layout_from_mm(markers_mm, geo.screen_px, geo.screen_mm)
    seen, layout_px, ids = marker_corners(image, layout, mask=mask)
    if len(ids) < min_markers:
        return ScreenMotion("none", reason=f"{len(ids)} unhidden marker(s) seen, "
                            f"{min_markers} needed", evidence={"markers": ids})
    q = geo.seen_to_mm(seen).reshape(-1, 4, 2)
    p = geo.px_to_mm(layout_px).reshape(-1, 4, 2)
    keep = list(range(len(ids)))
    dropped: list[int] = []
    while True:
        th, t = _rigid_fit(q[keep].reshape(-1, 2), p[keep].reshape(-1, 2))
        c, s = math.cos(th), math.sin(th)
        r = np.array([[c, -s], [s, c]])
        res = np.hypot(*((q[keep] @ r.T + t) - p[keep]).reshape(-1, 2).T).reshape(-1, 4)
        worst = int(np.argmax(res.max(axis=1)))
        if res[worst].max() <= max_marker_mm or len(keep) <= min_markers:
            break
        dropped.append(ids[keep.pop(worst)])
    evidence = {"markers": [ids[i] for i in keep], "markers_dropped": dropped}
    if res.max() > max_marker_mm:
        return ScreenMotion("none", reason="the markers disagree with a rigid move of the "
                            f"phone (worst corner {res.max():.2f} mm off)", evidence=evidence)
    qk = q[keep].reshape(-1, 2)
    n = len(qk)
    dof = max(1, 2 * n - 3)
    sigma = max(float(np.sqrt(np.sum(res**2) / dof)), floor_mm)
    spread = float(np.sum((qk - qk.mean(axis=0)) ** 2))
    sth = sigma / math.sqrt(spread)
    # the shift's error at the screen's centre (the fit's centroid is elsewhere)
    lever = float(np.hypot(*qk.mean(axis=0)))
    st = math.sqrt(sigma**2 / n + (lever * sth) ** 2)
    return ScreenMotion("markers", th, (float(t[0]), float(t[1])), sth, (st, st),
                        evidence=evidence)


# ----------------------------------------------------------------------------- outline


def _pair(first: list[EdgeLine], second: list[EdgeLine], half: float, tilt_tol: float,
          size_tol_mm: float, name: str, sign: int
          ) -> tuple[tuple[float, float, float, float] | None, str]:
    """The shift (and tilt) two opposite sides agree on, from their candidate lines.

    For left/right (``first``, ``second``, ``sign`` -1), ``half`` is half the screen's width;
    lines ``offset = a + b * along``: left's tilt is ``atan(-b)``, right's ``atan(b)``, and the
    shifts ``(a_L + half) cos - half`` and ``half - (a_R + half) cos`` must agree (the width is
    kept). Top/bottom likewise with ``sign`` +1 (top's tilt ``atan(b)``, bottom's
    ``atan(-b)``): under a turn by ``theta`` the outward offset of the top and right edges
    grows by ``tan(theta)`` per mm along them, that of the left and bottom shrinks. The two
    lines must also see the same level just outside them (the bezel goes round the screen):
    a content edge that happens to pair with the far side's body-to-deck edge has screen
    content outside one and the deck outside the other.
    Returns ((shift, shift sigma, tilt, tilt sigma) or None, why).
    """
    if not first or not second:
        return None, f"{name}: {'both sides' if not first and not second else 'one side'} " \
                     "not seen"
    fits = []
    for a, b in itertools.product(first, second):
        if abs(a.outside_level - b.outside_level) > 0.25 * min(a.contrast, b.contrast) + 8.0:
            continue
        th_a, th_b = math.atan(sign * a.slope), math.atan(-sign * b.slope)
        if abs(th_a - th_b) > tilt_tol + 4 * math.hypot(a.slope_sigma, b.slope_sigma):
            continue
        wa, wb = 1 / max(a.slope_sigma, 1e-6) ** 2, 1 / max(b.slope_sigma, 1e-6) ** 2
        th = (wa * th_a + wb * th_b) / (wa + wb)
        c = math.cos(th)
        s_a = (a.offset_mm + half) * c - half
        s_b = half - (b.offset_mm + half) * c
        if abs(s_a - s_b) > size_tol_mm:
            continue
        stat = 0.5 * math.hypot(a.offset_sigma_mm, b.offset_sigma_mm)
        # what the two sides still disagree on is an error too (edge biases, blur)
        shift_sigma = math.hypot(stat, 0.5 * (s_a - s_b))
        tilt_sigma = math.hypot(1 / math.sqrt(wa + wb), 0.5 * (th_a - th_b))
        fits.append((0.5 * (s_a + s_b), shift_sigma, th, tilt_sigma))
    if not fits:
        return None, f"{name}: the sides' edges disagree on the screen's size or tilt"
    if len(fits) > 1:
        return None, f"{name}: {len(fits)} edge pairs fit equally (ambiguous)"
    return fits[0], ""


def _motion_from_outline(image: np.ndarray, geo: _Geometry, mask: np.ndarray | None, *,
                         search_mm: float, size_tol_mm: float, tilt_tol_mm: float
                         ) -> ScreenMotion:
    lines = screen_edge_lines(image, geo.h, geo.screen_px, geo.screen_mm, distortion=geo.lens,
                              mask=mask, search_mm=search_mm)
    w, h = geo.screen_mm
    evidence = {"sides": {s: [round(x.offset_mm, 3) for x in v] for s, v in lines.items()}}
    x_fit, x_why = _pair(lines["left"], lines["right"], w / 2, tilt_tol_mm / (h / 2),
                         size_tol_mm, "left/right", -1)
    y_fit, y_why = _pair(lines["top"], lines["bottom"], h / 2, tilt_tol_mm / (w / 2),
                         size_tol_mm, "top/bottom", +1)
    why = "; ".join(r for r in (x_why, y_why) if r)
    if x_fit is None and y_fit is None:
        return ScreenMotion("none", reason=why, evidence=evidence)
    tilts = [(f[2], f[3]) for f in (x_fit, y_fit) if f is not None]
    if len(tilts) == 2 and abs(tilts[0][0] - tilts[1][0]) > \
            tilt_tol_mm / (max(w, h) / 2) + 4 * math.hypot(tilts[0][1], tilts[1][1]):
        return ScreenMotion("none", reason="the left/right and top/bottom edges disagree on "
                            "the screen's rotation", evidence=evidence)
    weights = [1 / max(s, 1e-6) ** 2 for _, s in tilts]
    th = sum(t * wt for (t, _), wt in zip(tilts, weights, strict=True)) / sum(weights)
    sth = 1 / math.sqrt(sum(weights))
    tx, sx = (x_fit[0], x_fit[1]) if x_fit is not None else (_NAN, _NAN)
    ty, sy = (y_fit[0], y_fit[1]) if y_fit is not None else (_NAN, _NAN)
    return ScreenMotion("outline", th, (tx, ty), sth, (sx, sy), reason=why, evidence=evidence)


# ----------------------------------------------------------------------------- together


def measure_motion(image: np.ndarray, calibration: Calibration, screen_px: tuple[int, int],
                   screen_mm: tuple[float, float], *,
                   markers_mm: Mapping[int, Sequence[Sequence[float]]] | None = None,
                   mask: np.ndarray | None = None, search_mm: float = 4.0,
                   min_markers: int = 2, size_tol_mm: float = 0.5, tilt_tol_mm: float = 0.5
                   ) -> ScreenMotion:
    """How the screen moved since ``calibration``, from one camera image (see the module).

    ``mask`` (camera px, nonzero = may hide the screen) is already widened by the caller.
    Markers first when a layout is given and at least ``min_markers`` of them are seen clear
    of the mask; else the outline, searched ``search_mm`` either side of the calibrated edges
    (a larger move is not seen: ``unknown``). ``size_tol_mm`` is how much two opposite sides
    may disagree on the screen's size (and ``tilt_tol_mm`` on its tilt, at the screen's end)
    and still count as one screen.
    """
    geo = _Geometry(calibration, screen_px, screen_mm)
    per_mm = geo.camera_px_per_mm()
    why = ""
    if markers_mm:
        motion = _motion_from_markers(image, geo, markers_mm, mask, min_markers=min_markers,
                                      floor_mm=0.1 / per_mm, max_marker_mm=max(0.3, 1.0 / per_mm))
        if motion.method == "markers":
            return motion
        why = motion.reason + "; "
    motion = _motion_from_outline(image, geo, mask, search_mm=search_mm,
                                  size_tol_mm=size_tol_mm, tilt_tol_mm=tilt_tol_mm)
    if why:
        motion = ScreenMotion(motion.method, motion.rotation_rad, motion.shift_mm,
                              motion.rotation_sigma, motion.shift_sigma_mm, why + motion.reason,
                              motion.evidence)
    return motion


class PoseMonitor:
    """Re-checks the phone's pose now and then; flags a drift seen on consecutive checks.

    ``limit_mm`` (default 1 mm) is the drift that makes the rig's results untrustworthy: the
    touch-accuracy target after calibration is 0.3 mm at p95 and calibration refuses a fit
    worse than 0.5 mm, so a 1 mm move triples the accepted error and puts a tap near the edge
    of a 48 dp (~7.6 mm) target; it is also five times ``max_sigma_mm``, the largest error a
    check may have to count, so sensor noise alone does not cross it. ``consecutive`` (2)
    checks in a row must see it before ``incident`` is set, once per episode (until a check
    sees the phone back within the limit, or :meth:`recalibrated`).

    ``every_s`` is only advice for :meth:`due`; the caller decides when the tool is still.
    """

    def __init__(self, calibration: Calibration, screen_px: tuple[int, int],
                 screen_mm: tuple[float, float], *,
                 markers_mm: Mapping[int, Sequence[Sequence[float]]] | None = None,
                 limit_mm: float = 1.0, max_sigma_mm: float = 0.2, consecutive: int = 2,
                 every_s: float = 30.0, mask_margin_px: float = 3.0,
                 search_mm: float = 4.0) -> None:
        if not limit_mm > 0 or not max_sigma_mm > 0 or not every_s > 0 or consecutive < 1:
            raise VisionError(
                f"pose monitor: limit_mm ({limit_mm}), max_sigma_mm ({max_sigma_mm}) and "
                f"every_s ({every_s}) must be > 0 and consecutive ({consecutive}) >= 1",
                hint="use e.g. limit_mm=1.0, max_sigma_mm=0.2, every_s=30, consecutive=2")
        if search_mm <= limit_mm:
            raise VisionError(f"pose monitor: search_mm ({search_mm}) must exceed limit_mm "
                              f"({limit_mm}), or a drift past the limit is never seen",
                              hint="use e.g. search_mm=4 for limit_mm=1")
        self.calibration = calibration
        self.screen_px = (int(screen_px[0]), int(screen_px[1]))
        self.screen_mm = (float(screen_mm[0]), float(screen_mm[1]))
        self.markers_mm = dict(markers_mm) if markers_mm else None
        self.limit_mm = float(limit_mm)
        self.max_sigma_mm = float(max_sigma_mm)
        self.consecutive = int(consecutive)
        self.every_s = float(every_s)
        self.mask_margin_px = float(mask_margin_px)
        self.search_mm = float(search_mm)
        self.last: PoseCheck | None = None
        self._last_t: float | None = None
        self._streak = 0
        self._drift_since: float | None = None
        self._reported = False

    def due(self, t: float) -> bool:
        """Whether ``every_s`` passed since the last check (or none was made)."""
        return self._last_t is None or t - self._last_t >= self.every_s

    def recalibrated(self, calibration: Calibration) -> None:
        """Measure against a new calibration from now on (forgets the streak)."""
        self.calibration = calibration
        self._streak = 0
        self._drift_since = None
        self._reported = False

    def check(self, frame: Frame, *, mask: np.ndarray | None = None,
              exclude: Iterable[np.ndarray | Sequence[Sequence[float]]] | None = None
              ) -> PoseCheck:
        """Measure the pose in ``frame`` with ``mask`` (camera px, nonzero = the tool may be
        there) and/or ``exclude`` (camera-px polygons) hidden, widened by ``mask_margin_px``."""
        image = frame.image
        hidden = camera_mask((image.shape[1], image.shape[0]), mask=mask, polygons=exclude,
                             margin_px=self.mask_margin_px)
        motion = measure_motion(image, self.calibration, self.screen_px, self.screen_mm,
                                markers_mm=self.markers_mm, mask=hidden,
                                search_mm=self.search_mm)
        check = self._judge(frame.t, motion)
        self._last_t = frame.t
        self.last = check
        log = logger.warning if check.status == "drifted" else logger.debug
        log("pose check at %.2f s: %s", frame.t, check.message())
        return check

    def _judge(self, t: float, motion: ScreenMotion) -> PoseCheck:
        pts = _points_mm(self.screen_mm)
        if motion.method == "none":
            drift = np.full((len(pts), 2), _NAN)
            sigma = drift.copy()
        else:
            drift, sigma = motion.drift_at(pts)
        known = ~np.isnan(drift)
        complete = bool(known.all())
        reason = motion.reason
        status: Literal["ok", "drifted", "unknown"]
        if not known.any():
            status, worst, err = "unknown", _NAN, _NAN
        elif complete:
            mag = np.hypot(drift[:, 0], drift[:, 1])
            i = int(np.argmax(mag))
            worst, err = float(mag[i]), float(np.hypot(*sigma[i]))
            if err > self.max_sigma_mm:
                status = "unknown"
                reason = f"too little evidence: +-{err:.2f} mm (at most {self.max_sigma_mm:.2f})"
            else:
                status = "drifted" if worst > self.limit_mm else "ok"
        else:
            # one shift measured: its part of the drift is a lower bound
            part = np.where(known, np.abs(drift), -np.inf)
            i, j = np.unravel_index(int(np.argmax(part)), part.shape)
            worst, err = float(part[i, j]), float(sigma[i, j])
            lower = float(np.nanmax(np.where(known, np.abs(drift) - 2 * sigma, -np.inf)))
            if err <= self.max_sigma_mm and lower > self.limit_mm:
                status = "drifted"
            else:
                status = "unknown"
                axis = "y" if known[:, 0].all() else "x"
                reason = (f"{axis} not measurable ({reason}); the measured part is "
                          f"{worst:.2f} +- {err:.2f} mm")
        incident = False
        if status == "drifted":
            if self._streak == 0:
                self._drift_since = t
            self._streak += 1
            if self._streak >= self.consecutive and not self._reported:
                incident = self._reported = True
        elif status == "ok":
            self._streak = 0
            self._drift_since = None
            self._reported = False
        return PoseCheck(
            t=t, status=status, method=motion.method,
            drift_mm={name: (float(d[0]), float(d[1])) for name, d in zip(POINTS, drift,
                                                                           strict=True)},
            max_drift_mm=worst, sigma_mm=err, complete=complete, incident=incident,
            reason=reason, motion=motion, limit_mm=self.limit_mm,
            drift_since=self._drift_since if status == "drifted" else None)

    def draw(self, image: np.ndarray, check: PoseCheck, *,
             mask: np.ndarray | None = None) -> np.ndarray:
        """Evidence: ``image`` (BGR copy) with the calibrated outline (red), the measured one
        (green, when both shifts were measured) and the hidden area (dimmed)."""
        geo = _Geometry(self.calibration, self.screen_px, self.screen_mm)
        out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if mask is not None:
            dim = out // 2
            out[mask != 0] = dim[mask != 0]
        edge = np.linspace(0.0, 1.0, 40)[:, None]
        corners = _points_mm(self.screen_mm)[:4]
        ring = np.vstack([a + (b - a) * edge for a, b in
                          zip(corners, np.roll(corners, -1, axis=0), strict=True)])

        def poly(mm: np.ndarray, colour: tuple[int, int, int]) -> None:
            pts = np.round(geo.mm_to_seen(mm) * 16).astype(np.int32)
            cv2.polylines(out, [pts], True, colour, 1, cv2.LINE_AA, 4)

        poly(ring, (0, 0, 255))
        m = check.motion
        if check.complete and m.method != "none":
            th = m.rotation_rad
            c, s = math.cos(th), math.sin(th)
            r = np.array([[c, -s], [s, c]])
            # where the screen's outline is now, in the calibrated frame: T^-1(ring)
            poly((ring - np.array(m.shift_mm)) @ r, (0, 200, 0))
        return out
