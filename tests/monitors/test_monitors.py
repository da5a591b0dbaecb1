"""Monitor building blocks: crash/ANR classification and the thresholds' anchors."""

import pytest
from pydantic import ValidationError

from tapbot.monitors import Thresholds
from tapbot.monitors.crash import classify_text


@pytest.mark.parametrize("text, kind", [
    ("Messages has stopped", "crash"),
    ("Video keeps stopping", "crash"),
    ("E AndroidRuntime: FATAL EXCEPTION: main", "crash"),
    ("Music isn\u2019t responding", "anr"),
    ("Counter isn't  responding", "anr"),
    ("E ActivityManager: ANR in com.twin.video (com.twin.video/.MainActivity)", "anr"),
    ("I ActivityManager: Process com.twin.counter (pid 4242) has died: fg TOP", None),
    ("Close app", None),
])
def test_dialog_text_and_log_lines_are_classified(text, kind):
    assert classify_text(text) == kind


def test_default_thresholds_are_the_published_anchors():
    t = Thresholds()
    assert t.frozen_frame_s == 0.7  # Android vitals frozen frame
    assert t.anr_s == 5.0  # Android input-dispatch ANR timeout
    assert t.unresponsive_after_s == 1.0 and t.instant_response_s == 0.1  # response limits
    assert t.response_budget_s == 1.0  # the 1 s limit for the flow of thought: a stall
    assert t.slowdown_min_s == t.instant_response_s  # 100 ms slower than usual: noticeable


def test_thresholds_merge_per_plan_and_refuse_nonsense():
    t = Thresholds().merged(frozen_frame_s=0.5, anr_s=None)
    assert t.frozen_frame_s == 0.5 and t.anr_s == 5.0
    with pytest.raises(ValidationError):
        Thresholds().merged(frozen_frame_s=-1.0)
