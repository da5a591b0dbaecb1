"""Where is the screen in a camera frame? Found with no prior pose.

Three ways, best first:

- ArUco markers (``DICT_4X4_50``) at known places on the holder or shown on the screen
  (:func:`find_markers`): every marker corner is a sub-pixel correspondence;
- a known screen image, e.g. the device link's screenshot (:func:`match_screenshot`): SIFT
  features + a robust homography, refined by ECC alignment;
- the bright screen quadrilateral (:func:`find_screen_quad`): the largest bright convex
  four-sided region, its sides fitted as lines to sub-pixel precision.

Each gives a :class:`ScreenPose` (camera px -> screen px). :func:`pose_drift` compares a new
pose with the calibrated one (the robot bumped the phone) in screen px and mm.

Near a known pose, with parts of the frame hidden (the robot's tool): :func:`marker_corners`
skips markers near a mask, and :func:`screen_edge_lines` finds straight edges close to each
side of the calibrated outline from unmasked profiles only; ``tapbot.monitors.pose`` turns
them into a drift it can trust.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.errors import VisionError
from tapbot.core.geometry import Homography
from tapbot.vision.lens import RadialDistortion, fit_homography_with_distortion
from tapbot.vision.rectify import to_gray

logger = logging.getLogger(__name__)

__all__ = [
    "ARUCO_DICT",
    "SIDES",
    "EdgeLine",
    "PoseDrift",
    "PoseWatch",
    "ScreenPose",
    "find_markers",
    "find_screen_quad",
    "layout_from_mm",
    "locate_screen",
    "locate_touch_feedback",
    "marker_corners",
    "marker_pattern",
    "match_screenshot",
    "pose_drift",
    "screen_corners_px",
    "screen_edge_lines",
]

ARUCO_DICT = cv2.aruco.DICT_4X4_50


@dataclass(frozen=True)
class ScreenPose:
    """A camera px -> screen px map, how it was found and how well it fits (screen px)."""

    camera_to_screen: Homography
    method: str  # "markers" | "pattern" | "screenshot" | "quad" | "white quad"
    residual_px: float
    n_points: int
    distortion: RadialDistortion | None = None  # when set, camera_to_screen maps ideal px


def screen_corners_px(screen_px: tuple[int, int]) -> np.ndarray:
    """The screen's outer corners (TL, TR, BR, BL) in the pixel-centre convention."""
    w, h = screen_px
    return np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])


# ----------------------------------------------------------------------------- markers


def _detector() -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    params.cornerRefinementWinSize = 4
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(ARUCO_DICT), params)


def layout_from_mm(layout_mm: Mapping[int, np.ndarray | list], screen_px: tuple[int, int],
                   screen_mm: tuple[float, float]) -> dict[int, np.ndarray]:
    """Marker corners given in screen mm (origin at the screen's top-left outer corner, e.g.
    on the holder, so possibly negative) -> screen px (pixel-centre convention)."""
    sx, sy = screen_px[0] / screen_mm[0], screen_px[1] / screen_mm[1]
    out = {}
    for mid, corners in layout_mm.items():
        c = np.asarray(corners, dtype=np.float64).reshape(4, 2)
        out[int(mid)] = np.c_[c[:, 0] * sx - 0.5, c[:, 1] * sy - 0.5]
    return out


