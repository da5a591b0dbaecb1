"""End to end on the twin: a soak with a known fault schedule, scored against ground truth.

The runner and monitors only see camera frames; the twin's ground truth (rig.truth) is the
independent reference here.
"""

import pytest

from tapbot.core import Dispatcher, Incident, Measurement, RunStop, TouchDoc
from tapbot.flows import DEMO_MIX
from tapbot.rig import build_rig
from tapbot.runner import Runner

SCHEDULE = [
    {"kind": "freeze", "at_s": 40.0, "duration_s": 4.0},
    {"kind": "crash", "at_s": 75.0},
    {"kind": "freeze", "at_s": 120.0, "duration_s": 7.0},
    {"kind": "crash", "at_s": 170.0},
    {"kind": "freeze", "at_s": 215.0, "duration_s": 3.0},
]


def soak(schedule, duration_s, seed=5, fps=60.0):
    rig = build_rig(None, seed=seed, overrides={
        "device": {"faults": {"schedule": schedule}},
        "camera": {"fps": fps},
    })
    docs = []
    dispatcher = Dispatcher()
    dispatcher.subscribe(docs.append)
    stop = Runner(rig, dispatcher, run_id="e2e").run_soak(DEMO_MIX, duration_s, seed=seed)
    return rig, docs, stop


@pytest.fixture(scope="module")
def faulty():
    return soak(SCHEDULE, 260.0)


def test_every_injected_fault_is_reported_as_an_incident_of_its_kind(faulty):
    rig, docs, stop = faulty
    incidents = [d for d in docs if isinstance(d, Incident)]
    truth = rig.truth.faults
    assert [f.kind for f in truth] == [e["kind"] for e in SCHEDULE]
    for fault in truth:
        end = fault.t_end if fault.t_end is not None else stop.t
        matching = [i for i in incidents if i.incident == fault.kind
                    and i.t_onset <= end + 0.5
                    and (i.t_end if i.t_end is not None else stop.t) >= fault.t_start - 0.5]
        assert matching, f"{fault} was not reported; incidents: {incidents}"
    assert stop.verdict == "FAIL"


def test_no_incident_is_reported_outside_a_fault_window(faulty):
    rig, docs, stop = faulty
    for inc in (d for d in docs if isinstance(d, Incident)):
        overlapping = [f for f in rig.truth.faults
                       if inc.t_onset <= (f.t_end or stop.t) + 1.5
                       and (inc.t_end or stop.t) >= f.t_start - 0.5]
        assert overlapping, f"false incident {inc}"


def _latency_errors(rig, docs):
    by_touch = {round(r.t_touch, 6): r for r in rig.truth.responses}
    errors = []
    for m in docs:
        if isinstance(m, Measurement) and m.name == "response_latency":
            truth = by_touch[round(m.t_start, 6)]
            errors.append(m.value - truth.latency_s)
    return errors


def test_measured_latency_agrees_with_ground_truth_within_one_frame(faulty):
    rig, docs, _ = faulty
    errors = _latency_errors(rig, docs)
    assert len(errors) > 50
    period = 1.0 / rig.camera.fps
    assert all(-1e-6 <= e < period + 1e-6 for e in errors), (min(errors), max(errors))


@pytest.mark.parametrize("fps", [30.0, 240.0])
def test_latency_bound_holds_at_other_frame_rates(fps):
    rig, docs, _ = soak([], 40.0, seed=2, fps=fps)
    errors = _latency_errors(rig, docs)
    assert errors
    assert all(-1e-6 <= e < 1.0 / fps + 1e-6 for e in errors), (min(errors), max(errors))


def test_a_healthy_phone_gives_a_pass_with_no_incidents():
    _, docs, stop = soak([], 150.0, seed=9)
    assert not [d for d in docs if isinstance(d, Incident)]
    assert stop.verdict == "PASS"
    assert stop.reason == "completed"
    assert stop.t >= 150.0


def test_the_run_ends_with_the_finger_up_and_parked(faulty):
    rig, _, _ = faulty
    assert rig.robot.fingers_down == frozenset()
    park = rig.robot.settings.park_mm
    x, y, z = rig.robot.backend.request_position()
    assert abs(x - park[0]) < 0.5 and abs(y - park[1]) < 0.5
    assert z >= rig.robot.clearance_z_mm - 1e-6


