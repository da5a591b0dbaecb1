"""The flow library: every flow compiles, and each runs clean on a healthy twin."""

import pytest

from tapbot.core import Dispatcher, Incident, StepDoc
from tapbot.flows import FlowMix, Plan, library_flows
from tapbot.flows.library import DEMO_WEIGHTS, library_flow
from tapbot.rig import build_rig
from tapbot.runner import Runner

APP_FLOWS = ["browse", "call", "counter", "game", "message", "messages", "music", "settings",
             "unlock", "video"]


def test_the_library_has_a_flow_for_every_app_and_the_demo_uses_them():
    assert library_flows() == APP_FLOWS
    assert set(DEMO_WEIGHTS) == set(APP_FLOWS) - {"unlock"}


@pytest.mark.parametrize("name", ["call", "message", "settings"])
def test_a_library_flow_touches_what_it_means_to_on_a_healthy_twin(name):
    rig = build_rig(None, seed=2)
    docs = []
    d = Dispatcher()
    d.subscribe(docs.append)
    stop = Runner(rig, d, run_id="lib").run_plan(
        Plan.from_mix([FlowMix(flow=library_flow(name))], iterations=1))
    assert stop.verdict == "PASS", [x for x in docs if isinstance(x, Incident)]
    assert all(s.status == "ok" for s in docs if isinstance(s, StepDoc))
    targets = [t.target for t in rig.truth.touches]
    expected = {
        "call": ["nav:home", "launcher:Dialer", "dial:2", "dial:1", "dial:0", "dial:call",
                 "call:mute", "call:mute", "call:end", "nav:home"],
        "message": ["nav:home", "launcher:Messages", "msg:open:Alice", "key:h", "key:i",
                    "msg:send", "nav:back", "nav:home"],
        "settings": ["nav:home", "launcher:Settings", "set:toggle:2", "set:toggle:2",
                     "drag:set", "drag:set", "nav:home"],
    }[name]
    assert targets == expected
