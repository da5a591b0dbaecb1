"""Freeze: a screen that should move but does not; and, where the rig has a device link, an
app's main thread the device log says stalled."""

from __future__ import annotations

import re
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


# Android's Choreographer, drawing again after its thread stalled: "I Choreographer: Skipped 180
# frames!  The application may be doing too much work on its main thread."
_SKIPPED = re.compile(r"Choreographer\b.*?\bSkipped (\d+) frames")


def main_thread_stall(t: float, line: str, refresh_hz: float) -> tuple[float, float] | None:
    """The span ``(start, end)`` an app's main thread stalled, from a device log line logged
    at ``t`` (logcat): Android's Choreographer says "Skipped N frames!" as the thread draws
    again, N frame periods (``1 / refresh_hz``) after it last drew. None for any other line.

    The log says nothing of what the camera saw; the runner asks it only about a touch that
    changed nothing or was answered a frozen frame late (a freeze that swallowed the touch)."""
    m = _SKIPPED.search(line)
    if m is None:
        return None
    return t - int(m.group(1)) / refresh_hz, t