def test_every_touch_the_runner_reports_is_a_touch_the_phone_felt(faulty):
    rig, docs, _ = faulty
    felt = {round(t.t_down, 6) for t in rig.truth.touches}
    reported = [d for d in docs if isinstance(d, TouchDoc)]
    assert reported
    assert all(round(d.t_down, 6) in felt for d in reported)


def test_same_seed_gives_identical_documents_apart_from_wall_clock():
    def strip(docs):
        return [d.model_dump(exclude={"wall"}) for d in docs]

    _, a, _ = soak(SCHEDULE[:2], 90.0, seed=11)
    _, b, _ = soak(SCHEDULE[:2], 90.0, seed=11)
    assert strip(a) == strip(b)
    assert isinstance(a[-1], RunStop)


#: One of every fault kind the monitors must report, and the incident kind that reports it.
ALL_KINDS = [
    ({"kind": "stall", "at_s": 20.0}, "stall"),
    ({"kind": "anr", "at_s": 60.0}, "anr"),
    ({"kind": "close", "at_s": 110.0}, "app-exit"),
    ({"kind": "reboot", "at_s": 160.0}, "reboot"),
    ({"kind": "crash", "at_s": 220.0}, "crash"),
    ({"kind": "freeze", "at_s": 270.0, "duration_s": 4.0}, "freeze"),
]


@pytest.fixture(scope="module")
def every_kind():
    return soak([f for f, _ in ALL_KINDS], 330.0, seed=1)


def test_every_fault_kind_is_reported_as_its_incident_kind_and_nothing_else(every_kind):
    rig, docs, stop = every_kind
    incidents = [d for d in docs if isinstance(d, Incident)]
    truth = rig.truth.faults
    assert [f.kind for f in truth] == [f["kind"] for f, _ in ALL_KINDS]
    expected = dict((f["kind"], k) for f, k in ALL_KINDS)
    matched = set()
    for fault in truth:
        end = fault.t_end if fault.t_end is not None else stop.t
        hits = [i for i in incidents if i.incident == expected[fault.kind]
                and i.t_onset <= end + 1.5
                and (i.t_end if i.t_end is not None else stop.t) >= fault.t_start - 1.5]
        assert hits, f"{fault} was not reported as {expected[fault.kind]}; got {incidents}"
        matched.update(id(i) for i in hits)
    assert all(id(i) in matched for i in incidents), "an incident matches no injected fault"
    assert rig.robot.fingers_down == frozenset()


def test_incidents_keep_a_clip_and_the_views_before_and_after(tmp_path):
    from tapbot.store import Artifacts

    rig = build_rig(None, seed=1, overrides={
        "device": {"faults": {"schedule": [{"kind": "crash", "at_s": 15.0}]}}})
    docs = []
    dispatcher = Dispatcher()
    dispatcher.subscribe(docs.append)
    Runner(rig, dispatcher, run_id="ev", artifacts=Artifacts(tmp_path)).run_soak(
        DEMO_MIX, 30.0, seed=1)
    (crash,) = [d for d in docs if isinstance(d, Incident)]
    clip = [p for p in crash.evidence if p.startswith("clips/")]
    assert len(clip) >= 10  # about 2 s at 10 frames per second
    assert any(p.endswith("-before.png") for p in crash.evidence)
    assert any(p.endswith("-after.png") for p in crash.evidence)
    assert all((tmp_path / p).is_file() for p in crash.evidence)


def test_a_dead_zone_is_reported_as_unresponsive_touch_while_it_lasts():
    rig, docs, _ = soak([{"kind": "dead_zone", "at_s": 30.0, "duration_s": 40.0,
                             "region": [0.3, 0.55, 0.7, 0.7]}], 120.0, seed=1)
    (zone,) = rig.truth.faults
    incidents = [d for d in docs if isinstance(d, Incident)]
    assert incidents and all(i.incident == "unresponsive-touch" for i in incidents)
    assert all(zone.t_start <= i.t_onset <= zone.t_end for i in incidents)
