"""A freeze that begins in an animation watch's last second (seed 7, 9497 s: the game's ball
stopped 0.92 s before "watch the ball" ended). The watch looks every 0.2 s and ended before the
stillness was a frozen frame long; the home press after it came once the phone had thawed, so
nothing else saw it. A screen still at the watch's end is watched on until it can be judged.

On a rig with the camera alone (no device log to tell the freeze); rig.truth is the
independent reference (DESIGN rule 7).
"""

from functools import cache

import pytest

from tapbot.core import Incident, StepDoc
from tapbot.sim.score import score_run

from .conftest import soak_flow

SEED = 2


def soak(schedule, seconds):
    return soak_flow("game", schedule, seconds, SEED, "watch", link=False)


@cache
def _watch_ends_at() -> float:
    """When the game flow's first "watch the ball" ends on the healthy twin."""
    _, docs = soak([], 8.0)
    return next(d.t for d in docs if isinstance(d, StepDoc) and d.step == "watch the ball")


@pytest.mark.parametrize("before_s", [0.6, 0.3])
def test_a_freeze_that_begins_in_a_watchs_last_second_is_found(before_s):
    """A 1 s freeze from ``before_s`` before the watch's end: it ends before the home press,
    so only the watch can see it (the ball standing still)."""
    t_end = _watch_ends_at()
    rig, docs = soak([{"kind": "freeze", "at_s": t_end - before_s, "duration_s": 1.0}],
                     t_end + 4.0)
    (freeze,) = rig.truth.faults
    # no touch comes while it lasts: only the watch can tell it
    assert not [t for t in rig.truth.touches if freeze.t_start <= t.t_down <= freeze.t_end]
    found = [d for d in docs if isinstance(d, Incident)]
    assert [i.incident for i in found] == ["freeze"]
    # the watch's looks are 0.2 s apart: the onset is known to within one look
    assert freeze.t_start <= found[0].t_onset <= freeze.t_start + 0.2 + 1e-6
    assert 0 <= found[0].t_end - freeze.t_end <= 0.1 + 1e-6
    assert score_run(docs, rig.truth).false_incidents == 0


def test_a_ball_bouncing_to_the_watchs_end_is_watched_no_longer():
    """On a healthy phone the watch ends on time: its step is done when its duration is."""
    _, docs = soak([], 8.0)
    steps = [d for d in docs if isinstance(d, StepDoc)]
    (watch,) = [d for d in steps if d.step == "watch the ball"][:1]
    assert watch.t - watch.t_start == pytest.approx(3.0, abs=0.05)
    assert not [d for d in docs if isinstance(d, Incident)]
