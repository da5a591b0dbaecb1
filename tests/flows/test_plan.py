"""Soak plans: compiled with every flow before anything moves; seeded schedules."""

import pytest

from tapbot.flows import FlowValidationError, load_plan
from tapbot.flows.plan import compile_plan_text


def write(tmp_path, text, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_plan_compiles_flows_weights_budgets_and_thresholds(tmp_path):
    write(tmp_path, "name: mine\n---\n- tapOn: {point: \"10, 10\"}\n", "mine.yaml")
    plan = load_plan(write(tmp_path, (
        "name: nightly\nseed: 7\nduration: 24h\n"
        "thresholds: {frozen_frame: 500ms, anr: 6s}\n"
        "flows:\n"
        "  - flow: mine.yaml\n    weight: 2\n    budget: {response: 300ms, duration: 20s}\n"
        "  - library: video\n")))
    assert plan.name == "nightly" and plan.seed == 7 and plan.duration_s == 86400
    assert plan.thresholds == {"frozen_frame_s": 0.5, "anr_s": 6.0}
    mine, video = plan.entries
    assert mine.flow.name == "mine" and mine.weight == 2.0
    assert mine.budget.response_s == pytest.approx(0.3) and mine.budget.duration_s == 20
    assert video.flow.name == "video" and video.weight == 1.0


def test_the_schedule_is_seeded_and_follows_the_weights():
    text = "seed: {seed}\niterations: 10\nflows:\n  - library: counter\n    weight: 3\n" \
           "  - library: messages\n    weight: 1\n"
    a = compile_plan_text(text.format(seed=4))
    b = compile_plan_text(text.format(seed=4))
    c = compile_plan_text(text.format(seed=5))

    def first(plan, n):
        it = plan.schedule()
        return [next(it) for _ in range(n)]

    assert first(a, 50) == first(b, 50)
    assert first(a, 50) != first(c, 50)
    share = sum(1 for i in first(a, 4000) if i == 0) / 4000
    assert 0.72 < share < 0.78  # weight 3 of 4


def test_every_plan_error_names_its_line(tmp_path):
    with pytest.raises(FlowValidationError) as info:
        load_plan(write(tmp_path, (
            "seed: -1\n"                                  # 1
            "duration: soon\n"                            # 2
            "colour: blue\n"                              # 3
            "flows:\n"
            "  - flow: missing.yaml\n"                    # 5
            "  - library: counter\n    weight: -2\n"      # 6, 7
            "  - library: nonesuch\n")))                  # 8
    got = {(i.line, i.column): i.message for i in info.value.issues}
    assert "seed: expected a whole number >= 0" in got[(1, 7)]
    assert "duration: expected a duration" in got[(2, 11)]
    assert "unknown plan key 'colour'" in got[(3, 1)]
    assert "missing.yaml cannot be read" in got[(5, 11)]
    assert "weight: expected a number > 0, got -2" in got[(7, 13)]
    assert "library flow 'nonesuch' does not exist" in got[(8, 14)]
    assert all(i.path.endswith("plan.yaml") for i in info.value.issues)


def test_a_plan_without_flows_or_length_is_refused(tmp_path):
    with pytest.raises(FlowValidationError) as info:
        load_plan(write(tmp_path, "seed: 1\nflows: []\n"))
    messages = [i.message for i in info.value.issues]
    assert any("needs duration: (e.g. 24h) or iterations:" in m for m in messages)
    assert any("flows: expected a non-empty list" in m for m in messages)


def test_malformed_plan_yaml_is_an_error_with_a_line(tmp_path):
    with pytest.raises(FlowValidationError) as info:
        load_plan(write(tmp_path, "seed: 1\nflows:\n  - library: [counter\n"))
    issue = info.value.issues[0]
    assert issue.message.startswith("malformed YAML") and issue.line >= 3
