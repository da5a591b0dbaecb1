"""Ground truth: JSON round trip (so a run's truth can be scored later) and window queries."""

from __future__ import annotations

import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import FaultEvent, FaultOptions, GroundTruth, SimPhone, SimPhoneOptions
from tapbot.sim.truth import TruthFault, TruthResponse, TruthTouch


def _busy_truth() -> GroundTruth:
    clock = VirtualClock()
    faults = FaultOptions(schedule=[
        FaultEvent(kind="drift", at_s=1.0, duration_s=5.0),
        FaultEvent(kind="ghost_touch", at_s=12.0, at=(0.125, 0.2)),
        FaultEvent(kind="crash", at_s=30.0),
    ])
    phone = SimPhone(SimPhoneOptions(seed=4, faults=faults), clock)
    for i in range(20):
        t = 2.0 + i * 0.5
        clock.advance_to(t)
        phone.touch_down(t, 540.0, 1488.0)
        phone.touch_up(t + 0.05, 540.0, 1488.0)
    clock.advance_to(40.0)
    return phone.truth


def test_json_round_trip_keeps_everything_exactly() -> None:
    truth = _busy_truth()
    assert any(t.ghost for t in truth.touches)
    assert any(t.reported_px is not None for t in truth.touches)
    assert truth.faults[-1].t_end is None  # the crash dialog is still up
    assert truth.faults[0].details  # drift details
    back = GroundTruth.from_json(truth.to_json())
    assert back == truth
    assert back.to_json() == truth.to_json()


def test_faults_between_uses_windows_and_open_faults_last() -> None:
    truth = GroundTruth(faults=[
        TruthFault("freeze", 10.0, 14.0, "Video"),
        TruthFault("glitch", 20.0, 20.05, "Launcher", {"style": "bars"}),
        TruthFault("crash", 30.0, None, "Counter"),
    ])
    assert [f.kind for f in truth.faults_between(0.0, 9.99)] == []
    assert [f.kind for f in truth.faults_between(14.0, 20.0)] == ["freeze", "glitch"]
    assert [f.kind for f in truth.faults_between(1000.0, 2000.0)] == ["crash"]
    assert [f.kind for f in truth.faults_between(0.0, 100.0, kind="glitch")] == ["glitch"]


def test_responses_between_selects_by_touch_time() -> None:
    truth = GroundTruth(
        touches=[TruthTouch(1.0, 1.0, 2.0, 1.1, True, "counter:+")],
        responses=[TruthResponse(1.0, 1.07, 1.0833, 0.0833, "Counter", "c"),
                   TruthResponse(5.0, 5.1, 5.1167, 0.1167, "Counter", "c")])
    assert [r.t_touch for r in truth.responses_between(0.0, 2.0)] == [1.0]


@pytest.mark.parametrize(("text", "match"), [
    ("not json", "not JSON"),
    ('{"format": 99}', "format"),
    ('{"format": 1, "faults": [{"kind": "x"}]}', r"faults\[0\]"),
    ('{"format": 1, "touches": [{"t_down": 1, "bogus": 2}]}', r"touches\[0\]"),
])
def test_bad_truth_files_say_what_is_wrong(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GroundTruth.from_json(text)
