"""An app-not-responding dialog over a dark screen (a video) right after a touch: seed 6's
ANR at 10171.27 s, taken for a reboot. The dialog dims what is behind it, so the frame after
the touch is dark by its mean; but a screen showing a dialog is on: the dialog is what the
touch met (as the background scan already judged, a dialog before darkness).

The runner sees only camera frames; rig.truth is the independent reference (DESIGN rule 7).
"""

from functools import cache

import pytest

from tapbot.core import Incident
from tapbot.sim.score import score_run

from .conftest import soak_flow

SEED = 6


def soak(schedule, seconds):
    return soak_flow("video", schedule, seconds, SEED, "anr-dark")


@cache
def _home_in_video() -> float:
    """When the video flow's home press comes down (the video still playing behind it)."""
    rig, _ = soak([], 14.0)
    return next(t.t_down for t in rig.truth.touches
                if t.target == "nav:home" and t.t_down > 3.0)


@pytest.mark.parametrize("after_s", [0.05, 0.11])
def test_an_anr_dialog_over_a_dark_video_after_home_is_an_anr_not_a_reboot(after_s):
    t_home = _home_in_video()
    rig, docs = soak([{"kind": "anr", "at_s": t_home + after_s}],
                     t_home + 10.0)
    (anr,) = rig.truth.faults
    found = [d for d in docs if isinstance(d, Incident)]
    assert [i.incident for i in found] == ["anr"]
    assert 0 <= found[0].t_onset - anr.t_start <= 3 / rig.camera.fps
    report = score_run(docs, rig.truth)
    assert report.kinds["anr"].recall == 1.0 and report.false_incidents == 0
