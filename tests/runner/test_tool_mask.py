"""The response mask covers the whole robot tool (fingers, arms, carriage), not just the
fingertip: the tool moving over the screen during a scroll is not the phone's response, so a
frozen phone or a dead zone hit by a scroll is reported; and a tap's response beside the tool
is still seen. Typed keys are timed too (a dead zone over the keyboard is seen).

The runner sees only camera frames and the twin's device link; rig.truth is the independent
reference (DESIGN rule 7).
"""

import cv2
import pytest

from tapbot.core import Dispatcher, Incident, Measurement
from tapbot.flows import FlowMix, Plan, compile_flow_text
from tapbot.flows import steps as S
from tapbot.flows.library import library_flow
from tapbot.rig import build_rig
from tapbot.runner import Runner

#: Open Settings, let the phone be still a while (the fault starts then), scroll the list and
#: time its response (a flow's scroll expects nothing unless told).
SCROLL = """---
- tapOn: {point: "37.5%, 33%", label: open Settings}
- waitForAnimationToEnd
- wait: 6s
- scroll: {direction: DOWN, expect: change, label: scroll}
- waitForAnimationToEnd
- pressKey: home
"""
#: Settings' airplane switch, toggled by a tap on its row (the switch is beside the tool).
AIRPLANE = """---
- tapOn: {point: "37.5%, 33%", label: open Settings}
- tapOn: {point: "30%, 32.25%", label: airplane on}
- tapOn: {point: "30%, 32.25%", label: airplane off}
- pressKey: home
"""


def run(schedule, flow_text, seconds, seed=7):
    return run_flow(schedule, compile_flow_text(flow_text), seconds, seed)


def run_flow(schedule, flow, seconds, seed=7):
    rig = build_rig(None, seed=seed, overrides={"device": {"faults": {"schedule": schedule}}})
    docs = []
    dispatcher = Dispatcher()
    dispatcher.subscribe(docs.append)
    plan = Plan.from_mix([FlowMix(flow=flow)], seed=seed, duration_s=seconds)
    Runner(rig, dispatcher, run_id="mask").run_plan(plan)
    return rig, docs


def incidents(docs):
    return [d for d in docs if isinstance(d, Incident)]


def overlaps(incident, fault, slack_s=1.0):
    return incident.t_onset <= fault.t_end + slack_s and \
        (incident.t_end or incident.t_onset) >= fault.t_start - slack_s



def test_a_phone_frozen_when_a_scroll_comes_is_reported_as_a_freeze():
    rig, docs = run([{"kind": "freeze", "at_s": 5.0, "duration_s": 10.0}], SCROLL, 25.0)
    (freeze,) = rig.truth.faults
    ignored = [t for t in rig.truth.touches if freeze.t_start <= t.t_down <= freeze.t_end]
    assert ignored and all(t.target == "ignored:freeze" for t in ignored)  # the scroll came
    found = incidents(docs)
    assert [i.incident for i in found] == ["freeze"], found
    assert overlaps(found[0], freeze)
    # the frozen scroll got no response measured
    assert not [m for m in docs if isinstance(m, Measurement) and m.name == "response_latency"
                and freeze.t_start <= m.t_start <= freeze.t_end]


@pytest.mark.parametrize("timed", [True, False], ids=["timed", "untimed"])
def test_a_scroll_that_lands_in_a_dead_zone_is_an_unresponsive_touch(timed):
    # the dead zone holds the scroll's first point (50 %, 70 %) and nothing the flow taps; a
    # scroll that expects nothing (a flow's default) is still a touch the digitizer must feel
    zone = [0.35, 0.6, 0.65, 0.8]
    flow = SCROLL if timed else SCROLL.replace("expect: change", "expect: none")
    rig, docs = run([{"kind": "dead_zone", "at_s": 5.0, "duration_s": 8.0, "region": zone}],
                    flow, 20.0)
    (dead,) = rig.truth.faults
    assert any(t.target == "ignored:dead_zone" for t in rig.truth.touches)
    found = incidents(docs)
    assert [i.incident for i in found] == ["unresponsive-touch"], found
    assert overlaps(found[0], dead)


