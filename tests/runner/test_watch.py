"""Settling: the last change among views the grid did not judge is found from the last view
back, so the views before it are not made (a hand-worked case)."""

from __future__ import annotations

import numpy as np

from tapbot.runner.observer import View
from tapbot.runner.watch import WatchMixin

LEVELS = {0.1: 0, 0.2: 5, 0.3: 5, 0.4: 9, 0.5: 9}  # the screen at each time looked at


class _Observer:
    def __init__(self) -> None:
        self.made: list[float] = []

    def view_at(self, t: float) -> View:
        self.made.append(t)
        return _view(t, LEVELS[t])


class _Detector:
    def differs(self, a: np.ndarray, b: np.ndarray, mask) -> bool:
        return bool((a != b).any())


def _view(t: float, level: int) -> View:
    return View(t, np.full((4, 4), level, np.uint8), None)


class _Watcher(WatchMixin):
    def __init__(self) -> None:
        self.observer = _Observer()
        self.detector = _Detector()


def test_the_last_change_is_found_from_the_end_and_earlier_views_are_not_made() -> None:
    w = _Watcher()
    first, last = _view(0.0, 0), _view(0.6, 9)
    tail = w._from_last_change(first, sorted(LEVELS), last, mask=None)
    # the views went 0, 0, 5, 5, 9, 9, 9: the last change is to 9, at 0.4 s
    assert [v.t for v in tail] == [0.4, 0.5, 0.6]
    assert w.observer.made == [0.5, 0.4, 0.3]  # 0.1 and 0.2 s were not needed


def test_no_change_among_the_views() -> None:
    w = _Watcher()
    assert w._from_last_change(_view(0.0, 9), [0.4, 0.5], _view(0.6, 9), mask=None) is None
    assert w.observer.made == [0.5, 0.4]
