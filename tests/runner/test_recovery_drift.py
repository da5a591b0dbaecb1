"""Recovery during a touch drift: while the phone's digitizer reports the robot's touches off
target (device link), every flow would be abandoned at its first touch and the presses of home
that recover from it would land elsewhere, opening whatever is there, so that the next flow's
first tap acts on that app (seed 5's false freeze at 2229.8 s and seed 6's at 3582.8 s began
so). The soak holds instead: it presses home every ``DRIFT_RETRY_S`` until a press lands where
the finger was, then goes on from the launcher.

The runner sees only camera frames and the twin's device link; rig.truth is the independent
reference (DESIGN rule 7).
"""

import itertools

from tapbot.core import Incident
from tapbot.runner.recovery import DRIFT_HOLD_MAX_S, DRIFT_RETRY_S

from .conftest import soak_flow

HOME_PX = (540, 2340)


def _at_home_key(touch) -> bool:
    return abs(touch.x_px - HOME_PX[0]) < 5 and abs(touch.y_px - HOME_PX[1]) < 5


def test_while_touches_land_off_target_the_soak_presses_only_home_until_they_land_again():
    # 40 px/s for 30 s: the reported touches end up ~1200 px from the finger
    rig, docs = soak_flow("settings", [{"kind": "drift", "at_s": 3.0, "duration_s": 30.0,
                                        "amount": 40.0}], 60.0, 1, "drift")
    (drift,) = rig.truth.faults
    touches = rig.truth.touches
    during = [t for t in touches if drift.t_start <= t.t_down < drift.t_end]
    flow_touches = [t for t in during if not _at_home_key(t)]
    # the flow's taps until the first one reported off target (the drift's first 1.5 mm),
    # then only presses of home, DRIFT_RETRY_S apart or more
    assert 0 < len(flow_touches) <= 3
    assert all(t.t_down < drift.t_start + 2.0 for t in flow_touches)
    presses = [t.t_down for t in during if _at_home_key(t) and t.t_down > flow_touches[-1].t_down]
    assert len(presses) >= 2
    gaps = [b - a for a, b in itertools.pairwise(presses)]
    assert min(gaps) >= DRIFT_RETRY_S
    # the first press after the drift is felt as home, and the flow starts from the launcher
    after = [t.target for t in touches if t.t_down >= drift.t_end]
    assert after[0] == "nav:home"
    assert after[1] == "launcher:Settings"
    assert [i.incident for i in docs if isinstance(i, Incident)] == ["drift"]


def test_a_drift_that_outlasts_the_hold_lets_the_flows_go_on():
    """The hold is bounded: a panel that never recovers still gets its flows tried (each
    abandoned at its first touch off target) rather than a soak that does nothing."""
    rig, docs = soak_flow("settings", [{"kind": "drift", "at_s": 3.0,
                                        "duration_s": DRIFT_HOLD_MAX_S + 100.0,
                                        "amount": 4.0}], DRIFT_HOLD_MAX_S + 60.0, 1, "drift")
    (drift,) = rig.truth.faults
    held_until = drift.t_start + DRIFT_HOLD_MAX_S
    later = [t for t in rig.truth.touches if held_until < t.t_down < drift.t_end]
    assert any(t.target.startswith("launcher:") or not _at_home_key(t) for t in later)
    assert [i.incident for i in docs if isinstance(i, Incident)] == ["drift"]
