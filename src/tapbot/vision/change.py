"""Did the screen change? A noise- and misregistration-tolerant difference of two gray views."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.errors import VisionError

__all__ = ["Change", "ChangeDetector", "band_mask", "disk_mask"]


@dataclass(frozen=True)
class Change:
    """The result of one comparison.

    ``area_px`` is the area of the largest changed blob (view px, 0 if none) and ``bbox`` its
    ``(x, y, w, h)`` in view px. ``changed`` is true when that blob is at least the detector's
    ``min_area_px``. When fewer than ``min_area_px`` pixels changed in all, no blob is labelled:
    ``area_px`` is then their count and ``bbox`` is ``None``.
    """

    changed: bool
    area_px: int
    bbox: tuple[int, int, int, int] | None


def _check_view(name: str, view: np.ndarray) -> None:
    if not isinstance(view, np.ndarray) or view.ndim != 2 or view.dtype != np.uint8:
        shape = getattr(view, "shape", None)
        dtype = getattr(view, "dtype", type(view).__name__)
        raise VisionError(
            f"{name} must be a 2-D uint8 gray view, got shape {shape} dtype {dtype}",
            hint="pass ScreenRectifier.view(frame.image)",
        )


class ChangeDetector:
    """Compares two gray views, ignoring sensor noise and +-``tolerance_px`` misregistration.

    Both views are Gaussian-blurred (``blur_px`` kernel, 0 = off). A pixel counts as changed
    only if the current value differs by more than ``threshold`` from *every* reference value
    in its ``(2 * tolerance_px + 1)``-square neighbourhood, i.e. lies above the dilated or below
    the eroded reference. Changed pixels form 8-connected blobs; the view changed when the
    largest blob has at least ``min_area_px`` pixels.

    Views that are read-only (``view.flags.writeable`` false, as the runner's views are) are
    prepared once: their blurred image and its dilated/eroded bounds are kept for the last few
    views, so a view compared as ``cur`` and then as ``ref`` is blurred only once.
    """

    _PREPARED = 8  # read-only views whose blur (and bounds) are kept

    def __init__(
        self, threshold: int = 24, min_area_px: int = 12, blur_px: int = 3, tolerance_px: int = 1
    ) -> None:
        if not 0 <= threshold < 255:
            raise VisionError(
                f"threshold must be 0..254 gray levels, got {threshold}", hint="use e.g. 24"
            )
        if min_area_px < 1:
            raise VisionError(f"min_area_px must be >= 1, got {min_area_px}", hint="use e.g. 12")
        if blur_px < 0 or (blur_px > 0 and blur_px % 2 == 0):
            raise VisionError(
                f"blur_px must be 0 (off) or an odd kernel size, got {blur_px}", hint="use 3 or 5"
            )
        if tolerance_px < 0:
            raise VisionError(
                f"tolerance_px must be >= 0, got {tolerance_px}", hint="use 1 for a steady camera"
            )
        self.threshold = int(threshold)
        self.min_area_px = int(min_area_px)
        self.blur_px = int(blur_px)
        self.tolerance_px = int(tolerance_px)
        k = 2 * self.tolerance_px + 1
        self._kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
        # a square of at least min_area_px pixels (differs: a blob that large without labels)
        self._square_side = math.ceil(math.sqrt(self.min_area_px))
        self._square = np.ones((self._square_side, self._square_side), np.uint8)
        # id(view) -> [view, blurred, upper bound, lower bound] (bounds filled on first use)
        self._prepared: OrderedDict[int, list] = OrderedDict()

    def _blur(self, view: np.ndarray) -> np.ndarray:
        if self.blur_px == 0:
            return view
        k = self.blur_px
        return cv2.GaussianBlur(view, (k, k), 0, borderType=cv2.BORDER_REPLICATE)

    def _entry(self, view: np.ndarray) -> list:
        """The prepared entry of ``view``: cached by identity when ``view`` is read-only."""
        key = id(view)
        entry = self._prepared.get(key)
        if entry is not None and entry[0] is view:
            self._prepared.move_to_end(key)
            return entry
        entry = [view, self._blur(view), None, None]
        if not view.flags.writeable:
            self._prepared[key] = entry
            if len(self._prepared) > self._PREPARED:
                self._prepared.popitem(last=False)
        return entry

    def _bounds(self, entry: list) -> tuple[np.ndarray, np.ndarray]:
        if entry[2] is None:
            r = entry[1]
            if self.tolerance_px > 0:
                entry[2] = cv2.dilate(r, self._kernel, borderType=cv2.BORDER_REPLICATE)
                entry[3] = cv2.erode(r, self._kernel, borderType=cv2.BORDER_REPLICATE)
            else:
                entry[2] = entry[3] = r
        return entry[2], entry[3]

    def changed_pixels(
        self, ref: np.ndarray, cur: np.ndarray, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """The uint8 map (255 = changed) that :meth:`compare` builds its blobs from."""
        _check_view("ref", ref)
        _check_view("cur", cur)
        if ref.shape != cur.shape:
            raise VisionError(
                f"ref and cur differ in shape: {ref.shape} vs {cur.shape}",
                hint="rectify both frames with the same ScreenRectifier",
            )
        if mask is not None and (
            not isinstance(mask, np.ndarray) or mask.shape != ref.shape or mask.dtype != np.uint8
        ):
            raise VisionError(
                f"mask must be a uint8 array of shape {ref.shape}, got "
                f"{getattr(mask, 'shape', None)} {getattr(mask, 'dtype', type(mask).__name__)}",
                hint="build it with disk_mask or band_mask on the view's shape",
            )
        if ref is cur:  # one image (a camera may hand the same frame image twice)
            return np.zeros(ref.shape, np.uint8)
        r_hi, r_lo = self._bounds(self._entry(ref))
        c = self._entry(cur)[1]
        above = cv2.subtract(c, r_hi)  # saturating: 0 where cur <= ref max
        below = cv2.subtract(r_lo, c)
        diff = cv2.max(above, below)
        _, changed = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)
        if mask is not None:
            changed = cv2.bitwise_and(changed, cv2.bitwise_not(mask))
        return changed

    def differs(self, ref: np.ndarray, cur: np.ndarray, mask: np.ndarray | None = None) -> bool:
        """``compare(ref, cur, mask).changed``, labelling blobs only when it must: a changed
        map holding a full square of ``min_area_px`` or more pixels (it survives an erosion
        by that square) has a blob that large."""
        changed = self.changed_pixels(ref, cur, mask)
        total = cv2.countNonZero(changed)
        if total < self.min_area_px:
            return False
        bx, by, bw, bh = cv2.boundingRect(changed)
        roi = changed[by:by + bh, bx:bx + bw]
        side = self._square_side
        if bw >= side and bh >= side and \
                cv2.countNonZero(cv2.erode(roi, self._square, borderType=cv2.BORDER_CONSTANT,
                                           borderValue=0)):
            return True
        return self._largest_blob(roi, bx, by).changed

    def compare(self, ref: np.ndarray, cur: np.ndarray, mask: np.ndarray | None = None) -> Change:
        """Compare gray views of equal shape; ``mask`` (uint8, nonzero = ignore) is optional."""
        changed = self.changed_pixels(ref, cur, mask)
        total = cv2.countNonZero(changed)
        if total < self.min_area_px:  # no blob can reach the area: skip the labelling
            return Change(changed=False, area_px=total, bbox=None)
        # label blobs only inside the bounding box of the changed pixels
        bx, by, bw, bh = cv2.boundingRect(changed)
        return self._largest_blob(changed[by:by + bh, bx:bx + bw], bx, by)

    def _largest_blob(self, roi: np.ndarray, bx: int, by: int) -> Change:
        """The :class:`Change` of the changed map ``roi`` (its box's top-left at ``bx, by``)."""
        n, _labels, stats, _centroids = cv2.connectedComponentsWithStats(roi, connectivity=8)
        if n <= 1:
            return Change(changed=False, area_px=0, bbox=None)
        areas = stats[1:, cv2.CC_STAT_AREA]
        best = 1 + int(np.argmax(areas))
        x, y, w, h, area = (int(v) for v in stats[best])
        return Change(changed=area >= self.min_area_px, area_px=area, bbox=(x + bx, y + by, w, h))


def _check_shape(shape: tuple[int, int]) -> tuple[int, int]:
    if len(shape) < 2 or int(shape[0]) <= 0 or int(shape[1]) <= 0:
        raise VisionError(
            f"shape must be (height, width) > 0, got {shape!r}", hint="pass view.shape"
        )
    return int(shape[0]), int(shape[1])


def disk_mask(
    shape: tuple[int, int], centers: Iterable[tuple[float, float]], radius_px: float
) -> np.ndarray:
    """A uint8 mask of ``shape`` (h, w): 255 inside any disk of ``radius_px`` around ``centers``.

    Centres are ``(x, y)`` in view px, e.g. where the finger touches (it occludes the screen).
    """
    h, w = _check_shape(shape)
    if not math.isfinite(radius_px) or radius_px < 0:
        raise VisionError(f"radius_px must be >= 0, got {radius_px!r}", hint="use view px")
    mask = np.zeros((h, w), np.uint8)
    yy, xx = np.ogrid[:h, :w]
    r2 = float(radius_px) ** 2
    for cx, cy in centers:
        if not (math.isfinite(cx) and math.isfinite(cy)):
            raise VisionError(f"disk centre must be finite, got {(cx, cy)!r}", hint="use view px")
        mask[(xx - cx) ** 2 + (yy - cy) ** 2 <= r2] = 255
    return mask


def band_mask(shape: tuple[int, int], y0: int, y1: int) -> np.ndarray:
    """A uint8 mask of ``shape`` (h, w): 255 on the full-width rows ``y0 <= y < y1``.

    Use it for the status bar (clock, battery) or any other band that changes on its own.
    """
    h, w = _check_shape(shape)
    if y1 < y0:
        raise VisionError(f"band y1 ({y1}) is above y0 ({y0})", hint="pass y0 <= y1 in view px")
    mask = np.zeros((h, w), np.uint8)
    mask[max(0, int(y0)) : max(0, min(h, int(y1))), :] = 255
    return mask
