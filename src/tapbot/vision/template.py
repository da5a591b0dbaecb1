"""Find an image on the screen view: gray template matching (TM_CCOEFF_NORMED).

Every result carries the threshold, the score, the scale and the box; a miss still says what
the best score was and where, so a flow's failure message can show it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.core.errors import VisionError
from tapbot.vision.rectify import to_gray

logger = logging.getLogger(__name__)

__all__ = ["TemplateMatch", "match_template"]


@dataclass(frozen=True)
class TemplateMatch:
    """The best match: ``found`` when ``score >= threshold``; ``box`` ``(x, y, w, h)`` in
    view px (of the template at ``scale``), also for a miss."""

    found: bool
    score: float
    box: tuple[int, int, int, int]
    scale: float
    threshold: float

    @property
    def center(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2.0, y + h / 2.0


def match_template(view: np.ndarray, template: np.ndarray, *, threshold: float = 0.8,
                   region: tuple[int, int, int, int] | None = None,
                   scales: Sequence[float] = (1.0,)) -> TemplateMatch:
    """Search ``template`` in ``view`` (inside ``region`` = ``(x, y, w, h)`` if given) at each
    of ``scales`` (template resized by it); return the best-scoring place.

    Scores are OpenCV's ``TM_CCOEFF_NORMED`` in [-1, 1]; a flat view patch scores 0 rather
    than NaN, and a flat template is refused (it would match anywhere).
    """
    if not 0.0 < threshold <= 1.0:
        raise VisionError(f"threshold must be in (0, 1], got {threshold}", hint="use e.g. 0.8")
    if not scales or any(not (0.05 <= s <= 20) for s in scales):
        raise VisionError(f"scales must be a non-empty list in [0.05, 20], got {scales!r}",
                          hint="use (1.0,) or e.g. (0.9, 1.0, 1.1)")
    gray = to_gray(view)
    tpl = to_gray(template)
    h, w = gray.shape
    if tpl.size == 0 or float(tpl.std()) < 1.0:
        raise VisionError(
            "the template is flat (one gray level): it would match anywhere",
            hint="crop a template with some detail (an icon, a label)")
    if region is None:
        x0, y0, rw, rh = 0, 0, w, h
    else:
        x, y, rw_, rh_ = (round(float(v)) for v in region)
        x0, y0 = max(0, x), max(0, y)
        rw, rh = min(w, x + rw_) - x0, min(h, y + rh_) - y0
        if rw <= 0 or rh <= 0:
            raise VisionError(f"region {region!r} lies outside the {w} x {h} view",
                              hint="pass (x, y, w, h) inside the view")
    search = gray[y0:y0 + rh, x0:x0 + rw]
    best: TemplateMatch | None = None
    for s in scales:
        t = tpl if s == 1.0 else cv2.resize(
            tpl, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        th, tw = t.shape
        if th < 3 or tw < 3 or th > rh or tw > rw:
            continue
        res = cv2.matchTemplate(search, t, cv2.TM_CCOEFF_NORMED)
        np.nan_to_num(res, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        _, score, _, (mx, my) = cv2.minMaxLoc(res)
        if best is None or score > best.score:
            best = TemplateMatch(found=score >= threshold, score=float(score),
                                 box=(mx + x0, my + y0, tw, th), scale=float(s),
                                 threshold=float(threshold))
    if best is None:
        raise VisionError(
            f"the template ({tpl.shape[1]} x {tpl.shape[0]} px) is larger than the search "
            f"region ({rw} x {rh} px) at every scale",
            hint="crop the template from a view at the same scale or widen the region")
    return best
