"""Does a soak's memory grow with its length? Resident memory at each simulated hour.

    python bench/soak_memory.py [--duration 24h] [--seed 1] [--every 1h] [--no-faults]

Runs the demo soak (the demo's flow mix and fault rates, documents to JSON Lines and SQLite in
a temporary folder, as ``tapbot demo`` does) and prints the process's resident memory
(``VmRSS`` from /proc/self/status) at the start and at every simulated hour (``--every``).
Target: the figure at hour 24 within 10 % of hour 1. The last line is that ratio; a 24 h soak
takes a while (about 20 min on 2 cores), so run it once, not in a loop.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
from pathlib import Path

from pydantic import BaseModel

from tapbot.cli.durations import format_duration, parse_duration
from tapbot.cli.main import DEMO_FAULTS
from tapbot.core.clock import wall_perf
from tapbot.core.documents import Dispatcher
from tapbot.flows.library import demo_mix
from tapbot.flows.plan import Plan
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary
from tapbot.store import Artifacts, JsonlWriter, SqlStore, database_url


def rss_mb() -> float:
    """Resident memory of this process in MB (VmRSS of /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


class MemoryProbe:
    """A document subscriber: records VmRSS when the run's clock passes each mark."""

    def __init__(self, every_s: float, wall0: float) -> None:
        self.every_s = every_s
        self.wall0 = wall0
        self.next_mark = every_s
        self.samples: list[tuple[float, float]] = []

    def __call__(self, doc: BaseModel) -> None:
        t = getattr(doc, "t", 0.0)
        while t >= self.next_mark:
            self.record(self.next_mark)
            self.next_mark += self.every_s

    def record(self, t: float) -> None:
        gc.collect()
        mb = rss_mb()
        self.samples.append((t, mb))
        print(f"  sim {format_duration(t):>8s}   rss {mb:8.1f} MB   "
              f"wall {wall_perf() - self.wall0:7.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="24h")
    parser.add_argument("--every", default="1h", help="simulated time between samples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true")
    args = parser.parse_args()
    duration_s = parse_duration(args.duration)
    every_s = parse_duration(args.every)
    faults = {} if args.no_faults else DEMO_FAULTS
    print(f"soak memory: demo soak of {format_duration(duration_s)} simulated, seed "
          f"{args.seed}, faults {'on' if faults else 'off'}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rig = build_rig(None, seed=args.seed, overrides={"device": {"faults": faults}})
        plan = Plan.from_mix(demo_mix(), name="bench", seed=args.seed, duration_s=duration_s)
        dispatcher = Dispatcher()
        writer = JsonlWriter(out / "bench" / "documents.jsonl")
        store = SqlStore(database_url(out))
        summary = RunSummary()
        wall0 = wall_perf()
        probe = MemoryProbe(every_s, wall0)
        for sub in (writer, store, summary, probe):
            dispatcher.subscribe(sub)
        runner = Runner(rig, dispatcher, run_id="bench", artifacts=Artifacts(out / "bench"))
        probe.record(0.0)
        try:
            runner.run_plan(plan)
        finally:
            writer.close()
            store.close()
        if not probe.samples or probe.samples[-1][0] < summary.sim_time_s - 1:
            probe.record(summary.sim_time_s)
    print(f"simulated {summary.sim_time_s:.0f} s in {wall_perf() - wall0:.1f} s wall; steps "
          f"{summary.steps}; incidents {len(summary.incidents)}")
    first = next((mb for t, mb in probe.samples if t >= every_s - 1e-6), None)
    last_t, last = probe.samples[-1]
    if first is not None and last_t > every_s:
        growth = (last - first) / first * 100.0
        print(f"rss at {format_duration(every_s)}: {first:.1f} MB; at "
              f"{format_duration(last_t)}: {last:.1f} MB ({growth:+.1f} %)")
        print(f"rss_growth_pct_after_first_mark: {growth:.1f}")
    else:
        print("rss_growth_pct_after_first_mark: n/a (run longer than one --every)")


if __name__ == "__main__":
    main()
