"""The numbers of a report against what the synthetic run drew (independent truth)."""

import numpy as np
import pytest

from tapbot.reports import analyze, load_run
from tapbot.reports.synthetic import FLOWS


def test_latency_percentiles_per_step_match_the_drawn_values(faulty_run):
    report = analyze(load_run(faulty_run.folder))
    got = {(m.name, m.flow, m.step): m for m in report.measures}
    assert set(got) == set(faulty_run.values)
    for key, values in faulty_run.values.items():
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        m = got[key]
        assert m.count == len(values)
        assert m.p50 == pytest.approx(p50) and m.p95 == pytest.approx(p95)
        assert m.p99 == pytest.approx(p99) and m.max == pytest.approx(max(values))
    # response latency comes first, and in flow-step order
    assert report.measures[0].name == "response_latency"


def test_flow_iterations_and_pass_rates_match_the_run(faulty_run):
    report = analyze(load_run(faulty_run.folder))
    flows = {f.flow: f for f in report.flows}
    assert set(flows) == set(FLOWS)
    for name, f in flows.items():
        assert f.iterations == faulty_run.iterations[name]
        assert f.failed == faulty_run.failed_iterations[name]
        assert f.passed + f.failed + f.unfinished == f.iterations
        assert f.unfinished <= 1  # only the iteration the run ended in
        assert f.pass_rate == pytest.approx(f.passed / (f.passed + f.failed))
    assert sum(f.incidents for f in flows.values()) == 4


def test_verdict_fails_with_each_incident_named_against_its_threshold(faulty_run):
    report = analyze(load_run(faulty_run.folder))
    assert report.verdict.verdict == "FAIL"
    assert report.verdict.recorded_verdict == "FAIL"
    assert [e.kind for e in report.incidents] == ["crash", "freeze", "crash", "freeze"]
    assert report.verdict.reasons[0].startswith("2 crash incidents (#1, #3)")
    assert "zero tolerance" in report.verdict.reasons[0]
    assert report.verdict.reasons[1].startswith("2 freeze incidents (#2, #4)")
    assert "unresponsive_after_s" in report.verdict.reasons[1]
    for entry, truth in zip(report.incidents, faulty_run.incidents, strict=True):
        assert entry.t_onset == pytest.approx(truth.t_onset)
        assert entry.duration_s == pytest.approx(truth.t_end - truth.t_onset)
        assert entry.flow == truth.flow and entry.step == truth.step
        assert entry.evidence == truth.evidence and entry.missing_evidence == []
    freeze = report.incidents[1]
    check = next(c for c in freeze.checks if c.name == "unresponsive_after_s")
    # the synthetic freeze #2 lasts 1.5 + 0.5 * 2 = 2.5 s against the run's 1.0 s limit
    assert (check.limit, check.measured, check.failing) == (1.0, pytest.approx(2.5), True)


def test_incident_iteration_is_the_iteration_its_step_failed_in(faulty_run):
    record = load_run(faulty_run.folder)
    report = analyze(record)
    failed = [s for s in record.steps if s.status == "failed"]
    assert [(e.flow, e.step, e.iteration) for e in report.incidents] == [
        (s.flow, s.step, s.iteration) for s in failed]


def test_a_completed_run_without_incidents_passes(clean_run):
    report = analyze(load_run(clean_run.folder))
    assert report.verdict.verdict == "PASS"
    assert report.counts.incidents == 0 and report.problems == []
    assert report.counts.steps == clean_run.steps
    assert report.counts.touches == clean_run.touches
    assert report.run.build == "synthetic-1" and report.run.seed == 4


def test_a_run_cut_off_before_run_stop_is_incomplete(tmp_path):
    from tapbot.reports.synthetic import make_run

    truth = make_run(tmp_path / "cut", 120.0, incidents=0, complete=False)
    report = analyze(load_run(truth.folder))
    assert report.verdict.verdict == "INCOMPLETE"
    assert any("did not complete" in r for r in report.verdict.reasons)
    assert any("no run-stop" in p.problem for p in report.problems)