def test_a_tap_whose_answer_is_beside_the_tool_is_answered():
    rig, docs = run([], AIRPLANE, 30.0)
    assert incidents(docs) == []
    latencies = {m.step: m.value for m in docs
                 if isinstance(m, Measurement) and m.name == "response_latency"}
    assert {"airplane on", "airplane off"} <= set(latencies)
    truth = {round(r.t_touch, 6): r.latency_s for r in rig.truth.responses}
    period = 1.0 / rig.camera.fps
    for m in docs:
        if isinstance(m, Measurement) and m.name == "response_latency":
            assert 0 <= m.value - truth[round(m.t_start, 6)] < period + 1e-6


@pytest.mark.parametrize("step", [
    S.Tap(at=S.Point(x="5%", y="3%"), expect="none"),
    S.Tap(at=S.Point(x="30%", y="40%"), expect="none"),
    S.Tap(at=S.Point(x="95%", y="60%"), expect="none"),
    S.Tap(at=S.Point(x="50%", y="97%"), expect="none"),
    S.Swipe(start=S.Point(x="50%", y="70%"), end=S.Point(x="50%", y="30%"), expect="none"),
    S.Swipe(start=S.Point(x="10%", y="20%"), end=S.Point(x="90%", y="80%"), duration_s=0.5,
            expect="none"),
], ids=["top-left", "left", "right-edge", "home", "scroll", "diagonal"])
def test_the_response_masks_cover_every_pixel_the_moving_tool_changes(step):
    rig = build_rig(None, seed=3, overrides={"camera": {"noise_sigma": 0.0}})
    runner = Runner(rig, Dispatcher(), run_id="cover")
    runner._learn_launcher()
    stroke = runner._stroke(step)
    _, t_down, _ = runner._perform(stroke, step.kind)
    t_lifted = rig.clock.now()
    rig.clock.sleep(0.3)
    ref = runner.observer.view_at(t_down).image
    moving = runner._finger_mask(stroke)
    still = runner._tool_at(stroke.start, stroke.points[-1][1])
    views = runner.observer.views(t_down, rig.clock.now())
    assert len(views) > 10
    for view in views:
        mask = moving if view.t <= t_lifted else still
        leak = (cv2.absdiff(ref, view.image) > 8) & (mask == 0)
        assert not leak.any(), (view.t - t_down, int(leak.sum()))
    # the tool is not the whole screen: what is left to see a response in
    assert (still == 0).mean() > 0.2


def test_typed_keys_are_timed_and_a_dead_zone_over_the_keyboard_is_seen():
    message = library_flow("message")
    rig, docs = run_flow([], message, 30.0)
    assert incidents(docs) == []
    keys = [m for m in docs if isinstance(m, Measurement) and m.name == "response_latency"
            and m.step == "inputText"]
    assert len(keys) >= 2  # "hi", typed at least once
    truth = {round(r.t_touch, 6): r.latency_s for r in rig.truth.responses}
    period = 1.0 / rig.camera.fps
    assert all(0 <= m.value - truth[round(m.t_start, 6)] < period + 1e-6 for m in keys)
    # "h" (60 %, 72.75 %) in a dead zone: the key that changed nothing is reported
    zone = [0.55, 0.70, 0.65, 0.76]
    rig, docs = run_flow([{"kind": "dead_zone", "at_s": 1.0, "duration_s": 20.0,
                           "region": zone}], message, 15.0)
    assert any(t.target == "ignored:dead_zone" for t in rig.truth.touches)
    found = incidents(docs)
    assert found and {i.incident for i in found} == {"unresponsive-touch"}, found
    assert found[0].step == "inputText"
