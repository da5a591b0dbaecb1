"""When did the screen react, and when did it settle? Pure functions on timed screen views.

A view here is ``(t, gray)``: a rectified screen view and its capture time. The detector is a
:class:`~tapbot.vision.change.ChangeDetector` (noise-, flicker- and +-1 px-tolerant, thresholded
on blob area); a mask (uint8, nonzero = ignore) hides the finger, the status bar and regions a
flow declares animated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.errors import VisionError
from tapbot.vision.change import ChangeDetector

logger = logging.getLogger(__name__)

__all__ = [
    "ResponseTime",
    "StaticWatch",
    "combine_masks",
    "finger_mask",
    "first_change_after",
    "rect_mask",
    "settle_time",
    "status_bar_mask",
    "wait_until_static",
]

TimedView = tuple[float, np.ndarray]


@dataclass(frozen=True)
class ResponseTime:
    """The first changed view after a touch.

    ``t_frame`` is that view's capture time; the change became visible somewhere in
    ``(t_prev, t_frame]`` (``t_prev``: the view before it). ``t_estimate`` is ``t_frame``
    unless the camera's exposure is known (``exposure_s``): then a change that happened during
    the exposure shows half-blended, and the blended fraction places it inside the exposure.

    Measured on the twin (whose camera samples the display instantaneously, in phase with its
    refresh): ``t_frame`` is exact at 60 and 240 fps and at most one display refresh late at
    30 fps; the middle of ``(t_prev, t_frame]`` was worse (always half a period early), so it is
    offered as ``t_mid`` only, for cameras that run unsynchronised with the display.
    """

    t_frame: float
    t_prev: float
    t_estimate: float
    area_px: int
    fraction: float | None  # blended fraction of the change in the first view, if measured

    @property
    def t_mid(self) -> float:
        """The middle of the interval the change appeared in."""
        return 0.5 * (self.t_prev + self.t_frame)


def _views(views: Iterable[TimedView]) -> list[TimedView]:
    out = list(views)
    for i in range(1, len(out)):
        if out[i][0] < out[i - 1][0]:
            raise VisionError("views must be in time order", hint="sort them by capture time")
    return out


def first_change_after(views: Iterable[TimedView], t_touch: float, *,
                       detector: ChangeDetector | None = None, mask: np.ndarray | None = None,
                       exposure_s: float = 0.0, stamp_at: float = 1.0) -> ResponseTime | None:
    """The first view after ``t_touch`` that differs from the last view at or before it.

    ``views`` must include at least one view at or before ``t_touch`` (the reference).
    ``exposure_s`` > 0 enables interpolation from the change's magnitude: the fraction of the
    final change seen in the first changed view (measured on its changed pixels against the
    next view) is the fraction of the exposure after the change. ``stamp_at`` says where in
    its exposure a frame's timestamp lies (1 = end, 0.5 = middle). ``None`` if nothing changed.
    """
    if not 0.0 <= stamp_at <= 1.0:
        raise VisionError(f"stamp_at must be in [0, 1], got {stamp_at}",
                          hint="1 if frames are stamped at the end of the exposure, 0.5 middle")
    seq = _views(views)
    det = detector or ChangeDetector()
    before = [i for i, (t, _) in enumerate(seq) if t <= t_touch + 1e-12]
    if not before:
        raise VisionError(f"no view at or before the touch at {t_touch:.4f} s",
                          hint="include the last frame before the touch as the reference")
    i_ref = before[-1]
    ref = seq[i_ref][1]
    for i in range(i_ref + 1, len(seq)):
        t, view = seq[i]
        change = det.compare(ref, view, mask)
        if not change.changed:
            continue
        t_prev = seq[i - 1][0]
        fraction = None
        t_est = t
        if exposure_s > 0 and i + 1 < len(seq):
            fraction = _blend_fraction(ref, view, seq[i + 1][1], det, mask)
            if fraction is not None and fraction < 0.98:  # blended: changed mid-exposure
                t_start = t - stamp_at * exposure_s
                t_est = max(t_prev, t_start + (1.0 - fraction) * exposure_s)
        return ResponseTime(t_frame=t, t_prev=t_prev, t_estimate=t_est,
                            area_px=change.area_px, fraction=fraction)
    return None


def _blend_fraction(ref: np.ndarray, cur: np.ndarray, nxt: np.ndarray, det: ChangeDetector,
                    mask: np.ndarray | None) -> float | None:
    """How much of the change ``ref -> nxt`` is already in ``cur`` (0..1), on changed px."""
    sel = det.changed_pixels(ref, nxt, mask) > 0
    if int(sel.sum()) < det.min_area_px:
        return None
    r = ref[sel].astype(np.float32)
    full = nxt[sel].astype(np.float32) - r
    part = cur[sel].astype(np.float32) - r
    denom = float(np.dot(full, full))
    if denom <= 0:
        return None
    return float(np.clip(np.dot(part, full) / denom, 0.0, 1.0))


def settle_time(views: Iterable[TimedView], quiet_s: float, *,
                detector: ChangeDetector | None = None, mask: np.ndarray | None = None
                ) -> float | None:
    """When the screen stopped changing: the capture time of the first view that no later view
    differs from for at least ``quiet_s``. ``None`` if it never stays still that
    long within ``views``."""
    if quiet_s <= 0:
        raise VisionError(f"quiet_s must be > 0, got {quiet_s}", hint="use e.g. 0.3")
    watch = StaticWatch(quiet_s, detector=detector, mask=mask)
    for t, view in _views(views):
        if watch.update(t, view):
            return watch.static_since
    return None


class StaticWatch:
    """Incremental wait-until-static: feed views in time order; ``update`` returns True once
    no view differed from the first still one for ``quiet_s`` (``static_since`` is when the
    stillness began)."""

    def __init__(self, quiet_s: float, *, detector: ChangeDetector | None = None,
                 mask: np.ndarray | None = None) -> None:
        if quiet_s <= 0:
            raise VisionError(f"quiet_s must be > 0, got {quiet_s}", hint="use e.g. 0.3")
        self.quiet_s = float(quiet_s)
        self.detector = detector or ChangeDetector()
        self.mask = mask
        self.static_since: float | None = None
        self._last: np.ndarray | None = None

    def update(self, t: float, view: np.ndarray) -> bool:
        # compared with the first view of the stillness, not the previous one, so a slow fade
        # (small steps between frames) still counts as change
        if self._last is None or self.detector.differs(self._last, view, self.mask):
            self.static_since = t
            self._last = view
        assert self.static_since is not None
        return t - self.static_since >= self.quiet_s - 1e-9


def wait_until_static(next_view: Callable[[], TimedView], quiet_s: float, timeout_s: float, *,
                      detector: ChangeDetector | None = None, mask: np.ndarray | None = None
                      ) -> float | None:
    """Pull views from ``next_view`` (which waits for the next frame on the rig's clock) until
    the screen has been still for ``quiet_s``; returns when the stillness began, or ``None``
    after ``timeout_s`` of screen time without it."""
    watch = StaticWatch(quiet_s, detector=detector, mask=mask)
    t0: float | None = None
    while True:
        t, view = next_view()
        t0 = t if t0 is None else t0
        if watch.update(t, view):
            return watch.static_since
        if t - t0 >= timeout_s:
            return None


def finger_mask(shape: tuple[int, int], fingers_px: Sequence[tuple[float, float]],
                radius_px: float, *, arm_direction: tuple[float, float] = (0.0, 1.0),
                arm_length_px: float = 0.0, arm_width_px: float = 0.0) -> np.ndarray:
    """A mask (255 = ignore) over each finger (a disk of ``radius_px`` around its view px)
    and the arm that carries it (a bar of ``arm_width_px`` from the finger along
    ``arm_direction`` for ``arm_length_px``), from the robot's known position mapped to the
    view."""
    h, w = int(shape[0]), int(shape[1])
    if radius_px < 0 or arm_length_px < 0 or arm_width_px < 0:
        raise VisionError("finger mask sizes must be >= 0", hint="use view px")
    mask = np.zeros((h, w), np.uint8)
    d = np.asarray(arm_direction, dtype=np.float64)
    norm = float(np.hypot(*d))
    d = d / norm if norm > 0 else np.array([0.0, 1.0])
    for x, y in fingers_px:
        c = (round(float(x)), round(float(y)))
        cv2.circle(mask, c, max(0, round(float(radius_px))), 255, -1)
        if arm_length_px > 0 and arm_width_px > 0:
            end = (round(x + d[0] * arm_length_px), round(y + d[1] * arm_length_px))
            cv2.line(mask, c, end, 255, max(1, round(float(arm_width_px))))
    return mask


def rect_mask(shape: tuple[int, int], boxes: Iterable[tuple[float, float, float, float]]
              ) -> np.ndarray:
    """A mask (255 = ignore) over rectangles ``(x, y, w, h)`` in view px: regions a flow
    declares animated (a video, a spinner, a clock)."""
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), np.uint8)
    for box in boxes:
        if len(box) != 4 or box[2] < 0 or box[3] < 0:
            raise VisionError(f"a region must be (x, y, w, h) with w, h >= 0, got {box!r}",
                              hint="give animated regions in view px")
        x, y, bw, bh = (float(v) for v in box)
        x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
        x1, y1 = min(w, int(np.ceil(x + bw))), min(h, int(np.ceil(y + bh)))
        if x1 > x0 and y1 > y0:
            mask[y0:y1, x0:x1] = 255
    return mask


def status_bar_mask(shape: tuple[int, int], height_frac: float = 0.045) -> np.ndarray:
    """A mask (255 = ignore) over the status bar (clock, battery, notifications): the top
    ``height_frac`` of the view."""
    if not 0 <= height_frac < 1:
        raise VisionError(f"height_frac must be in [0, 1), got {height_frac}",
                          hint="use about 0.04 for a phone's status bar")
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), np.uint8)
    mask[: int(np.ceil(height_frac * h)), :] = 255
    return mask


def combine_masks(*masks: np.ndarray | None) -> np.ndarray | None:
    """The union of masks (``None`` entries skipped; ``None`` if there are none)."""
    out: np.ndarray | None = None
    for m in masks:
        if m is None:
            continue
        out = m.copy() if out is None else cv2.bitwise_or(out, m)
    return out