def test_a_slowdown_with_uptime_shows_as_a_rising_p50(tmp_path):
    from tapbot.reports.synthetic import make_run

    truth = make_run(tmp_path / "slow", 3 * 3600.0, incidents=0, slowdown=1.0, seed=2)
    report = analyze(load_run(truth.folder))
    m = next(m for m in report.measures if m.step == "tap + (1)")
    # latencies grow linearly to twice their start value: the last tenth runs ~1.9x the first
    assert m.late_p50 / m.early_p50 == pytest.approx(1.9 / 1.05, rel=0.12)


@pytest.mark.parametrize("kind, message, end, expected", [
    # a touch freeze is a silence past stall_max_s (runs that record it)
    ("freeze", "no response to touch for 3.32 s", 3.32, ("stall_max_s", 2.0, 3.32, True)),
    ("freeze", "the animation stood still for 1.80 s", 1.8, ("frozen_frame_s", 0.7, 1.8, True)),
    ("stall", "response took 450 ms, over the 300 ms budget", 0.45, ("budget", 0.3, 0.45, True)),
    ("stall", "the response took 1.40 s", 1.4, ("unresponsive_after_s", 1.0, 1.4, True)),
    ("glitch", "a flash with no touch", 0.1, ("glitch_max_s", 0.25, 0.1, True)),
])
def test_incident_checks_name_the_threshold_that_made_the_incident(kind, message, end,
                                                                   expected):
    from tapbot.core.documents import Incident
    from tapbot.reports.analyze import _checks

    thresholds = {"unresponsive_after_s": 1.0, "stall_max_s": 2.0, "frozen_frame_s": 0.7,
                  "glitch_max_s": 0.25, "max_freeze_s": 60.0}
    doc = Incident(run_id="r", t=end, incident=kind, t_onset=0.0, t_end=end, message=message)
    checks = _checks(doc, thresholds, {})
    first = checks[0]
    assert (first.name, first.limit, first.measured, first.failing) == pytest.approx(expected)
    assert checks[-1].name == f"{kind} allowed" and checks[-1].failing


def test_flow_time_is_the_time_spent_in_its_steps(faulty_run, tmp_path):
    from tapbot.reports.synthetic import make_run

    truth = make_run(tmp_path / "clean", 600.0, incidents=0, seed=6)
    report = analyze(load_run(truth.folder))
    lengths = {flow: {name: length for name, _, _, length in steps}
               for flow, steps in FLOWS.items()}
    record = load_run(truth.folder)
    for f in report.flows:  # each step lasts its synthetic length
        expected = sum(lengths[f.flow][s.step] for s in record.steps if s.flow == f.flow)
        assert f.duration_s == pytest.approx(expected)
    report = analyze(load_run(faulty_run.folder))
    # the flows share the run: together they cannot take longer than it
    assert sum(f.duration_s for f in report.flows) <= report.run.duration_s


def test_a_run_stopped_by_a_moved_phone_is_incomplete_and_blames_the_rig(tmp_path):
    from tapbot.core import Dispatcher
    from tapbot.flows import Plan
    from tapbot.flows.library import library_flow
    from tapbot.flows.steps import FlowMix
    from tapbot.rig import build_rig
    from tapbot.runner import Runner
    from tapbot.store import JsonlWriter

    bump = {"kind": "bump", "at_s": 20.0, "amount": 3.0}
    rig = build_rig(None, seed=4, overrides={"device": {"faults": {"schedule": [bump]}}})
    writer = JsonlWriter(tmp_path / "run" / "documents.jsonl")
    dispatcher = Dispatcher()
    dispatcher.subscribe(writer)
    plan = Plan.from_mix([FlowMix(flow=library_flow("counter"))], seed=4, duration_s=60.0)
    stop = Runner(rig, dispatcher, run_id="moved").run_plan(plan)
    writer.close()
    assert stop.reason == "rig-fault"
    report = analyze(load_run(tmp_path / "run"))
    assert report.verdict.verdict == "INCOMPLETE" == stop.verdict
    assert [e.kind for e in report.incidents] == ["pose-drift"]
    assert any("a rig fault" in r for r in report.verdict.reasons)
    assert any("did not complete (rig-fault)" in r for r in report.verdict.reasons)
