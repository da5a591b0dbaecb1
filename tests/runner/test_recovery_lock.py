"""Recovery from the lock screen: a reboot restarts the phone on it, where home does nothing.
When the swipe up that unlocks it is lost (here: a dead zone where the swipe starts), the
runner must not take the unanswered home for a frozen phone, nor run flows on the lock
screen: it learns the lock screen's look as the phone restarts and swipes up again whenever
it is back there, before going home.

The runner sees only camera frames and the twin's device link; rig.truth is the independent
reference (DESIGN rule 7).
"""

from tapbot.core import Incident

from .conftest import soak_flow


def test_a_lost_unlock_swipe_is_tried_again_and_the_flows_go_on_from_the_launcher():
    rig, docs = soak_flow("settings", [
        {"kind": "reboot", "at_s": 4.0},
        # under where the unlock swipe starts (50 %, 85 %), from when the lock screen shows
        # (the twin starts it as the reboot ends)
        {"kind": "dead_zone", "at_s": 5.0, "duration_s": 20.0, "region": [0.3, 0.8, 0.7, 0.9]},
    ], 60.0, 1, "lock", gap_s=0.0)
    reboot = next(f for f in rig.truth.faults if f.kind == "reboot")
    zone = next(f for f in rig.truth.faults if f.kind == "dead_zone")
    assert zone.t_start <= reboot.t_end < zone.t_end  # the phone is on the lock screen in it
    incidents = [i.incident for i in docs if isinstance(i, Incident)]
    assert incidents == ["reboot"]
    after = [t for t in rig.truth.touches if t.t_down > zone.t_end]
    # unlocked after the dead zone, and the settings flow runs again from its icon
    assert any(t.target == "launcher:Settings" for t in after)
    assert any(t.target.startswith("set:") for t in after)
