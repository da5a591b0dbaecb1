"""The twin's scorer, against hand-computed figures on a hand-built truth."""

from __future__ import annotations

import pytest

from tapbot.core.documents import Incident, Measurement, RunStart, RunStop, StepDoc
from tapbot.sim.score import pool, score_run
from tapbot.sim.truth import GroundTruth, TruthFault, TruthResponse, TruthTouch

TRUTH = GroundTruth(
    responses=[TruthResponse(10.0, 10.07, 10.08, 0.080, "Counter", "a"),
               TruthResponse(20.0, 20.11, 20.12, 0.120, "Counter", "b"),
               TruthResponse(30.0, 30.19, 30.20, 0.200, "Launcher", "c")],
    faults=[TruthFault("freeze", 100.0, 105.0, "Video"),
            TruthFault("crash", 200.0, 203.0, "Counter"),
            TruthFault("freeze", 400.0, 406.0, "Video"),
            TruthFault("close", 900.0, 900.0, "Messages")],
)


def _run(incidents: list[tuple[str, float, float | None]], duration_s: float = 3600.0,
         latencies: tuple[tuple[float, float], ...] = ((10.0, 0.090), (20.0, 0.110),
                                                        (30.0, 0.230))) -> list:
    docs: list = [RunStart(run_id="r", t=0.0, rig="twin", device="p", plan="x")]
    docs += [Measurement(run_id="r", t=t + 1, name="response_latency", value=v, unit="s",
                         t_start=t) for t, v in latencies]
    docs += [Incident(run_id="r", t=onset, incident=kind, t_onset=onset, t_end=end,
                      message="m") for kind, onset, end in incidents]
    docs.append(RunStop(run_id="r", t=duration_s, reason="completed", verdict="FAIL"))
    return docs


PERFECT = [("freeze", 100.5, 105.0), ("crash", 200.1, 203.2), ("freeze", 400.3, 406.0),
           ("app-exit", 900.2, 900.2)]


def test_a_perfect_detector_scores_one() -> None:
    report = score_run(_run(PERFECT), TRUTH)
    for kind in ("freeze", "crash", "close"):
        assert report.kinds[kind].recall == 1.0
        assert report.kinds[kind].precision == 1.0
    assert report.false_incidents == 0 and report.false_per_hour == 0.0
    assert report.duration_s == 3600.0


def test_onset_and_latency_errors_are_the_hand_computed_percentiles() -> None:
    report = score_run(_run(PERFECT), TRUTH)
    # onset errors 0.5, 0.1, 0.3, 0.2 s: median 250 ms; p95 = 0.3 + 0.85 * 0.2 = 0.47 s
    assert report.onset_error_ms(50) == pytest.approx(250.0)
    assert report.onset_error_ms(95) == pytest.approx(470.0)
    assert report.kinds["freeze"].onset_error_ms(50) == pytest.approx(400.0)
    # latency errors +10, -10, +30 ms: median 10; |errors| 10, 10, 30: p95 = 10 + 0.9*20
    assert report.latency_error_ms("median") == pytest.approx(10.0)
    assert report.latency_error_ms("p95") == pytest.approx(28.0)
    assert report.latency_unmatched == 0 and report.responses_unmeasured == 0


def test_a_detector_that_misses_every_freeze_scores_recall_zero_on_freezes() -> None:
    report = score_run(_run([i for i in PERFECT if i[0] != "freeze"]), TRUTH)
    assert report.kinds["freeze"].recall == 0.0
    assert report.kinds["freeze"].precision is None  # it reported no freeze at all
    assert report.kinds["crash"].recall == 1.0
    assert report.false_per_hour == 0.0


def test_a_false_incident_lowers_precision_and_raises_false_per_hour() -> None:
    # half an hour, one freeze where nothing happened: 2 correct of 3, 1 false / 0.5 h
    report = score_run(_run([*PERFECT, ("freeze", 1000.0, 1004.0)], duration_s=1800.0), TRUTH)
    assert report.kinds["freeze"].precision == pytest.approx(2 / 3)
    assert report.kinds["freeze"].recall == 1.0
    assert report.false_incidents == 1
    assert report.false_per_hour == pytest.approx(2.0)


def test_the_kind_must_match_and_the_tolerance_is_two_seconds() -> None:
    # a crash reported during a freeze is false; a freeze first seen 1.9 s after the end of
    # the truth's freeze still matches, one seen 2.1 s after does not
    report = score_run(_run([("crash", 101.0, 104.0), ("freeze", 106.9, 110.0),
                             ("freeze", 408.1, 409.0)]), TRUTH)
    assert report.kinds["crash"].correct == 0 and report.kinds["crash"].recall == 0.0
    assert report.kinds["freeze"].detected == 1 and report.kinds["freeze"].false == 1
    assert score_run(_run([("freeze", 408.1, 409.0)]), TRUTH, tolerance_s=2.5
                     ).kinds["freeze"].detected == 1


