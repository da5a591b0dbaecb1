"""Freeze: a screen that should move but does not."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tapbot.vision import ChangeDetector


@dataclass
class AnimationWatch:
    """Follows a screen that must keep changing (a video, a game).

    Feed views in time order; ``static_s(t)`` is how long the screen has not changed, and a
    freeze begins at ``last_change_t`` once that exceeds the frozen-frame threshold.
    """

    detector: ChangeDetector
    mask: np.ndarray | None = None
    last_view: np.ndarray | None = field(default=None, repr=False)
    last_change_t: float | None = None

    def feed(self, t: float, view: np.ndarray) -> bool:
        """Returns True when ``view`` differs from the previous one."""
        if self.last_view is None:
            self.last_view, self.last_change_t = view, t
            return True
        moved = self.detector.differs(self.last_view, view, self.mask)
        self.last_view = view
        if moved:
            self.last_change_t = t
        return moved

    def moved(self, t: float) -> None:
        """The screen changed at ``t``, as seen without a view (a cheaper look told): the
        next view fed is compared with the view of the frame before it, which the caller
        feeds first (:meth:`feed` of a watch without a last view takes it as a start)."""
        self.last_view, self.last_change_t = None, t

    def static_s(self, t: float) -> float:
        return 0.0 if self.last_change_t is None else t - self.last_change_t
