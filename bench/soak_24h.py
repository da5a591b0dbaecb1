"""A long soak on the twin: wall time, speed, resident memory per simulated hour, incidents,
and (with faults) recall and precision per fault kind against the twin's ground truth.

    python bench/soak_24h.py [--duration 24h] [--seed 1] [--faults none|demo|all] [--share]
                             [--looks] [--keep DIR]

The mix is ``tapbot demo``'s (every library flow). Targets (issue 5): a healthy phone gives
zero incidents over 24 simulated hours; the default mix soaks 24 h in <= 10 min wall on 2 cores
with flat resident memory; with every fault kind injected, recall and precision >= 0.95 per
kind. Documents go to a temporary folder (JSON Lines and the SQLite store, through the writer
process of ``tapbot soak``). The last lines are the figures. ``--share`` also tells how much of
the runner's thread went to the twin (:mod:`twin_share`); its wrapping costs the runner ~1 %
(two reads of the thread's CPU clock per call), so the 24 h target's wall figure is measured
without it. ``--looks`` tells which frames the runner had the twin render, by purpose, per touch
(:mod:`twin_looks`; a measuring tool too).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import tempfile
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from tapbot.cli.durations import parse_duration
from tapbot.core.clock import wall_perf
from tapbot.core.documents import Dispatcher
from tapbot.flows import Plan
from tapbot.flows.library import demo_mix
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary
from tapbot.store import Artifacts, read_documents
from tapbot.store.writer import DocumentWriter
from twin_looks import TwinLooks
from twin_share import TwinShare

#: Fault kinds injected with --faults all (the ones the monitors are meant to report).
DETECTED_KINDS = ("stall", "freeze", "anr", "crash", "close", "reboot", "glitch", "dead_zone")
FAULTS = {
    "none": {},
    "demo": {"freeze_per_hour": 4.0, "crash_per_hour": 3.0},
    "all": {"per_hour": {k: 2.0 for k in DETECTED_KINDS}},
}


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now (Linux /proc; 0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            pages = int(fh.read().split()[1])
    except FileNotFoundError:
        return 0.0
    return pages * 4096 / 1e6


class HourlyMemory:
    """A subscriber noting resident memory at each simulated hour: this process's, and the
    twin's copy's (``copy_pid``: the process rendering the camera's every-frame samples)."""

    def __init__(self, copy_pid) -> None:
        self.t0: float | None = None
        self.samples: list[tuple[int, float]] = []
        self.copy_samples: list[tuple[int, float]] = []
        self._copy_pid = copy_pid
        self.copy_pid_seen: int | None = None  # the copy's process id, once it is running

    def __call__(self, doc: BaseModel) -> None:
        t = doc.t  # type: ignore[attr-defined]
        if self.copy_pid_seen is None:
            self.copy_pid_seen = self._copy_pid()
        if self.t0 is None:
            self.t0 = t
        hour = int((t - self.t0) // 3600)
        if not self.samples or hour > self.samples[-1][0]:
            self.samples.append((hour, rss_mb()))
            pid = self._copy_pid()
            copy = rss_mb(pid) if pid is not None else None
            if copy is not None:
                self.copy_samples.append((hour, copy))
            # as it goes: a day-long run that is stopped early still tells its memory
            print(f"hour {hour}: rss {self.samples[-1][1]:.0f} MB"
                  + (f", copy {copy:.0f} MB" if copy is not None else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="24h")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", choices=sorted(FAULTS), default="none")
    parser.add_argument("--share", action="store_true",
                        help="also measure the twin's share of the runner's thread")
    parser.add_argument("--looks", action="store_true",
                        help="also count the frames the runner has the twin render, by purpose")
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="keep the run's documents, database and evidence in DIR (to look "
                        "at an incident: they go to a temporary directory otherwise)")
    args = parser.parse_args()
    duration_s = parse_duration(args.duration)
    rig = build_rig(None, seed=args.seed, overrides={"device": {"faults": FAULTS[args.faults]}})
    plan = Plan.from_mix(demo_mix(), name="bench-24h", seed=args.seed, duration_s=duration_s)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    with contextlib.nullcontext(str(args.keep)) if args.keep is not None \
            else tempfile.TemporaryDirectory() as tmp:
        dispatcher = Dispatcher()
        # the documents go where ``tapbot soak`` sends them, through its writer process
        writer = DocumentWriter(Path(tmp) / "documents.jsonl",
                                f"sqlite:///{Path(tmp) / 'tapbot.db'}")
        summary = RunSummary()
        memory = HourlyMemory(lambda: getattr(rig.camera, "worker_pid", None))
        for sub in (writer, summary, memory):
            dispatcher.subscribe(sub)
        runner = Runner(rig, dispatcher, run_id="bench", artifacts=Artifacts(Path(tmp)))
        share = TwinShare(rig) if args.share else None
        looks = TwinLooks(rig) if args.looks else None
        t0 = wall_perf()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        stop = runner.run_plan(plan)
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
        copy_cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime  # (the copy has ended)
        writer.close()  # (the run is done when its documents are written)
        wall = wall_perf() - t0
        writer_cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - copy_cpu
        report = None
        if args.faults != "none":
            from tapbot.sim.score import score_run  # the scorer of ``tapbot twin score``

            report = score_run(read_documents(Path(tmp) / "documents.jsonl"), rig.truth)
    kinds = Counter(i.incident for i in summary.incidents)
    print(f"simulated {summary.sim_time_s:.0f} s in {wall:.1f} s wall "
          f"({summary.sim_time_s / wall:.1f} sim s per wall s); steps {summary.steps}; "
          f"touches measured {len(summary.latencies_s)}; verdict {stop.verdict}")
    print(f"cpu {cpu:.1f} s ({summary.sim_time_s / cpu:.1f} sim s per cpu s; the wall figure "
          f"depends on what else runs on the machine); the twin's copy {copy_cpu:.1f} s, "
          f"the document writer {writer_cpu:.1f} s")
    for name, samples in (("", memory.samples), ("copy_", memory.copy_samples)):
        print(f"{name}rss_mb_by_sim_hour: " + " ".join(f"h{h}={m:.0f}" for h, m in samples))
        if len(samples) >= 3:
            first, last = samples[1][1], samples[-1][1]
            print(f"{name}rss_growth_after_hour_1: {100 * (last - first) / first:+.1f} %")
    print(f"incidents: {sum(kinds.values())} " + " ".join(f"{k}={n}" for k, n in
                                                          sorted(kinds.items())))
    if args.faults != "none":
        truth = rig.truth.faults
        print(f"injected: {len(truth)} " + " ".join(
            f"{k}={n}" for k, n in sorted(Counter(f.kind for f in truth).items())))
        assert report is not None
        for kind, ks in report.kinds.items():
            r = "-" if ks.recall is None else f"{ks.recall:.2f}"
            p = "-" if ks.precision is None else f"{ks.precision:.2f}"
            print(f"{kind:10s} recall {r} precision {p} (faults {ks.truth}, "
                  f"incidents {ks.incidents})")
        print(f"false incidents per simulated hour: {report.false_per_hour:.2f}")
    print(f"wall_minutes_for_24h: {wall / 60 * 86400 / max(summary.sim_time_s, 1):.1f}")
    print(f"cpu_minutes_for_24h: {cpu / 60 * 86400 / max(summary.sim_time_s, 1):.1f}")
    if share is not None:
        print(share.report(summary.sim_time_s))
    if looks is not None:
        print(looks.report(len(summary.latencies_s), cpu))
    # (for bench/soak_instructions.py, which tells the processes apart by these)
    print(f"processes: runner {os.getpid()} copy {memory.copy_pid_seen} "
          f"writer {writer.pid}")


if __name__ == "__main__":
    main()
