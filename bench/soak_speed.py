"""How fast the twin soaks: simulated seconds per wall second (target >= 60 on 2 cores).

    python bench/soak_speed.py [--duration 1h] [--seed 1] [--no-faults] [--no-worker]

Runs the demo soak (the demo's flow mix: every library flow, and its fault rates) with
documents written to a temporary folder, and prints the figure as its last line. CPU seconds are
printed too (this process's, and the twin's copy's in its second process: see
:mod:`tapbot.sim.replica`; ``--no-worker`` renders everything in one process): on a shared
machine the wall figure depends on the other load.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

from tapbot.cli.durations import parse_duration
from tapbot.cli.main import DEMO_FAULTS
from tapbot.core.clock import wall_perf
from tapbot.core.documents import Dispatcher
from tapbot.flows.library import demo_mix
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary
from tapbot.store import Artifacts, JsonlWriter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="1h")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--no-worker", action="store_true",
                        help="no second process for the twin's every-frame samples")
    args = parser.parse_args()
    duration_s = parse_duration(args.duration)
    faults = {} if args.no_faults else DEMO_FAULTS
    rig = build_rig(None, seed=args.seed, overrides={"device": {"faults": faults},
                                                     "camera": {"worker": not args.no_worker}})
    with tempfile.TemporaryDirectory() as tmp:
        dispatcher = Dispatcher()
        writer = JsonlWriter(Path(tmp) / "documents.jsonl")
        summary = RunSummary()
        dispatcher.subscribe(writer)
        dispatcher.subscribe(summary)
        runner = Runner(rig, dispatcher, run_id="bench", artifacts=Artifacts(Path(tmp)))
        t0 = wall_perf()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        runner.run_soak(demo_mix(), duration_s=duration_s, seed=args.seed, plan="bench")
        wall = wall_perf() - t0
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
        writer.close()
    print(f"simulated {summary.sim_time_s:.0f} s in {wall:.1f} s wall; steps {summary.steps}; "
          f"touches measured {len(summary.latencies_s)}; incidents {len(summary.incidents)}")
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"cpu {cpu:.1f} s (+ {child.ru_utime:.1f} s in the twin's copy); "
          f"sim_seconds_per_cpu_second: {summary.sim_time_s / cpu:.1f}")
    print(f"sim_seconds_per_wall_second: {summary.sim_time_s / wall:.1f}")


if __name__ == "__main__":
    main()
