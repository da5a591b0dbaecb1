"""Find an Android-style modal dialog: a bright card floating on a dimming scrim."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.errors import VisionError

__all__ = ["DialogBox", "find_dialog"]

# Geometry of a dialog card, as fractions of the view.
MIN_MARGIN = 0.03  # the card stays this far from every edge
MIN_WIDTH, MAX_WIDTH = 0.50, 0.95
MIN_HEIGHT, MAX_HEIGHT = 0.08, 0.50
MAX_CENTRE_OFFSET = 0.06  # |card centre x - view centre x| / view width
MAX_CENTRE_OFFSET_Y = 0.20  # |card centre y - view centre y| / view height: a modal dialog is
# centred; a heads-up notification (a bright card at the top) is not one
# Appearance.
BRIGHT_OF_PEAK = 0.80  # "bright" = at least this fraction of the view's near-peak brightness
MIN_PEAK = 96  # a view darker than this has no near-white card at all
MIN_SOLIDITY = 0.55  # bright pixels / card box (text and buttons leave holes)
MIN_RECTANGULARITY = 0.85  # filled outline area / card box
MAX_RING_RATIO = 0.75  # median of the ring outside the card / median of the card
MIN_RING_CONTRAST = 40  # gray levels between card and ring medians
MAX_BRIGHT_OUTSIDE = 0.01  # fraction of bright pixels allowed outside the card (under a scrim)


@dataclass(frozen=True)
class DialogBox:
    """A dialog card in view px (``x, y`` top-left, ``w, h`` size) and a score in (0, 1]."""

    x: int
    y: int
    w: int
    h: int
    score: float

    @property
    def center(self) -> tuple[float, float]:
        """Card centre in view px."""
        return self.x + self.w / 2.0, self.y + self.h / 2.0


def _percentile_of_hist(hist: np.ndarray, q: float) -> float:
    """The ``q``-th percentile of a uint8 image from its 256-bin histogram (far faster than
    sorting)."""
    cum = np.cumsum(hist)
    return float(np.searchsorted(cum, q / 100.0 * cum[-1]))


def find_dialog(view: np.ndarray) -> DialogBox | None:
    """Find a modal dialog in a gray screen view, or return ``None``.

    A dialog is a bright (near-white), solid, roughly rectangular card that keeps a margin of at
    least 3 % from every edge, spans 50-95 % of the view width and 8-50 % of its height, sits
    roughly centred horizontally, and is surrounded by a dim scrim: the ring just outside the
    card is well darker than the card and almost nothing else in the view is as bright. Light
    full-screen apps (their background touches the edges), small icons and noise do not count.
    Dark-theme dialogs (a dark card on a scrim) are not detected.
    """
    if not isinstance(view, np.ndarray) or view.ndim != 2 or view.dtype != np.uint8:
        raise VisionError(
            f"find_dialog needs a 2-D uint8 gray view, got shape {getattr(view, 'shape', None)}"
            f" dtype {getattr(view, 'dtype', type(view).__name__)}",
            hint="pass ScreenRectifier.view(frame.image)",
        )
    h_view, w_view = view.shape
    if h_view < 16 or w_view < 16:
        return None
    hist = cv2.calcHist([view], [0], None, [256], [0, 256]).ravel()
    peak = _percentile_of_hist(hist, 99.5)
    if peak < MIN_PEAK:
        return None
    level = max(MIN_PEAK * BRIGHT_OF_PEAK, BRIGHT_OF_PEAK * peak)
    first_bright = math.ceil(level)  # (a uint8 pixel is >= level from this value on)
    total_bright = int(hist[first_bright:].sum())
    area = h_view * w_view
    # a card holds MIN_SOLIDITY of its box, and all but MAX_BRIGHT_OUTSIDE of the rest of the
    # view is dark: too few or too many bright pixels in all and no box can pass the tests
    # below (most views: an app's light background, or a dark screen)
    if total_bright < MIN_SOLIDITY * MIN_WIDTH * MIN_HEIGHT * area or total_bright > (
            MAX_WIDTH * MAX_HEIGHT * (1 - MAX_BRIGHT_OUTSIDE) + MAX_BRIGHT_OUTSIDE) * area:
        return None
    _, bright = cv2.threshold(view, first_bright - 1, 255, cv2.THRESH_BINARY)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)

    best: DialogBox | None = None
    for contour in contours:
        x, y, w, h = (int(v) for v in cv2.boundingRect(contour))
        if not _plausible_box(x, y, w, h, w_view, h_view):
            continue
        box_area = float(w * h)
        rectangularity = cv2.contourArea(contour) / box_area
        if rectangularity < MIN_RECTANGULARITY:
            continue
        card_bright = int(np.count_nonzero(bright[y : y + h, x : x + w]))
        solidity = card_bright / box_area
        if solidity < MIN_SOLIDITY:
            continue
        outside_area = h_view * w_view - box_area
        if (total_bright - card_bright) > MAX_BRIGHT_OUTSIDE * outside_area:
            continue
        card_median = float(np.median(view[y : y + h, x : x + w]))
        ring_median = _ring_median(view, x, y, w, h)
        if ring_median > MAX_RING_RATIO * card_median:
            continue
        if card_median - ring_median < MIN_RING_CONTRAST:
            continue
        contrast = (card_median - ring_median) / max(card_median, 1.0)
        score = float(rectangularity * min(1.0, solidity / 0.9) * min(1.0, contrast / 0.5))
        if best is None or score > best.score:
            best = DialogBox(x=x, y=y, w=w, h=h, score=round(score, 4))
    return best


def _plausible_box(x: int, y: int, w: int, h: int, w_view: int, h_view: int) -> bool:
    mx, my = MIN_MARGIN * w_view, MIN_MARGIN * h_view
    if x < mx or y < my or w_view - (x + w) < mx or h_view - (y + h) < my:
        return False
    if not MIN_WIDTH * w_view <= w <= MAX_WIDTH * w_view:
        return False
    if not MIN_HEIGHT * h_view <= h <= MAX_HEIGHT * h_view:
        return False
    if abs(y + h / 2.0 - h_view / 2.0) > MAX_CENTRE_OFFSET_Y * h_view:
        return False
    return abs(x + w / 2.0 - w_view / 2.0) <= MAX_CENTRE_OFFSET * w_view


def _ring_median(view: np.ndarray, x: int, y: int, w: int, h: int) -> float:
    """Median brightness of a band just outside the box (clipped to the view)."""
    h_view, w_view = view.shape
    gap = max(1, round(0.005 * min(h_view, w_view)))  # skip anti-aliased / shadowed edges
    band = max(2, round(0.025 * min(h_view, w_view)))
    x0, y0 = max(0, x - gap - band), max(0, y - gap - band)
    x1, y1 = min(w_view, x + w + gap + band), min(h_view, y + h + gap + band)
    ring = np.ones((y1 - y0, x1 - x0), bool)
    ix0, iy0 = max(0, x - gap - x0), max(0, y - gap - y0)
    ring[iy0 : iy0 + h + 2 * gap, ix0 : ix0 + w + 2 * gap] = False
    values = view[y0:y1, x0:x1][ring]
    return float(np.median(values)) if values.size else 255.0
