"""AnimationWatch: how long a screen that must move has stood still."""

import numpy as np
import pytest

from tapbot.monitors import AnimationWatch
from tapbot.vision import ChangeDetector


def _view(level: int) -> np.ndarray:
    img = np.full((120, 80), 200, np.uint8)
    img[40:80, 20:60] = level  # the animated part
    return img


def test_a_change_seen_without_a_view_restarts_the_still_time_and_the_comparison():
    watch = AnimationWatch(ChangeDetector())
    assert watch.feed(0.0, _view(10))
    assert not watch.feed(0.2, _view(10))
    assert watch.static_s(0.4) == pytest.approx(0.4)
    watch.moved(0.4)  # the glitch grid saw it move; no view of that frame
    assert watch.static_s(0.6) == pytest.approx(0.2) and watch.last_view is None
    # the caller feeds the frame before the next view first: the still time runs from 0.4
    watch.feed(0.4, _view(90))
    assert not watch.feed(0.6, _view(90))
    assert watch.last_change_t == 0.4 and watch.static_s(1.2) == pytest.approx(0.8)
    assert watch.feed(1.4, _view(160)) and watch.static_s(1.4) == 0.0
