"""An interrupted soak resumes from its documents, losing at most the iteration in flight."""

from tapbot.core import Dispatcher, RunStop, StepDoc
from tapbot.flows import DEMO_MIX, Plan
from tapbot.rig import build_rig
from tapbot.runner import Runner, resume_point


def test_a_killed_soak_resumes_where_it_stopped_and_keeps_the_schedule():
    plan = Plan.from_mix(DEMO_MIX, name="p", seed=6, iterations=7)
    expected = [DEMO_MIX[i].flow.name for i, _ in zip(plan.schedule(), range(7), strict=False)]

    rig = build_rig(None, seed=6)
    docs = []
    d = Dispatcher()
    d.subscribe(docs.append)
    Runner(rig, d, run_id="r").run_plan(plan)
    # the process "dies" in the middle of the fourth iteration: keep what was stored before
    firsts = [i for i, x in enumerate(docs) if isinstance(x, StepDoc) and x.slot == 3]
    kept = docs[:firsts[1] + 1]
    assert not any(isinstance(x, RunStop) for x in kept)

    start, point, last_seq, last_t = resume_point(kept)
    assert point.slot == 3 and start.run_id == "r"
    rig2 = build_rig(None, seed=6)
    rig2.clock.advance_to(last_t)
    more = []
    d2 = Dispatcher(start_seq=last_seq)
    d2.subscribe(more.append)
    stop = Runner(rig2, d2, run_id="r").run_plan(plan, resume=point)

    combined = kept + more
    seqs = [x.seq for x in combined]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    done = {x.slot: x.flow for x in combined if isinstance(x, StepDoc) and x.last}
    assert [done[s] for s in range(7)] == expected
    assert stop.verdict == "PASS" and stop.reason == "completed"
    assert stop.steps == sum(isinstance(x, StepDoc) for x in combined)
    # only the in-flight iteration was repeated: slot 3 ran twice, every other slot once
    starts = [x.slot for x in combined if isinstance(x, StepDoc) and x.index == 0]
    assert sorted(starts) == [0, 1, 2, 3, 3, 4, 5, 6]
