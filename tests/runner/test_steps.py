"""Steps beyond taps: selectors by text, assertions, budgets, measurements, nesting.

OCR is replaced by a stand-in that reports the twin's labels where the twin draws them, so
these tests check the runner (where it taps, what it reports), scored by the twin's truth.
"""

import pytest

from tapbot.core import Incident, Measurement, StepDoc
from tapbot.flows import FlowMix, Plan, compile_flow_text
from tapbot.sim.apps import LAUNCHER_APPS, icon_center

W, H = 1080, 2400


def label_box(name):
    fx, fy = icon_center(LAUNCHER_APPS.index(name))
    return (round(fx * W) - 40, round(fy * H) - 40, 80, 80)


def run(runner, text, iterations=1):
    flow = compile_flow_text(text, "t.yaml")
    return runner.run_plan(Plan.from_mix([FlowMix(flow=flow)], iterations=iterations))


def test_text_selector_taps_the_labelled_icon(twin):
    from .conftest import FakeReader
    reader = FakeReader({"Counter": label_box("Counter")})
    rig, runner, _docs = twin(reader=reader)
    stop = run(runner, "---\n- tapOn: Counter\n- pressKey: home\n")
    assert stop.verdict == "PASS"
    # home first (the runner learns the launcher's look), then the icon read by "OCR"
    assert [t.target for t in rig.truth.touches] == ["nav:home", "launcher:Counter", "nav:home"]
    assert reader.calls == 1  # OCR on demand only, not on every frame


def test_a_missing_text_is_a_failed_assertion_and_the_run_recovers(twin):
    from .conftest import FakeReader
    rig, runner, docs = twin(reader=FakeReader({}))
    stop = run(runner, "---\n- tapOn: {point: \"12.5%, 20%\"}\n"
               "- assertVisible: {text: Inbox, timeout: 1s}\n- pressKey: home\n", iterations=2)
    incidents = [d for d in docs if isinstance(d, Incident)]
    assert [i.incident for i in incidents] == ["assertion", "assertion"]
    assert "'Inbox' is not visible" in incidents[0].message
    assert stop.verdict == "FAIL" and stop.reason == "completed"
    # recovery pressed home after each failure: the phone is back on the launcher
    assert rig.truth.touches[-1].target == "nav:home"


def test_assert_not_visible_passes_when_the_text_is_absent(twin):
    from .conftest import FakeReader
    _rig, runner, _docs = twin(reader=FakeReader({}))
    stop = run(runner, "---\n- assertNotVisible: {text: Error, timeout: 0}\n")
    assert stop.verdict == "PASS"


def test_expect_response_makes_slow_responses_stalls(twin):
    rig, runner, docs = twin(seed=4)
    budget_s = 0.075
    run(runner, "---\n- tapOn: {point: \"12.5%, 20%\"}\n"
        + "- tapOn: {point: \"50%, 62%\"}\n- expectResponse: 75ms\n" * 6
        + "- pressKey: home\n", iterations=3)
    truth = {round(r.t_touch, 6): r.latency_s for r in rig.truth.responses}
    period = 1.0 / rig.camera.fps
    stalls = [d for d in docs if isinstance(d, Incident)]
    assert all(i.incident == "stall" for i in stalls)
    stalled_touches = {round(i.t_onset, 6) for i in stalls}
    counter_taps = [m for m in docs if isinstance(m, Measurement)
                    and m.name == "response_latency" and "62%" in m.step]
    assert len(counter_taps) == 18
    for m in counter_taps:
        true = truth[round(m.t_start, 6)]
        if round(m.t_start, 6) in stalled_touches:
            assert true > budget_s - period  # a reported stall was really slow
        else:
            assert true <= budget_s  # a really slow response was never missed
    assert 0 < len(stalls) < 18


def test_measure_until_settled_and_repeat(twin):
    rig, runner, docs = twin()
    run(runner, "---\n- tapOn: {point: \"12.5%, 20%\"}\n- measure: {name: launch, until: settled}\n"
        "- repeat:\n    times: 4\n    commands:\n      - tapOn: {point: \"50%, 62%\"}\n"
        "- pressKey: home\n")
    launch = [m for m in docs if isinstance(m, Measurement) and m.name == "launch"]
    assert len(launch) == 1
    first_response = rig.truth.responses[0]
    assert launch[0].value >= first_response.latency_s - 1e-6
    plus = [t for t in rig.truth.touches if t.target == "counter:+"]
    assert len(plus) == 4
    steps = [d for d in docs if isinstance(d, StepDoc)]
    assert [s.step for s in steps] == ["tap (12.5%, 20%)", "measure", "repeat", "pressKey home"]


def test_text_selectors_without_ocr_are_refused_before_anything_moves(twin, monkeypatch):
    import importlib.util

    from tapbot.core.errors import FlowError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tapbot.vision.ocr" else real(name, *a))
    rig, runner, _docs = twin()
    with pytest.raises(FlowError, match=r"t.yaml:3:3: .*needs OCR"):
        run(runner, "---\n- tapOn: {point: \"12.5%, 20%\"}\n- tapOn: Messages\n")
    assert rig.truth.touches == []


def test_real_ocr_reads_launcher_labels_and_taps_where_they_are(twin):
    pytest.importorskip("rapidocr")
    rig, runner, docs = twin()
    stop = run(runner, "---\n- assertVisible: Settings\n"
               "- assertNotVisible: {text: Spreadsheet, timeout: 0}\n"
               "- tapOn: {text: Settings, expect: none}\n")
    assert stop.verdict == "PASS", [d for d in docs if isinstance(d, Incident)]
    # the label is drawn centred under the Settings icon (launcher index 5)
    fx, fy = icon_center(LAUNCHER_APPS.index("Settings"))
    touch = rig.truth.touches[-1]
    assert abs(touch.x_px - fx * W) < 40
    assert fy * H < touch.y_px < fy * H + 0.1 * H  # below the icon, on its label
