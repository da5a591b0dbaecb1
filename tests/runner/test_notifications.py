"""Heads-up notifications are part of a healthy phone's life, not incidents."""

from tapbot.core import Dispatcher, Incident
from tapbot.flows import DEMO_MIX
from tapbot.rig import build_rig
from tapbot.runner import Runner


def test_frequent_notifications_on_a_healthy_phone_give_no_incident():
    rig = build_rig(None, seed=3, overrides={
        "device": {"faults": {}, "system_ui": {"notifications_per_hour": 120}}})
    docs = []
    dispatcher = Dispatcher()
    dispatcher.subscribe(docs.append)
    stop = Runner(rig, dispatcher, run_id="notif").run_soak(DEMO_MIX, 180.0, seed=3)
    assert not [d for d in docs if isinstance(d, Incident)]
    assert stop.verdict == "PASS"
