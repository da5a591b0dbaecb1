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
skips markers near a mask, and :func:`tapbot.vision.outline.screen_edge_lines` finds straight
edges close to each side of the calibrated outline from unmasked profiles only;
``tapbot.monitors.pose`` turns them into a drift it can trust.
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
    "PoseDrift",
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
