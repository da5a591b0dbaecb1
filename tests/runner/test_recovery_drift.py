"""Recovery after touches drift: home felt off the navigation bar leaves the phone in the app;
the runner presses home again until the launcher shows, so the next flow starts where it
assumes (seed 3's false incidents at 5477 s and 8540 s began so).

The runner sees only camera frames and the twin's device link; rig.truth is the independent
reference (DESIGN rule 7).
"""

from tapbot.core import Dispatcher, Incident
from tapbot.flows import FlowMix, Plan
from tapbot.flows.library import library_flow
from tapbot.rig import build_rig
from tapbot.runner import Runner

HOME_PX = (540, 2340)


def test_home_felt_elsewhere_during_drift_is_pressed_again_so_the_next_flow_starts_home():
    # seed 1 draws the drift towards the left: the home key is felt between the navigation
    # keys (it does nothing) by the time the flow is abandoned for touches off target
    rig = build_rig(None, seed=1, overrides={"device": {"faults": {"schedule": [
        {"kind": "drift", "at_s": 3.0, "duration_s": 4.0, "amount": 40.0}]}}})
    docs = []
    dispatcher = Dispatcher()
    dispatcher.subscribe(docs.append)
    Runner(rig, dispatcher, run_id="drift").run_plan(
        Plan.from_mix([FlowMix(flow=library_flow("settings"))], seed=1, duration_s=16.0))
    (drift,) = rig.truth.faults
    touches = rig.truth.touches
    lost = [t for t in touches if drift.t_start <= t.t_down < drift.t_end
            and abs(t.x_px - HOME_PX[0]) < 5 and abs(t.y_px - HOME_PX[1]) < 5
            and t.target != "nav:home"]
    assert lost, "the scenario needs a home press the phone felt elsewhere"
    after = [t.target for t in touches if t.t_down >= drift.t_end]
    assert after[0] == "nav:home"  # home again, now felt where it is
    first_in_flow = next(target for target in after if not target.startswith("nav:"))
    assert first_in_flow == "launcher:Settings"  # the flow's first tap finds its icon
    assert [i.incident for i in docs if isinstance(i, Incident)] == ["drift"]
