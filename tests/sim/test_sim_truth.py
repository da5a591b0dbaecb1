"""Ground truth: JSON round trip (so a run's truth can be scored later) and window queries."""

from __future__ import annotations

import copy
import gc
import pickle
import tracemalloc

import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import FaultEvent, FaultOptions, GroundTruth, SimPhone, SimPhoneOptions
from tapbot.sim.truth import INTERNED_MAX, TruthFault, TruthResponse, TruthTouch


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


# --------------------------------------------------------------------------- storage by column

# Written by the truth of plain dataclass records (before the truth was stored by column): the
# file format must not change, so truths saved by earlier runs still load and score.
HAND_TRUTH_JSON = (
    '{"format":1,"touches":[{"t_down":1.0,"x_px":540.25,"y_px":1488.0,"t_up":1.05,'
    '"handled":true,"target":"counter:+","ghost":false,"reported_px":null},{"t_down":2.5,'
    '"x_px":10.0,"y_px":20.0,"t_up":null,"handled":false,"target":"ignored:freeze","ghost":true,'
    '"reported_px":[12.5,19.75]}],"responses":[{"t_touch":1.0,"t_ready":1.07,'
    '"t_visible":1.0833333333333333,"latency_s":0.08333333333333326,"app":"Counter",'
    '"what":"counter +1"}],"faults":[{"kind":"glitch","t_start":20.0,"t_end":20.05,'
    '"app":"Launcher","details":{"style":"bars","frames":3}},{"kind":"crash","t_start":30.0,'
    '"t_end":null,"app":"Counter","details":{}},{"kind":"dead_zone","t_start":40.0,"t_end":70.0,'
    '"app":"System","details":{"region":[0.1,0.2,0.4,0.32]}}]}'
)


def _hand_truth() -> GroundTruth:
    return GroundTruth(
        touches=[TruthTouch(1.0, 540.25, 1488.0, 1.05, True, "counter:+"),
                 TruthTouch(2.5, 10.0, 20.0, None, False, "ignored:freeze", ghost=True,
                            reported_px=(12.5, 19.75))],
        responses=[TruthResponse(1.0, 1.07, 1.0833333333333333, 0.08333333333333326,
                                 "Counter", "counter +1")],
        faults=[TruthFault("glitch", 20.0, 20.05, "Launcher", {"style": "bars", "frames": 3}),
                TruthFault("crash", 30.0, None, "Counter"),
                TruthFault("dead_zone", 40.0, 70.0, "System",
                           {"region": [0.1, 0.2, 0.4, 0.32]})])


def test_json_is_byte_for_byte_the_format_of_the_record_truth() -> None:
    assert _hand_truth().to_json() == HAND_TRUTH_JSON
    back = GroundTruth.from_json(HAND_TRUTH_JSON)
    assert back == _hand_truth()
    assert back.touches[1].reported_px == (12.5, 19.75)
    assert back.faults[2].details == {"region": [0.1, 0.2, 0.4, 0.32]}


def test_a_record_appended_then_changed_is_changed_in_the_truth() -> None:
    # the phone appends a touch on finger-down and fills in target and t_up later
    truth = GroundTruth()
    touch = TruthTouch(1.0, 5.0, 6.0, None, True, "none")
    truth.touches.append(touch)
    touch.target, touch.handled, touch.t_up = "key:q", False, 1.25
    touch.reported_px = (7.5, 8.0)
    fault = TruthFault("crash", 3.0, None, "Counter")
    truth.faults.append(fault)
    fault.details["again"] = True
    fault.t_end = 9.0
    assert truth.touches[0] == TruthTouch(1.0, 5.0, 6.0, 1.25, False, "key:q",
                                          reported_px=(7.5, 8.0))
    assert truth.faults[0].details == {"again": True} and truth.faults[0].t_end == 9.0
    touch.reported_px, touch.t_up = None, None  # and back to absent
    assert truth.touches[0].reported_px is None and truth.touches[0].t_up is None


def test_a_copy_of_a_record_is_detached_from_the_truth() -> None:
    truth = _hand_truth()
    copied = copy.copy(truth.touches[0])
    copied.target = "nav:home"
    assert truth.touches[0].target == "counter:+"
    assert pickle.loads(pickle.dumps(truth.touches[1])) == truth.touches[1]