def marker_corners(image: np.ndarray, layout: Mapping[int, np.ndarray], *,
                   mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The corners of the ``layout``'s markers seen in ``image``: (camera px N x 2, their
    layout px N x 2, the marker id of each group of four).

    An id seen twice is ambiguous and skipped; so is a marker whose quad, widened by half its
    side (its quiet zone), touches a nonzero pixel of ``mask`` (camera px, e.g. where the
    robot's tool may be): a half-hidden marker can be detected with a wrong corner.
    """
    gray = to_gray(image)
    corners, ids, _ = _detector().detectMarkers(gray)
    if ids is None:
        return np.empty((0, 2)), np.empty((0, 2)), []
    flat = [int(i) for i in ids.ravel()]
    cam, scr, used = [], [], []
    for c, mid in zip(corners, flat, strict=True):
        if mid not in layout or flat.count(mid) != 1:
            continue
        quad = np.asarray(c, dtype=np.float64).reshape(4, 2)
        if mask is not None and _touches(mask, quad):
            logger.debug("marker %d lies under the mask: not used", mid)
            continue
        cam.append(quad)
        scr.append(np.asarray(layout[mid], dtype=np.float64).reshape(4, 2))
        used.append(mid)
    if not cam:
        return np.empty((0, 2)), np.empty((0, 2)), []
    return np.vstack(cam), np.vstack(scr), used


def _touches(mask: np.ndarray, quad: np.ndarray) -> bool:
    """Does ``quad`` (camera px), widened by half its size about its centre, cover a nonzero
    pixel of ``mask``?"""
    c = quad.mean(axis=0)
    wide = c + (quad - c) * 2.0
    h, w = mask.shape[:2]
    x0, y0 = np.floor(wide.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(wide.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return False
    stamp = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(stamp, np.round((wide - (x0, y0)) * 16).astype(np.int32), 1,
                       cv2.LINE_8, 4)
    return bool(np.any(mask[y0:y1, x0:x1][stamp > 0]))


def find_markers(image: np.ndarray, layout: Mapping[int, np.ndarray], *,
                 max_residual_px: float = 2.0, fit_distortion: bool = False
                 ) -> ScreenPose | None:
    """Fit camera -> screen from the ArUco markers of ``layout`` seen in ``image``.

    ``layout`` maps a marker id to its 4 corners (TL, TR, BR, BL as printed) in screen px.
    Returns ``None`` when no known marker is seen, or when fewer than 75 % of the corners fit
    one homography within ``max_residual_px`` camera px (markers that do not belong to the
    layout); an id seen twice is ignored. With two or more markers the fit is robust to a
    misdetected marker. ``fit_distortion`` also fits the lens's radial distortion when there
    are enough corners and it explains them better (see :mod:`tapbot.vision.lens`).
    """
    cam_px, scr_px, used = marker_corners(image, layout)
    if not used:
        return None
    src, dst = cam_px, scr_px
    gray_shape = image.shape[:2]
    # robust fit screen -> camera, so the outlier threshold is in camera px (what detection
    # errors are measured in, whatever the camera's resolution); looser while the lens's
    # distortion is not modelled yet
    loose = max_residual_px * (4.0 if fit_distortion else 1.0)
    method = cv2.RANSAC if len(used) >= 2 else 0
    m, _ = cv2.findHomography(dst, src, method, loose)
    if m is None:
        return None
    err = np.hypot(*(Homography(m).apply(dst) - src).T)
    inliers = err <= loose
    if inliers.sum() < max(4, 0.75 * len(src)):
        logger.info("markers disagree with the layout (%d of %d corners fit)", inliers.sum(),
                    len(src))
        return None
    distortion = None
    if fit_distortion:
        gray_h, gray_w = gray_shape
        h, distortion, res = fit_homography_with_distortion(src[inliers], dst[inliers],
                                                            (gray_w, gray_h))
        predicted = h.inverse().apply(dst)
        if distortion is not None:
            predicted = distortion.distort(predicted)
        tight = np.hypot(*(predicted - src).T) <= max_residual_px
        if tight.sum() < max(4, 0.75 * len(src)):
            logger.info("markers disagree with the layout (%d of %d corners fit)", tight.sum(),
                        len(src))
            return None
        if tight.sum() < inliers.sum():
            inliers = tight
            h, distortion, res = fit_homography_with_distortion(src[inliers], dst[inliers],
                                                                (gray_w, gray_h))
    else:
        h = Homography.fit(src[inliers], dst[inliers])
        scr_err = np.hypot(*(h.apply(src[inliers]) - dst[inliers]).T)
        res = float(np.sqrt(np.mean(scr_err**2)))
    return ScreenPose(h, "markers", res, int(inliers.sum()), distortion)


#: Marker ids of the pattern shown on the screen start here, clear of a holder's ids (0..).
PATTERN_FIRST_ID = 30


def marker_pattern(screen_px: tuple[int, int], *, cols: int = 3, rows: int = 5,
                   size_frac: float = 0.16) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """A full-screen BGR image of ArUco markers on white, and its layout in screen px.

    Shown on the phone through ``DeviceLink.show_image`` it gives camera -> screen without
    markers on the holder. Ids run from :data:`PATTERN_FIRST_ID` so they never clash with
    the holder's own markers.
    """
    if cols * rows > 50 - PATTERN_FIRST_ID:
        raise VisionError(f"a {cols} x {rows} pattern needs more ids than DICT_4X4_50 has free",
                          hint="use at most 20 markers")
    w, h = screen_px
    img = np.full((h, w), 255, np.uint8)
    side = int(size_frac * min(w, h))
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICT)
    layout: dict[int, np.ndarray] = {}
    mid = PATTERN_FIRST_ID
    for r in range(rows):
        for c in range(cols):
            cx = (c + 0.5) * w / cols
            cy = (r + 0.5) * h / rows
            x0, y0 = round(cx - side / 2), round(cy - side / 2)
            tile = cv2.aruco.generateImageMarker(dictionary, mid, side)
            img[y0:y0 + side, x0:x0 + side] = tile
            layout[mid] = np.array([[x0 - 0.5, y0 - 0.5], [x0 + side - 0.5, y0 - 0.5],
                                    [x0 + side - 0.5, y0 + side - 0.5],
                                    [x0 - 0.5, y0 + side - 0.5]])
            mid += 1
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR), layout


# ----------------------------------------------------------------------------- quad


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL by angle around the centre (image y points down)."""
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]  # from -pi: TL-ish first, then TR, BR, BL
    s = pts.sum(axis=1)
    start = int(np.argmin(s))
    return np.roll(pts, -start, axis=0)


