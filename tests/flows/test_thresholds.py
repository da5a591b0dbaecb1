"""Thresholds in flow files: a flow's header and any step may set them, checked with their place."""

import pytest

from tapbot.flows import FlowValidationError, compile_flow_text
from tapbot.flows.plan import THRESHOLD_KEYS, compile_plan_text


def test_a_flow_header_and_its_steps_carry_thresholds_in_seconds():
    flow = compile_flow_text(
        "name: t\nthresholds: {response_budget: 300ms, frozen_frame: 1s}\n---\n"
        "- tapOn: {point: \"50%, 62%\", thresholds: {response_budget: 150ms, stall_max: 3}}\n"
        "- watchAnimation: {duration: 3s, thresholds: {frozen_frame: 500ms}}\n"
        "- tapOn: {point: \"50%, 62%\"}\n", "t.yaml")
    assert flow.thresholds == {"response_budget_s": pytest.approx(0.3), "frozen_frame_s": 1.0}
    tap, watch, plain = flow.steps
    assert tap.thresholds == {"response_budget_s": pytest.approx(0.15), "stall_max_s": 3.0}
    assert watch.thresholds == {"frozen_frame_s": pytest.approx(0.5)}
    assert watch.seconds == 3.0  # the command's own keys still compile
    assert plain.thresholds == {}


def test_drift_limits_are_lengths_in_mm():
    flow = compile_flow_text("thresholds: {drift_max: 2.5, pose_drift_max: 0.5}\n---\n- back\n")
    assert flow.thresholds == {"drift_max_mm": 2.5, "pose_drift_max_mm": 0.5}
    with pytest.raises(FlowValidationError, match="a length in mm"):
        compile_flow_text("thresholds: {pose_drift_max: 1mm}\n---\n- back\n")


def test_bad_thresholds_are_reported_at_their_line_and_column():
    with pytest.raises(FlowValidationError) as info:
        compile_flow_text("thresholds: {frozen: 1s}\n---\n"
                          "- tapOn: {point: \"1, 1\", thresholds: {stall_max: 0s}}\n"
                          "- tapOn: {point: \"1, 1\", thresholds: {anr: soon}}\n"
                          "- tapOn: {point: \"1, 1\", thresholds: 5}\n", "bad.yaml")
    found = [(i.line, i.column, i.message) for i in info.value.issues]
    assert found[0][:2] == (1, 14) and "unknown 'frozen'" in found[0][2]
    assert found[1][:2] == (3, 50) and "must be positive" in found[1][2]
    assert found[2][0] == 4 and "thresholds.anr: expected a duration" in found[2][2]
    assert found[3][0] == 5 and "expected a mapping" in found[3][2]


def test_plans_and_flows_share_one_table_of_names():
    plan = compile_plan_text("iterations: 1\nthresholds: {slowdown_min: 200ms}\n"
                             "flows:\n  - library: counter\n")
    assert plan.thresholds == {"slowdown_min_s": pytest.approx(0.2)}
    assert set(THRESHOLD_KEYS.values()) >= {"response_budget_s", "glitch_max_s", "drift_max_mm"}
