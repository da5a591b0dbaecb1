"""Recovery after touches drift: home felt off the navigation bar leaves the phone in the app;
the runner presses home again until the launcher shows, so the next flow starts where it
assumes (seed 3's false incidents at 5477 s and 8540 s began so).

The runner sees only camera frames and the twin's device link; rig.truth is the independent
reference (DESIGN rule 7).
"""

from tapbot.core import Dispatcher, Incident, StepDoc
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


def test_a_flow_that_cannot_start_on_the_launcher_is_skipped_not_run_on_another_screen(
        monkeypatch):
    """Seed 5's false freeze at 2229.8 s: a drift made every press of home land off the key,
    recovery gave up with the Video app in front, and the game flow's first tap (the Game
    icon's place) paused the video, which its watch then called frozen. An iteration that
    cannot start on the launcher is skipped (said in a step document that ends it) and the
    next one tries again; its steps never touch another screen."""
    rig = build_rig(None, seed=1)
    docs = []
    dispatcher = Dispatcher()
    dispatcher.subscribe(docs.append)
    runner = Runner(rig, dispatcher, run_id="skip")
    # a launcher is known, but the screen never shows it (as if every home missed its key)
    monkeypatch.setattr(runner, "_learn_launcher",
                        lambda: setattr(runner, "_launcher_ref", rig.camera.latest().image))
    monkeypatch.setattr(runner, "_on_launcher", lambda: False)
    runner.run_plan(Plan.from_mix([FlowMix(flow=library_flow("settings"))], seed=1,
                                  duration_s=20.0))
    assert {t.target for t in rig.truth.touches} == {"nav:home"}  # recovery's presses only
    steps = [d for d in docs if isinstance(d, StepDoc)]
    assert steps and all(s.status == "skipped" and s.last and s.index == 0 for s in steps)
    assert [d for d in docs if isinstance(d, Incident)] == []
