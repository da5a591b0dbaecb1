"""AnimationWatch: how long a screen that must move has stood still."""

import numpy as np
import pytest

from tapbot.monitors import AnimationWatch
from tapbot.monitors.freeze import main_thread_stall
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


def test_a_choreographer_line_says_how_long_the_main_thread_stalled():
    line = ("I Choreographer: Skipped 120 frames!  The application may be doing too much work "
            "on its main thread.")
    assert main_thread_stall(10.0, line, 60.0) == pytest.approx((8.0, 10.0))
    assert main_thread_stall(10.0, line, 120.0) == pytest.approx((9.0, 10.0))
    assert main_thread_stall(10.0, "E AndroidRuntime: FATAL EXCEPTION: main", 60.0) is None
    # logcat's threadtime format, as adb prints it
    adb = ("11-30 08:05:57.123  4242  4242 I Choreographer: Skipped 45 frames!  The "
           "application may be doing too much work on its main thread.")
    assert main_thread_stall(3.0, adb, 60.0) == pytest.approx((2.25, 3.0))
