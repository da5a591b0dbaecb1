"""Home pressed into a frozen phone whose display then comes back (seed 4's freeze at 3159 s,
taken for a stall of the home key): the screen changed late, but not to the launcher, so home
was swallowed by a freeze, not answered slowly.

The runner sees only camera frames and the twin's device link; rig.truth is the independent
reference (DESIGN rule 7).
"""

from functools import cache

import pytest

from tapbot.core import Incident
from tapbot.sim.score import score_run

from .conftest import soak_flow

#: The freeze begins this long after the second scroll's finger comes down: the list has
#: answered (it follows the finger) and the drag goes on into the frozen phone, as on seed 4.
INTO_DRAG_S = 0.25


def soak(schedule, seconds, seed=4, link=True):
    return soak_flow("settings", schedule, seconds, seed, "home", link=link)


@cache
def _home_into_a_freeze() -> tuple[float, float]:
    """When the freeze begins (in the second scroll's drag) and when the home press it
    swallows comes down (the same however long the freeze lasts past it)."""
    rig, _ = soak([], 14.0)
    drags = [t.t_down for t in rig.truth.touches if t.target.startswith("drag")]
    at = drags[1] + INTO_DRAG_S
    rig, _ = soak([{"kind": "freeze", "at_s": at, "duration_s": 8.0}], at + 6.0)
    t_home = next(t.t_down for t in rig.truth.touches
                  if t.target == "ignored:freeze" and t.t_down > at)
    return at, t_home


@pytest.mark.parametrize("link", [False, True], ids=["camera", "device-log"])
@pytest.mark.parametrize("late_s", [0.9, 1.6])
def test_home_swallowed_by_a_freeze_whose_display_comes_back_is_a_freeze_not_a_stall(late_s,
                                                                                     link):
    """The freeze ends ``late_s`` after home came down (inside the touch's 2 s wait): the
    list's pending scroll shows then, which is no launcher. With the camera alone, a freeze
    from the press; with a device link, its log (Choreographer's skipped frames) dates the
    whole freeze."""
    at, t_home = _home_into_a_freeze()
    rig, docs = soak([{"kind": "freeze", "at_s": at, "duration_s": t_home + late_s - at}],
                     t_home + 8.0, link=link)
    (freeze,) = rig.truth.faults
    assert [t.target for t in rig.truth.touches if abs(t.t_down - t_home) < 1e-6] == \
        ["ignored:freeze"]
    found = [d for d in docs if isinstance(d, Incident)]
    assert [i.incident for i in found] == ["freeze"]
    if link:  # from the frame the main thread last drew
        assert 0 <= found[0].t_onset - freeze.t_start < 1 / rig.device.refresh_hz + 1e-6
    else:
        assert found[0].t_onset == pytest.approx(t_home)  # the press nothing answered
    assert 0 <= found[0].t_end - freeze.t_end <= 2 / rig.camera.fps + 1e-6
    report = score_run(docs, rig.truth)
    assert report.kinds["freeze"].recall == 1.0 and report.false_incidents == 0
    # and the runner went home itself: the next iteration opens Settings from the launcher
    assert any(t.target.startswith("nav:home") and t.t_down > freeze.t_end
               for t in rig.truth.touches)
