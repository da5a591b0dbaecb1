"""The runner's one reader of the device log (logcat through the link): crash lines wait for
the crash scan, and the main thread's stalls are kept for the freeze monitor, which asks only
about a stall that had begun by the touch (a touch swallowed by a stall, not one whose own
handler stalled the thread)."""

import pytest

from tapbot.core import Dispatcher
from tapbot.rig import build_rig
from tapbot.runner import Runner

SKIPPED = ("I Choreographer: Skipped {} frames!  The application may be doing too much work on "
           "its main thread.")


class LogOnly:
    """A device link that only has a log (lines with their rig times)."""

    def __init__(self, lines):
        self.lines = lines

    def log_lines(self, since):
        return [(t, s) for t, s in self.lines if t > since]


def _runner(lines):
    rig = build_rig(None, seed=1)
    rig.link = LogOnly(lines)
    return Runner(rig, Dispatcher(), run_id="log")


def test_a_stall_that_had_begun_by_the_touch_is_told_and_one_that_began_after_it_is_not():
    runner = _runner([(10.0, SKIPPED.format(60))])  # 60 Hz: 9.0 .. 10.0 s
    assert runner._stall_over(9.5) == pytest.approx((9.0, 10.0))
    assert runner._stall_over(9.0) == pytest.approx((9.0, 10.0))
    assert runner._stall_over(8.99) is None  # the touch came first: it may have caused it
    assert runner._stall_over(10.01) is None


def test_a_stall_shorter_than_a_frozen_frame_is_no_freeze():
    runner = _runner([(10.0, SKIPPED.format(36))])  # 0.6 s, under 700 ms
    assert runner._stall_over(9.7) is None


def test_lines_read_for_the_freeze_monitor_still_reach_the_crash_scan():
    crash = (9.8, "E AndroidRuntime: FATAL EXCEPTION: main")
    runner = _runner([crash, (10.0, SKIPPED.format(60))])
    assert runner._stall_over(9.5) is not None
    assert runner._take_log() == [crash, (10.0, SKIPPED.format(60))]
    assert runner._take_log() == []
    assert runner._stall_over(9.5) is not None  # the stall is kept once read
