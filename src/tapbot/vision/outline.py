"""The screen's outline near a known pose, from the parts of the frame that are not hidden.

:func:`screen_edge_lines` looks for a straight edge close to each side of the calibrated
outline, sampling profiles across the side only where no mask (the robot's tool) hides them,
and reports each edge's offset and slope in screen mm with its support and scatter.
``tapbot.monitors.pose`` turns them into a drift it can trust.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.geometry import Homography
from tapbot.vision.lens import RadialDistortion
from tapbot.vision.locate import screen_corners_px
from tapbot.vision.rectify import to_gray

logger = logging.getLogger(__name__)

__all__ = ["SIDES", "EdgeLine", "screen_edge_lines"]

#: The screen's sides, in the order :func:`screen_edge_lines` reports them.
SIDES = ("left", "top", "right", "bottom")
_OUTWARD = {"left": (-1.0, 0.0), "top": (0.0, -1.0), "right": (1.0, 0.0), "bottom": (0.0, 1.0)}
_PROFILE_STEP_PX = 0.25  # camera px between samples along a profile
_STEP_WINDOW_PX = 2.5  # the step is the mean level over this far outside minus inside
_LEVEL_AT_PX = 2.0  # an edge's outside level is read this far beyond it (past its blur)
RANSAC_PAIRS = 200  # random pairs of edge points tried for each line of a side


@dataclass(frozen=True)
class EdgeLine:
    """A straight edge found near one side of the screen, relative to where a calibrated pose
    puts that side, in screen mm.

    ``offset_mm`` is how far outward (away from the screen's centre) the edge lies at the
    side's middle, ``slope`` its change per mm along the side (along = screen x for top and
    bottom, y for left and right, from the screen's centre). ``n_points`` profiles support it,
    spread over ``span`` and covering ``coverage`` of the side's length (fractions);
    ``rms_mm`` is their scatter, ``offset_sigma_mm`` and ``slope_sigma`` the fit's standard
    errors; ``polarity`` is +1 when the outside is brighter, ``contrast`` the median step
    and ``outside_level`` the median level 2 camera px outside it (gray levels).
    """

    side: str
    offset_mm: float
    slope: float
    n_points: int
    span: float
    coverage: float
    rms_mm: float
    offset_sigma_mm: float
    slope_sigma: float
    polarity: int
    contrast: float
    outside_level: float


def screen_edge_lines(image: np.ndarray, camera_to_screen: Homography,
                      screen_px: tuple[int, int], screen_mm: tuple[float, float], *,
                      distortion: RadialDistortion | None = None, mask: np.ndarray | None = None,
                      search_mm: float = 4.0, corner_margin_mm: float = 6.0,
                      min_contrast: float = 5.0, max_lines: int = 3, min_points: int = 10,
                      min_coverage: float = 0.3, min_span: float = 0.5
                      ) -> dict[str, list[EdgeLine]]:
    """Straight edges near each side of the screen where ``camera_to_screen`` (from *ideal*
    camera px when ``distortion`` is given) says it is, best supported first.

    Each side is sampled every ~1.5 camera px (leaving ``corner_margin_mm`` at its ends, where
    real screens are rounded) by intensity profiles across it, ``search_mm`` inward and
    outward; a profile that touches ``mask`` (camera px, nonzero = the robot's tool may be
    there) or leaves the image is dropped. Every step of at least ``min_contrast`` gray levels
    along a profile is a candidate, of either polarity (screen content may be brighter or
    darker than the bezel). Lines are found per side by consensus (a fixed-seed RANSAC, then
    least squares on the supporting profiles), best first, up to ``max_lines``; a line counts
    only when ``min_points`` profiles support it, covering ``min_coverage`` of the side and
    spread over ``min_span`` of it: short features (text, icons, a finger's edge) do not.

    The screen's true edge is one of a side's lines when it is visible at all; which one, if
    any, is for the caller to decide (e.g. the line that agrees with the opposite side).
    """
    gray = to_gray(image).astype(np.float32)
    ih, iw = gray.shape
    w, h = int(screen_px[0]), int(screen_px[1])
    mm_per_px = np.array([screen_mm[0] / w, screen_mm[1] / h])
    centre_px = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    to_cam = camera_to_screen.inverse()

    def seen(p: np.ndarray) -> np.ndarray:
        q = to_cam.apply(p)
        return distortion.distort(q) if distortion is not None else q

    def unseen(c: np.ndarray) -> np.ndarray:
        q = distortion.undistort(c) if distortion is not None else c
        return camera_to_screen.apply(q)

    # blur once, over the box the profiles can reach
    outline = seen(screen_corners_px((w, h)))
    probe = seen(np.array([centre_px, centre_px + 1.0 / mm_per_px]))  # 1 mm each way
    reach = (search_mm + 2.0) * float(np.abs(probe[1] - probe[0]).max()) + 8.0
    x0 = int(max(0, np.floor(outline[:, 0].min() - reach)))
    y0 = int(max(0, np.floor(outline[:, 1].min() - reach)))
    x1 = int(min(iw, np.ceil(outline[:, 0].max() + reach) + 1))
    y1 = int(min(ih, np.ceil(outline[:, 1].max() + reach) + 1))
    if x1 <= x0 or y1 <= y0:
        return {side: [] for side in SIDES}
    smooth = cv2.GaussianBlur(gray[y0:y1, x0:x1], (0, 0), 0.8)
    rng = np.random.default_rng(0)
    out: dict[str, list[EdgeLine]] = {}
    for side in SIDES:
        normal = np.array(_OUTWARD[side])
        along_axis = 1 if side in ("left", "right") else 0
        length_mm = float(screen_mm[along_axis])
        # the side's line in screen px, from one end to the other
        fixed = -0.5 if side in ("left", "top") else (w - 0.5 if side == "right" else h - 0.5)
        margin = corner_margin_mm / mm_per_px[along_axis]
        lo, hi = -0.5 + margin, (h if along_axis else w) - 0.5 - margin
        ends = np.array([[fixed, lo], [fixed, hi]]) if along_axis else \
            np.array([[lo, fixed], [hi, fixed]])
        seen_len = float(np.hypot(*(seen(ends[1:]) - seen(ends[:1]))[0]))
        n = max(2, int(seen_len / 1.5))
        t = np.linspace(lo, hi, n)
        pts = np.zeros((n, 2))
        pts[:, along_axis] = t
        pts[:, 1 - along_axis] = fixed
        e = seen(pts)
        one_mm = normal / mm_per_px  # 1 mm outward, in screen px
        e_out = seen(pts + one_mm)
        cam_per_mm = np.hypot(*(e_out - e).T)
        nrm = (e_out - e) / cam_per_mm[:, None]
        half = float(search_mm * np.median(cam_per_mm)) + _STEP_WINDOW_PX
        offs = np.arange(-half, half + 1e-9, _PROFILE_STEP_PX)
        pos = e[:, None, :] + offs[None, :, None] * nrm[:, None, :]  # n x K x 2
        ok = np.all((pos[..., 0] >= 0) & (pos[..., 0] <= iw - 1) & (pos[..., 1] >= 0)
                    & (pos[..., 1] <= ih - 1), axis=1)
        if mask is not None:
            xi = np.clip(np.rint(pos[..., 0]).astype(int), 0, iw - 1)
            yi = np.clip(np.rint(pos[..., 1]).astype(int), 0, ih - 1)
            ok &= ~np.any(mask[yi, xi] != 0, axis=1)
        if ok.sum() < min_points:
            out[side] = []
            continue
        e, nrm, pos, t = e[ok], nrm[ok], pos[ok], t[ok]
        prof = cv2.remap(smooth, (pos[..., 0] - x0).astype(np.float32),
                         (pos[..., 1] - y0).astype(np.float32), cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE).astype(np.float64)
        cand = _profile_steps(prof, offs, min_contrast)  # profile, offset px, step, outside
        if len(cand) == 0:
            out[side] = []
            continue
        prof_i = cand[:, 0].astype(int)
        cam = e[prof_i] + cand[:, 1:2] * nrm[prof_i]
        scr = unseen(cam)
        base = np.zeros((len(cand), 2))
        base[:, along_axis] = t[prof_i]
        base[:, 1 - along_axis] = fixed
        d_mm = (scr - base) * mm_per_px
        offset = d_mm @ normal
        along = (scr[:, along_axis] - centre_px[along_axis]) * mm_per_px[along_axis]
        tol = 0.6 / float(np.median(cam_per_mm))  # 0.6 camera px, in mm
        spacing = (hi - lo) * mm_per_px[along_axis] / (n - 1)  # mm between profiles
        out[side] = _side_lines(side, along, offset, np.sign(cand[:, 2]).astype(int),
                                np.abs(cand[:, 2]), cand[:, 3], prof_i, tol, spacing, length_mm,
                                1.0 - 2 * corner_margin_mm / length_mm, rng,
                                max_lines=max_lines, min_points=min_points,
                                min_coverage=min_coverage, min_span=min_span,
                                floor_mm=0.1 / float(np.median(cam_per_mm)))
    return out


def _profile_steps(prof: np.ndarray, offs: np.ndarray, min_contrast: float) -> np.ndarray:
    """Steps along each profile (rows: inside -> outside): rows of (profile index, offset px
    at the step, step = outside level - inside level, outside level), at local extrema of
    |step| of at least ``min_contrast``, sub-sample refined; at most four per profile,
    strongest first."""
    k = max(1, round(_STEP_WINDOW_PX / _PROFILE_STEP_PX))
    c = np.cumsum(np.pad(prof, ((0, 0), (1, 0))), axis=1)
    n_off = prof.shape[1]
    idx = np.arange(k, n_off - k + 1)  # step at the boundary before sample idx
    outside = (c[:, idx + k] - c[:, idx]) / k
    inside = (c[:, idx] - c[:, idx - k]) / k
    step = outside - inside
    a = np.abs(step)
    peak = np.zeros_like(a, dtype=bool)
    peak[:, 1:-1] = (a[:, 1:-1] >= a[:, :-2]) & (a[:, 1:-1] > a[:, 2:]) & \
        (a[:, 1:-1] >= min_contrast)
    rows, cols = np.nonzero(peak)
    if len(rows) == 0:
        return np.empty((0, 4))
    y0, y1, y2 = a[rows, cols - 1], a[rows, cols], a[rows, cols + 1]
    den = y0 - 2 * y1 + y2
    frac = np.where(np.abs(den) > 1e-9, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    frac = np.clip(frac, -0.5, 0.5)
    # the boundary before sample idx lies half a step before it
    off = offs[idx[cols]] - 0.5 * _PROFILE_STEP_PX + frac * _PROFILE_STEP_PX
    # the level clear of the edge's blur, just outside it
    beyond = np.clip(np.rint((off + _LEVEL_AT_PX - offs[0]) / _PROFILE_STEP_PX).astype(int),
                     0, n_off - 1)
    cand = np.c_[rows, off, step[rows, cols], prof[rows, beyond]]
    order = np.lexsort((-np.abs(cand[:, 2]), cand[:, 0]))
    cand = cand[order]
    keep = np.zeros(len(cand), dtype=bool)
    count: dict[int, int] = {}
    for i, r in enumerate(cand[:, 0].astype(int)):
        if count.get(r, 0) < 4:
            keep[i] = True
            count[r] = count.get(r, 0) + 1
    return cand[keep]


def _best_line(idx: np.ndarray, along: np.ndarray, offset: np.ndarray, polarity: np.ndarray,
               prof: np.ndarray, tol: float, length_mm: float, rng: np.random.Generator
               ) -> tuple[int, float, float, int] | None:
    """RANSAC over the candidates ``idx``: of RANSAC_PAIRS random pairs (of one polarity, on
    two profiles far enough apart), the line through the pair that most profiles support
    within ``tol``, as ``(profiles, a, b, polarity)``; None if no pair made a line."""
    pairs = idx[rng.integers(0, len(idx), size=(RANSAC_PAIRS, 2))]
    i, j = pairs[:, 0], pairs[:, 1]
    ok = (prof[i] != prof[j]) & (polarity[i] == polarity[j]) & \
        (np.abs(along[i] - along[j]) >= 0.1 * length_mm)
    i, j = i[ok], j[ok]
    b = (offset[j] - offset[i]) / (along[j] - along[i])
    steep = np.abs(b) > 0.2  # more than ~11 degrees: not this side
    i, b = i[~steep], b[~steep]
    if not len(i):
        return None
    a = offset[i] - b * along[i]
    hit = (polarity[idx][None, :] == polarity[i][:, None]) & \
        (np.abs(offset[idx][None, :] - a[:, None] - b[:, None] * along[idx][None, :]) <= tol)
    # each line's support: the profiles it passes a candidate of
    _, prof_code = np.unique(prof[idx], return_inverse=True)
    supported = np.zeros((len(i), int(prof_code.max()) + 1), dtype=bool)
    line, cand = np.nonzero(hit)
    supported[line, prof_code[cand]] = True
    score = supported.sum(axis=1)
    w = int(np.argmax(score))
    return int(score[w]), float(a[w]), float(b[w]), int(polarity[i[w]])


def _side_lines(side: str, along: np.ndarray, offset: np.ndarray, polarity: np.ndarray,
                strength: np.ndarray, outside: np.ndarray, prof: np.ndarray, tol: float,
                spacing: float, length_mm: float, sampled: float, rng: np.random.Generator, *,
                max_lines: int, min_points: int, min_coverage: float, min_span: float,
                floor_mm: float) -> list[EdgeLine]:
    """Lines ``offset = a + b * along`` supported by many profiles, best first."""
    lines: list[EdgeLine] = []
    alive = np.ones(len(along), dtype=bool)
    for _ in range(max_lines):
        idx = np.nonzero(alive)[0]
        if len(np.unique(prof[idx])) < min_points:
            break
        best = _best_line(idx, along, offset, polarity, prof, tol, length_mm, rng)
        if best is None or best[0] < min_points:
            break
        _, a, b, pol = best
        sel = np.array([], dtype=int)
        for _ in range(3):  # least squares on one candidate per supporting profile
            near = idx[(polarity[idx] == pol) & (np.abs(offset[idx] - a - b * along[idx]) <= tol)]
            if len(near) < 2:
                break
            res = np.abs(offset[near] - a - b * along[near])
            order = np.lexsort((res, prof[near]))
            near = near[order]
            sel = near[np.r_[True, prof[near][1:] != prof[near][:-1]]]
            x = np.c_[np.ones(len(sel)), along[sel]]
            (a, b), *_ = np.linalg.lstsq(x, offset[sel], rcond=None)
        if len(sel) < min_points:
            break
        alive[np.isin(prof, prof[sel]) & (np.abs(offset - a - b * along) <= 3 * tol)] = False
        alive[sel] = False
        span = float(np.ptp(along[sel])) / length_mm
        coverage = len(sel) * spacing / length_mm
        resid = offset[sel] - a - b * along[sel]
        rms = float(np.sqrt(np.mean(resid**2)))
        sigma = max(rms, floor_mm)
        x = np.c_[np.ones(len(sel)), along[sel]]
        cov = sigma**2 * np.linalg.inv(x.T @ x)
        line = EdgeLine(side, float(a), float(b), len(sel), span, coverage, rms,
                        float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1])), pol,
                        float(np.median(strength[sel])), float(np.median(outside[sel])))
        if coverage >= min_coverage * sampled and span >= min_span * sampled:
            lines.append(line)
        else:
            logger.debug("%s: a line of %d points covers %.0f %% of the side: too short",
                         side, len(sel), 100 * coverage)
    return lines