def _intersect(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    (vx1, vy1, x1, y1), (vx2, vy2, x2, y2) = l1, l2
    a = np.array([[vx1, -vx2], [vy1, -vy2]])
    t = np.linalg.solve(a, np.array([x2 - x1, y2 - y1]))
    return np.array([x1 + t[0] * vx1, y1 + t[0] * vy1])


def find_screen_quad(image: np.ndarray, *, min_area_frac: float = 0.03) -> np.ndarray | None:
    """Corners (TL, TR, BR, BL, camera px, sub-pixel) of the largest bright quadrilateral.

    The image is thresholded (Otsu); the largest external contour that approximates to a
    convex quadrilateral covering at least ``min_area_frac`` of the image is taken; each side
    is then re-fitted as a line through the sub-pixel edge (half-way between the inside and
    outside levels) and the corners are the lines' intersections. ``None`` if nothing fits.
    """
    gray = to_gray(image)
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    _level, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    img_area = gray.shape[0] * gray.shape[1]
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        area = cv2.contourArea(contour)
        if area < min_area_frac * img_area:
            break
        peri = cv2.arcLength(contour, True)
        approx = cv2.approxPolyDP(contour, 0.02 * peri, True)
        if len(approx) != 4 or not cv2.isContourConvex(approx):
            continue
        rough = _order_corners(approx.reshape(4, 2).astype(np.float64))
        refined = _refine_quad(gray.astype(np.float32), rough)
        return refined if refined is not None else rough
    return None


def _refine_quad(gray: np.ndarray, rough: np.ndarray) -> np.ndarray | None:
    """Fit each side as a line through sub-pixel edge points sampled along it."""
    lines = []
    for i in range(4):
        a, b = rough[i], rough[(i + 1) % 4]
        d = b - a
        length = float(np.hypot(*d))
        if length < 8:
            return None
        u = d / length
        n = np.array([u[1], -u[0]])  # normal: outside for TL->TR->BR->BL order (y down)
        pts = []
        for s in np.linspace(0.1, 0.9, 40):
            p = a + s * d
            offs = np.arange(-6.0, 6.01, 0.25)
            xs = p[0] + offs * n[0]
            ys = p[1] + offs * n[1]
            prof = cv2.remap(gray, xs.astype(np.float32).reshape(1, -1),
                             ys.astype(np.float32).reshape(1, -1), cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE).ravel()
            hi, lo = float(prof[:8].mean()), float(prof[-8:].mean())  # inside, outside
            if hi - lo < 10:
                continue
            mid = (hi + lo) / 2
            k = np.nonzero((prof[:-1] >= mid) & (prof[1:] < mid))[0]
            if len(k) == 0:
                continue
            j = int(k[-1])
            f = (prof[j] - mid) / max(prof[j] - prof[j + 1], 1e-6)
            off = offs[j] + f * (offs[1] - offs[0])
            pts.append(p + off * n)
        if len(pts) < 6:
            return None
        line = cv2.fitLine(np.asarray(pts, np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append(line.astype(np.float64))
    corners = [_intersect(lines[(i - 1) % 4], lines[i]) for i in range(4)]
    return np.asarray(corners)


# ----------------------------------------------------------------------------- outline near a pose

#: The screen's sides, in the order :func:`screen_edge_lines` reports them.
SIDES = ("left", "top", "right", "bottom")
_OUTWARD = {"left": (-1.0, 0.0), "top": (0.0, -1.0), "right": (1.0, 0.0), "bottom": (0.0, 1.0)}
_PROFILE_STEP_PX = 0.25  # camera px between samples along a profile
_STEP_WINDOW_PX = 2.5  # the step is the mean level over this far outside minus inside
_LEVEL_AT_PX = 2.0  # an edge's outside level is read this far beyond it (past its blur)


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
        best: tuple[int, float, float, int] | None = None
        for _ in range(200):
            i, j = rng.choice(idx, 2, replace=False)
            if prof[i] == prof[j] or polarity[i] != polarity[j] or \
                    abs(along[i] - along[j]) < 0.1 * length_mm:
                continue
            b = (offset[j] - offset[i]) / (along[j] - along[i])
            if abs(b) > 0.2:  # more than ~11 degrees: not this side
                continue
            a = offset[i] - b * along[i]
            hit = idx[(polarity[idx] == polarity[i])
                      & (np.abs(offset[idx] - a - b * along[idx]) <= tol)]
            score = len(np.unique(prof[hit]))
            if best is None or score > best[0]:
                best = (score, a, b, int(polarity[i]))
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


# ----------------------------------------------------------------------------- screenshot


def match_screenshot(image: np.ndarray, screenshot: np.ndarray, *,
                     initial: Homography | None = None, ecc_scale: float = 0.3
                     ) -> ScreenPose | None:
    """Camera -> screen by matching what the phone shows (``screenshot``, screen px).

    SIFT features on the camera image and on the screenshot shrunk to the camera's scale, a
    MAGSAC homography, then an ECC refinement of the whole rectified view against the
    screenshot. Needs a screen with texture (icons, text); ``None`` if too few features match.
    """
    gray = to_gray(image)
    shot = to_gray(screenshot)
    sh = shot.shape[0]
    if initial is None:
        quad_h = 0.8 * gray.shape[0]
        k = float(np.clip(quad_h / sh, 0.05, 1.0))
        small = cv2.resize(shot, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        sift = cv2.SIFT_create(nfeatures=3000)
        k1, d1 = sift.detectAndCompute(gray, None)
        k2, d2 = sift.detectAndCompute(small, None)
        if d1 is None or d2 is None or len(k1) < 8 or len(k2) < 8:
            return None
        pairs = cv2.BFMatcher().knnMatch(d1, d2, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance]
        if len(good) < 8:
            return None
        src = np.float64([k1[g.queryIdx].pt for g in good])
        dst = (np.float64([k2[g.trainIdx].pt for g in good]) + 0.5) / k - 0.5
        m, inl = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, 3.0 / k)
        if m is None or int(inl.sum()) < 8:
            return None
        initial = Homography(m)
        n_points = int(inl.sum())
    else:
        n_points = 0
    refined, cc = _ecc_refine(gray, shot, initial, ecc_scale)
    if refined is None:
        return ScreenPose(initial, "screenshot", float("nan"), n_points)
    return ScreenPose(refined, "screenshot", float(1.0 - cc), n_points)


def _ecc_refine(gray: np.ndarray, shot: np.ndarray, h: Homography, scale: float
                ) -> tuple[Homography | None, float]:
    sh, sw = shot.shape
    s = np.array([[scale, 0, 0.5 * scale - 0.5], [0, scale, 0.5 * scale - 0.5], [0, 0, 1.0]])
    size = (round(sw * scale), round(sh * scale))
    ref = cv2.resize(shot, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    view = cv2.warpPerspective(gray, s @ h.matrix, size).astype(np.float32)
    warp = np.eye(3, dtype=np.float32)
    try:
        cc, warp = cv2.findTransformECC(
            ref, view, warp, cv2.MOTION_HOMOGRAPHY,
            (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-6), None, 5)
    except cv2.error as exc:
        logger.debug("ECC refinement did not converge: %s", exc)
        return None, 0.0
    m = np.linalg.inv(s) @ np.linalg.inv(warp.astype(np.float64)) @ s @ h.matrix
    return Homography(m), float(cc)


# ----------------------------------------------------------------------------- all together


def locate_screen(image: np.ndarray, screen_px: tuple[int, int], *,
                  markers: Mapping[int, np.ndarray] | None = None,
                  screenshot: np.ndarray | None = None) -> ScreenPose:
    """Find camera -> screen with no prior pose: markers, else the screenshot, else the bright
    quadrilateral. Raises :class:`VisionError` when none of them finds the screen."""
    if markers:
        pose = find_markers(image, markers)
        if pose is not None:
            return pose
        logger.info("no known ArUco marker seen; trying the next method")
    if screenshot is not None:
        pose = match_screenshot(image, screenshot)
        if pose is not None:
            return pose
        logger.info("the screenshot did not match the camera view; trying the bright quad")
    quad = find_screen_quad(image)
    if quad is None:
        raise VisionError(
            "no screen found in the camera frame (no markers, no match, no bright quadrilateral)",
            hint="check that the camera sees the whole phone, the screen is on and bright, "
                 "and nothing covers it; markers on the holder make this robust")
    h = Homography.fit(quad, screen_corners_px(screen_px))
    return ScreenPose(h, "quad", 0.0, 4)


# ----------------------------------------------------------------------------- drift


@dataclass(frozen=True)
class PoseDrift:
    """How far a newly found pose moved the screen, over a grid of screen points."""

    max_px: float
    mean_px: float
    max_mm: float

    def exceeds(self, limit_px: float) -> bool:
        return self.max_px > limit_px


def pose_drift(calibrated: Homography, current: Homography, screen_px: tuple[int, int],
               screen_mm: tuple[float, float] | None = None) -> PoseDrift:
    """Compare two camera -> screen maps: where does a screen point the calibrated pose saw
    at some camera pixel land according to the current pose (screen px, and mm if given)."""
    w, h = screen_px
    xs, ys = np.meshgrid(np.linspace(0, w - 1, 5), np.linspace(0, h - 1, 9))
    pts = np.c_[xs.ravel(), ys.ravel()]
    cam = calibrated.inverse().apply(pts)
    moved = current.apply(cam) - pts
    dist = np.hypot(moved[:, 0], moved[:, 1])
    if screen_mm is not None:
        mm = np.hypot(moved[:, 0] * screen_mm[0] / w, moved[:, 1] * screen_mm[1] / h)
        max_mm = float(mm.max())
    else:
        max_mm = float("nan")
    return PoseDrift(max_px=float(dist.max()), mean_px=float(dist.mean()), max_mm=max_mm)


# ----------------------------------------------------------------------------- touch feedback


def locate_touch_feedback(changed: np.ndarray, *, min_line_frac: float = 0.5,
                          min_blob_px: int = 6, max_blob_frac: float = 0.02
                          ) -> tuple[float, float] | None:
    """Where the phone's touch feedback appeared, from a changed-pixel map (view px).

    A pointer-location crosshair (a full-width row and a full-height column of changed
    pixels) gives its intersection, which the finger cannot hide; otherwise a single small
    blob (a "show taps" dot beside the fingertip) gives its centroid. ``None`` if neither.
    """
    if changed.ndim != 2:
        raise VisionError("changed must be a 2-D map", hint="pass ChangeDetector.changed_pixels")
    on = changed > 0
    h, w = on.shape
    rows = on.sum(axis=1)
    cols = on.sum(axis=0)
    row_hits = np.nonzero(rows >= min_line_frac * w)[0]
    col_hits = np.nonzero(cols >= min_line_frac * h)[0]
    if len(row_hits) and len(col_hits):
        y = float(np.average(row_hits, weights=rows[row_hits]))
        x = float(np.average(col_hits, weights=cols[col_hits]))
        return x, y
    n, _, stats, cents = cv2.connectedComponentsWithStats(on.astype(np.uint8), connectivity=8)
    blobs = [i for i in range(1, n)
             if min_blob_px <= stats[i, cv2.CC_STAT_AREA] <= max_blob_frac * h * w]
    if len(blobs) != 1:
        return None
    cx, cy = cents[blobs[0]]
    return float(cx), float(cy)


class PoseWatch:
    """Re-checks the screen's pose now and then and reports drift from the calibrated pose.

    Superseded by :class:`tapbot.monitors.pose.PoseMonitor`: this one re-locates the screen
    from scratch, ignores the lens and has no mask, so the robot's tool over the screen can
    make it fail or report a false drift. Kept for callers that show a clear screen.

    ``due(t)`` says whether ``every_s`` passed since the last check; ``check(image, t)``
    locates the screen again (markers when a layout is given, else the screenshot when one is
    passed, else the bright quad) and returns the :class:`PoseDrift`; ``drifted`` is true when
    the last check moved the screen by more than ``limit_px`` screen px (the robot bumped the
    phone: re-calibrate). A check that cannot find the screen raises :class:`VisionError`.
    """

    def __init__(self, calibrated: Homography, screen_px: tuple[int, int],
                 screen_mm: tuple[float, float] | None = None, *,
                 markers: Mapping[int, np.ndarray] | None = None, limit_px: float = 4.0,
                 every_s: float = 60.0) -> None:
        if limit_px <= 0 or every_s <= 0:
            raise VisionError("limit_px and every_s must be > 0", hint="use e.g. 4 px, 60 s")
        self.calibrated = calibrated
        self.screen_px = screen_px
        self.screen_mm = screen_mm
        self.markers = markers
        self.limit_px = float(limit_px)
        self.every_s = float(every_s)
        self.last_t: float | None = None
        self.last: PoseDrift | None = None

    def due(self, t: float) -> bool:
        return self.last_t is None or t - self.last_t >= self.every_s

    @property
    def drifted(self) -> bool:
        return self.last is not None and self.last.exceeds(self.limit_px)

    def check(self, image: np.ndarray, t: float, screenshot: np.ndarray | None = None
              ) -> PoseDrift:
        pose = locate_screen(image, self.screen_px, markers=self.markers, screenshot=screenshot)
        self.last = pose_drift(self.calibrated, pose.camera_to_screen, self.screen_px,
                               self.screen_mm)
        self.last_t = t
        if self.drifted:
            logger.warning("the screen moved %.1f px (%.2f mm) since calibration",
                           self.last.max_px, self.last.max_mm)
        return self.last
