"""Response: the first visible change after a touch (touch-to-screen latency)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapbot.vision import ChangeDetector


@dataclass
class ResponseWatch:
    """Compares views after a touch with the view just before it.

    ``mask`` hides the finger and arm (nonzero = ignore). The first changed view's capture
    time minus ``t_touch`` is the latency; it is late by less than one camera frame period.
    """

    ref: np.ndarray
    mask: np.ndarray | None
    detector: ChangeDetector
    t_touch: float

    def changed(self, view: np.ndarray) -> bool:
        return self.detector.differs(self.ref, view, self.mask)

    def latency_s(self, t_first_change: float) -> float:
        return t_first_change - self.t_touch
