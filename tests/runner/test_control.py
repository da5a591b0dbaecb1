"""The runner's control: stop after the step, abort, suspend on a lost part; the rig always
ends with the finger up and parked."""

from tapbot.core import Incident, RunStop, StepDoc
from tapbot.core.errors import ConnectionLost
from tapbot.flows import DEMO_MIX, Plan
from tapbot.runner import RunState


def parked(rig):
    park = rig.robot.settings.park_mm
    x, y, z = rig.robot.backend.request_position()
    return (rig.robot.fingers_down == frozenset() and abs(x - park[0]) < 0.5
            and abs(y - park[1]) < 0.5 and z >= rig.robot.clearance_z_mm - 1e-6)


def test_stop_request_finishes_the_current_step_then_parks(twin):
    rig, runner, docs = twin()

    def stop_after_three(doc):
        if isinstance(doc, StepDoc) and sum(isinstance(d, StepDoc) for d in docs) == 3:
            runner.request_stop()

    runner.dispatcher.subscribe(stop_after_three)
    stop = runner.run_soak(DEMO_MIX, 600.0, seed=1)
    assert stop.reason == "stopped" and stop.verdict == "INCOMPLETE"
    assert sum(isinstance(d, StepDoc) for d in docs) == 3
    assert runner.state == RunState.FINISHED
    assert parked(rig)


def test_a_second_interrupt_aborts_at_once_and_still_parks(twin):
    rig, runner, docs = twin()

    def interrupt(doc):
        if isinstance(doc, StepDoc) and doc.index == 2:
            raise KeyboardInterrupt

    runner.dispatcher.subscribe(interrupt)
    stop = runner.run_soak(DEMO_MIX, 600.0, seed=1)
    assert stop.reason == "aborted" and isinstance(docs[-1], RunStop)
    assert parked(rig)


def test_a_lost_part_suspends_the_run_which_resumes_when_it_is_back(twin):
    rig, runner, docs = twin()
    states = []
    original_to = runner.machine.to

    def record(state):
        states.append(state)
        original_to(state)

    runner.machine.to = record
    perform = rig.robot.perform
    calls = {"n": 0}

    def flaky(path):
        calls["n"] += 1
        if calls["n"] == 4:
            raise ConnectionLost("the robot's port vanished")
        return perform(path)

    rig.robot.perform = flaky
    stop = runner.run_plan(Plan.from_mix(DEMO_MIX[:1], seed=2, iterations=2))
    assert RunState.PAUSED in states
    assert states[states.index(RunState.PAUSED) + 1] == RunState.RUNNING
    assert stop.reason == "completed" and stop.verdict == "PASS"
    assert not [d for d in docs if isinstance(d, Incident)]
    # the interrupted iteration started over and both iterations completed
    last_steps = [d for d in docs if isinstance(d, StepDoc) and d.last]
    assert [d.slot for d in last_steps] == [0, 1]
    assert parked(rig)