def test_truths_concatenate_like_lists_as_a_resumed_run_saves_them() -> None:
    a, b = _hand_truth(), _busy_truth()
    both = GroundTruth(touches=a.touches + b.touches, responses=a.responses + b.responses,
                       faults=a.faults + b.faults)
    assert len(both.touches) == len(a.touches) + len(b.touches)
    assert list(both.touches[len(a.touches):]) == list(b.touches)
    assert both.faults[:3] == list(a.faults)
    assert a == _hand_truth()  # copying rows left the sources alone


def test_bad_values_in_a_truth_file_name_the_row_and_field() -> None:
    row = ('{"format":1,"touches":[{"t_down":"soon","x_px":1,"y_px":2,"t_up":null,'
           '"handled":true,"target":"none"}]}')
    with pytest.raises(ValueError, match=r"touches\[0\]: t_down must be a number"):
        GroundTruth.from_json(row)
    with pytest.raises(ValueError, match=r"responses\[0\].*missing 'what'"):
        GroundTruth.from_json('{"format":1,"responses":[{"t_touch":1,"t_ready":1,'
                              '"t_visible":1,"latency_s":0,"app":"A"}]}')


def _drive(seed: int, taps: int) -> GroundTruth:
    clock = VirtualClock()
    faults = FaultOptions(per_hour={"freeze": 30.0, "crash": 20.0, "ghost_touch": 20.0,
                                    "drift": 20.0})
    phone = SimPhone(SimPhoneOptions(seed=seed, faults=faults), clock)
    for i in range(taps):
        t = 1.0 + i * 0.7
        clock.advance_to(t)
        x, y = (540.0, 1488.0) if i % 3 else (135.0, 480.0)
        phone.touch_down(t, x, y)
        phone.touch_up(t + 0.06, x, y)
    clock.advance_to(taps * 0.7 + 30.0)
    return phone.truth


def test_the_same_seed_gives_the_same_truth() -> None:
    a, b = _drive(7, 400), _drive(7, 400)
    assert len(a.faults) >= 3 and len(a.responses) > 100
    assert a == b and a.to_json() == b.to_json()
    assert GroundTruth.from_json(a.to_json()) == a
    assert _drive(8, 400).to_json() != a.to_json()


def test_text_new_on_every_row_is_kept_as_bytes_not_objects() -> None:
    truth = GroundTruth()
    n = INTERNED_MAX + 3000
    for i in range(n):
        truth.responses.append(TruthResponse(i, i + 0.07, i + 0.08, 0.08, "Counter",
                                             f"counter {i} -> {i + 1}"))
    assert [r.what for r in truth.responses[-2:]] == [f"counter {i} -> {i + 1}"
                                                      for i in (n - 2, n - 1)]
    assert truth.responses[5].what == "counter 5 -> 6"
    # 4 floats + 2 codes, the blob's bytes and end offset; the interned head once
    per_row = 4 * 8 + 2 * 4 + len(f"counter {n} -> {n + 1}") + 8
    assert truth.nbytes <= n * per_row * 1.15 + INTERNED_MAX * 200


def test_the_truth_costs_tens_of_bytes_per_event_not_objects() -> None:
    """Memory the truth takes, measured by tracemalloc, against a bound from the event count:
    a touch row is 5 floats + flags + a code (53 bytes), a response 4 floats + 2 codes (40);
    arrays over-allocate a little. One Python object per event would cost ~300 bytes."""
    n = 20_000
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        truth = GroundTruth()
        for i in range(n):
            t = float(i)
            touch = TruthTouch(t, 100.0 + i % 7, 200.0, None, True, "none")
            truth.touches.append(touch)  # the phone's way: append, then fill in
            touch.target = "counter:+" if i % 2 else "nav:home"
            touch.t_up = t + 0.05
            truth.responses.append(TruthResponse(t, t + 0.07, t + 0.08, 0.08, "Counter",
                                                 "counter +1"))
        del touch
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(truth.touches) == len(truth.responses) == n
    assert grown <= n * (53 + 40) * 1.2 + 20_000, f"{grown / n:.0f} bytes per event"
    # and nbytes, what a bench reports, is an honest account of it
    assert abs(truth.nbytes - grown) <= 0.1 * grown + 20_000
