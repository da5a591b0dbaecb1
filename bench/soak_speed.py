"""How fast the twin soaks: simulated seconds per wall second (target >= 60 on 2 cores).

    python bench/soak_speed.py [--duration 1h] [--seed 1] [--no-faults] [--no-worker]

Runs the demo soak (the demo's flow mix: every library flow, and its fault rates) with
documents written to a temporary folder, and prints the figure as its last line. CPU seconds are
printed too (this process's, the twin's copy's in its second process, see
:mod:`tapbot.sim.replica`, and the document writer's, see :mod:`tapbot.store.writer`;
``--no-worker`` renders everything in one process): on a shared machine the wall figure depends
on the other load. The split of this process's time between the twin and the runner's own work
(:mod:`twin_share`) tells the floor a faster twin could reach.
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
from tapbot.store import Artifacts
from tapbot.store.writer import DocumentWriter
from twin_share import TwinShare


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
        writer = DocumentWriter(Path(tmp) / "documents.jsonl",  # as ``tapbot demo`` writes
                                f"sqlite:///{Path(tmp) / 'tapbot.db'}")
        summary = RunSummary()
        dispatcher.subscribe(writer)
        dispatcher.subscribe(summary)
        runner = Runner(rig, dispatcher, run_id="bench", artifacts=Artifacts(Path(tmp)))
        share = TwinShare(rig)
        t0 = wall_perf()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        runner.run_soak(demo_mix(), duration_s=duration_s, seed=args.seed, plan="bench")
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
        copy_cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime  # (the copy has ended)
        writer.close()  # (the run is done when its documents are written)
        wall = wall_perf() - t0
        writer_cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - copy_cpu
    print(f"simulated {summary.sim_time_s:.0f} s in {wall:.1f} s wall; steps {summary.steps}; "
          f"touches measured {len(summary.latencies_s)}; incidents {len(summary.incidents)}")
    print(f"cpu {cpu:.1f} s (+ {copy_cpu:.1f} s in the twin's copy, {writer_cpu:.1f} s in the "
          f"document writer); sim_seconds_per_cpu_second: {summary.sim_time_s / cpu:.1f}")
    print(share.report(summary.sim_time_s))
    print(f"sim_seconds_per_wall_second: {summary.sim_time_s / wall:.1f}")


if __name__ == "__main__":
    main()