def test_a_fault_reported_twice_is_one_detection_and_a_duplicate() -> None:
    report = score_run(_run([("freeze", 100.5, 102.0), ("freeze", 102.5, 105.0)]), TRUTH)
    freeze = report.kinds["freeze"]
    assert (freeze.detected, freeze.correct, freeze.duplicates) == (1, 2, 1)
    assert freeze.onset_errors_s == [pytest.approx(0.5)]


def test_latency_without_a_truth_response_is_counted_not_scored() -> None:
    report = score_run(_run([], latencies=((10.0, 0.08), (15.0, 0.3))), TRUTH)
    assert report.latency_errors_s == [pytest.approx(0.0)]
    assert report.latency_unmatched == 1
    assert report.responses_unmeasured == 2  # the touches at 20 s and 30 s


def test_an_open_incident_lasts_until_the_run_stops() -> None:
    truth = GroundTruth(faults=[TruthFault("crash", 3000.0, None, "Video")])
    report = score_run(_run([("crash", 2990.0, None)]), truth)
    assert report.kinds["crash"].recall == 1.0


def test_the_missed_faults_and_false_incidents_are_listed_with_the_step_they_fell_in() -> None:
    docs = _run([("crash", 200.1, 203.2), ("freeze", 1000.0, 1004.0)])
    docs.insert(1, StepDoc(run_id="r", t=108.0, flow="video", iteration=0, index=2,
                           step="watch", status="ok", t_start=98.0))
    report = score_run(docs, TRUTH)
    assert [(f.kind, f.t_start) for f in report.missed] == [
        ("freeze", 100.0), ("freeze", 400.0), ("close", 900.0)]
    assert [(i.incident, i.t_onset) for i in report.false_alarms] == [("freeze", 1000.0)]
    assert report.step_at(100.0) == "video/watch"
    assert report.step_at(400.0) == "-"


def test_a_dead_zone_no_robot_touch_landed_in_is_not_scored() -> None:
    truth = GroundTruth(
        touches=[TruthTouch(50.0, 10.0, 10.0, 50.06, False, "ignored:dead_zone"),
                 TruthTouch(70.0, 10.0, 10.0, 70.06, False, "ignored:dead_zone", True)],
        faults=[TruthFault("dead_zone", 40.0, 60.0, "Counter"),  # a robot touch hit it
                TruthFault("dead_zone", 65.0, 80.0, "Counter"),  # only a ghost touch did
                TruthFault("dead_zone", 90.0, 99.0, "Counter")])  # nothing touched it
    report = score_run(_run([]), truth)
    assert report.kinds["dead_zone"].truth == 1
    assert report.kinds["dead_zone"].recall == 0.0
    assert report.unobserved == {"dead_zone": 2}
    found = score_run(_run([("unresponsive-touch", 50.0, 51.0)]), truth)
    assert found.kinds["dead_zone"].recall == 1.0 and found.false_incidents == 0


def test_pooled_runs_score_all_their_faults_and_incidents_together() -> None:
    # run a: every fault found, one false freeze; run b (2 h): the first freeze missed
    a = score_run(_run([*PERFECT, ("freeze", 600.0, 601.0)]), TRUTH)
    b = score_run(_run([i for i in PERFECT if i[1] != 100.5], duration_s=7200.0), TRUTH)
    pooled = pool([a, b])
    freeze = pooled.kinds["freeze"]
    # 4 freezes in the truths, 3 found; 4 freeze incidents (a's 3, b's 1), 3 of them right
    assert (freeze.truth, freeze.detected, freeze.incidents, freeze.correct) == (4, 3, 4, 3)
    assert freeze.recall == pytest.approx(0.75) and freeze.precision == pytest.approx(0.75)
    assert pooled.kinds["crash"].recall == 1.0 and pooled.kinds["close"].truth == 2
    assert pooled.duration_s == 10800.0
    assert pooled.false_per_hour == pytest.approx(1 / 3)
    # onset errors of both runs: a's 0.5, 0.3 (freeze), b's 0.3
    assert sorted(freeze.onset_errors_s) == pytest.approx([0.3, 0.3, 0.5])
    assert len(pooled.latency_errors_s) == 6
    assert pooled.missed == [] and pooled.false_alarms == []  # they stay with each run


def test_pooling_nothing_or_different_tolerances_is_refused() -> None:
    with pytest.raises(ValueError, match="no reports"):
        pool([])
    with pytest.raises(ValueError, match="tolerances"):
        pool([score_run(_run(PERFECT), TRUTH), score_run(_run(PERFECT), TRUTH, 1.0)])
