"""Does a soak's memory grow with its length? Resident memory at each simulated hour.

    python bench/soak_memory.py [--duration 24h] [--every 1h] [--seed 1] [--no-faults]

Runs the demo soak (the demo's flow mix and fault rates, documents to JSON Lines and SQLite in
a temporary folder, as ``tapbot demo`` does) and prints, at the start and at every simulated
``--every``:

- ``rss``: the process's resident memory (``VmRSS`` of /proc/self/status, after a
  ``gc.collect()``) at that instant;
- ``peak``: the highest resident memory since the previous sample (``VmHWM``, reset each time);
- ``heap free``: memory glibc's malloc holds free for reuse (``mallinfo2``): frames and images
  of a few MB are freed into the heap and stay resident until reused, so ``rss`` at an instant
  swings by tens of MB with what was freed last, while live memory stays flat;
- the twin's ground-truth footprint (the one store that grows with the run, by design a few
  tens of bytes per touch and response) and the number of Python objects alive;
- wall and CPU seconds so far (the machine is shared: CPU seconds are the steadier clock).

``--trim-every-steps N`` is an experiment, off by default: glibc's ``malloc_trim(0)`` every N
steps hands the free heap pages back to the kernel, which shows how much of ``rss`` is live.

Target (issue 3): the figure at simulated hour 24 within 10 % of hour 1. The last line is the
ratio of the last ``--every`` mark to the first (hour 24 / hour 1 by default); a sample at the
run's end, after the last mark, is printed but not compared.

It takes as long as the soak: 8 simulated hours took 41 min wall (2407 s CPU) on the shared
2-core machine when this was written, so 24 h is about 2 h: run it once, not in a loop. For a
quick look, ``--duration 2h --every 20m`` compares 2 h with 20 min.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import resource
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
from tapbot.sim import GroundTruth
from tapbot.store import Artifacts, JsonlWriter, SqlStore, database_url


def rss_mb() -> float:
    """Resident memory of this process in MB (VmRSS of /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def reset_peak() -> bool:
    """Restart the kernel's peak-RSS count (VmHWM); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_mb() -> float:
    """Peak resident memory in MB since the last :func:`reset_peak` (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def heap_free_mb() -> float | None:
    """Memory glibc's malloc holds free (fordblks of mallinfo2): resident pages the process
    keeps for reuse; None without glibc >= 2.33."""
    if _LIBC is None:
        return None
    return _LIBC.mallinfo2().fordblks / 2**20


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class HeapTrimmer:
    """Experiment (``--trim-every-steps``): hand glibc's free heap pages back to the kernel
    (``malloc_trim(0)``) every ``every`` step documents, as a runner could between steps."""

    def __init__(self, every: int) -> None:
        if _LIBC is None:
            raise SystemExit("--trim-every-steps needs glibc")
        self.every = every
        self.steps = 0
        self.calls = 0
        self.cpu_s = 0.0

    def __call__(self, doc: BaseModel) -> None:
        if getattr(doc, "kind", "") != "step":
            return
        self.steps += 1
        if self.steps % self.every == 0:
            c0 = cpu_s()
            _LIBC.malloc_trim(0)
            self.cpu_s += cpu_s() - c0
            self.calls += 1


class MemoryProbe:
    """A document subscriber: records VmRSS when the run's clock passes each mark."""

    def __init__(self, every_s: float, truth: GroundTruth | None) -> None:
        self.every_s = every_s
        self.truth = truth
        self.wall0 = wall_perf()
        self.cpu0 = cpu_s()
        self.next_mark = every_s
        self.samples: list[tuple[float, float, float]] = []  # (simulated s, RSS MB, peak MB)
        self.has_peak = reset_peak()

    def __call__(self, doc: BaseModel) -> None:
        t = getattr(doc, "t", 0.0)
        while t >= self.next_mark:
            self.record(self.next_mark)
            self.next_mark += self.every_s

    def record(self, t: float) -> None:
        gc.collect()
        mb = rss_mb()
        peak = peak_mb() if self.has_peak else mb
        self.has_peak = self.has_peak and reset_peak()
        self.samples.append((t, mb, peak))
        free = heap_free_mb()
        heap = "" if free is None else f"heap free {free:6.1f}   "
        truth = ""
        if self.truth is not None:
            truth = (f"truth {self.truth.nbytes / 1e6:5.2f} MB ({len(self.truth.touches)} "
                     "touches)   ")
        print(f"  sim {format_duration(t):>8s}   rss {mb:7.1f} MB   peak {peak:7.1f}   {heap}"
              f"{truth}objects {len(gc.get_objects()):8d}   wall {wall_perf() - self.wall0:7.1f} s"
              f"   cpu {cpu_s() - self.cpu0:7.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="24h", help="simulated length, e.g. 24h, 2h, 30m")
    parser.add_argument("--every", default="1h", help="simulated time between samples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--trim-every-steps", type=int, default=0, metavar="N",
                        help="experiment: malloc_trim(0) every N steps (default 0: never, "
                             "as tapbot itself does today)")
    args = parser.parse_args()
    duration_s = parse_duration(args.duration)
    every_s = parse_duration(args.every)
    if not 0 < every_s <= duration_s:
        parser.error(f"--every must be > 0 and at most --duration ({args.duration})")
    faults = {} if args.no_faults else DEMO_FAULTS
    print(f"soak memory: demo soak of {format_duration(duration_s)} simulated, seed "
          f"{args.seed}, faults {'on' if faults else 'off'}, a sample every "
          f"{format_duration(every_s)}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rig = build_rig(None, seed=args.seed, overrides={"device": {"faults": faults}})
        plan = Plan.from_mix(demo_mix(), name="bench", seed=args.seed, duration_s=duration_s)
        dispatcher = Dispatcher()
        writer = JsonlWriter(out / "bench" / "documents.jsonl")
        store = SqlStore(database_url(out))
        summary = RunSummary()
        probe = MemoryProbe(every_s, rig.truth)
        trimmer = HeapTrimmer(args.trim_every_steps) if args.trim_every_steps > 0 else None
        for sub in (writer, store, summary, trimmer, probe):
            if sub is not None:
                dispatcher.subscribe(sub)
        runner = Runner(rig, dispatcher, run_id="bench", artifacts=Artifacts(out / "bench"))
        probe.record(0.0)
        try:
            runner.run_plan(plan)
        finally:
            writer.close()
            store.close()
        marks = list(probe.samples)  # the ratio compares marks (hour 24 with hour 1)
        if probe.samples[-1][0] < summary.sim_time_s - 1:
            probe.record(summary.sim_time_s)  # the end, for the record
        wall, cpu = wall_perf() - probe.wall0, cpu_s() - probe.cpu0
    print(f"simulated {format_duration(summary.sim_time_s)} in {wall:.1f} s wall, {cpu:.1f} s "
          f"CPU; steps {summary.steps}; incidents {len(summary.incidents)}")
    if trimmer is not None:
        print(f"malloc_trim(0) every {trimmer.every} steps: {trimmer.calls} calls, "
              f"{trimmer.cpu_s:.2f} s CPU in all")
    first = next((s for s in marks if s[0] >= every_s - 1e-6), None)
    last_t, last, last_peak = marks[-1]
    if first is None or last_t <= first[0]:
        print("rss_ratio: n/a (run longer than one --every)")
        return
    first_t, first_mb, first_peak = first
    ratio = last / first_mb
    peak_pct = (last_peak / first_peak - 1) * 100
    print(f"peak rss in the interval to {format_duration(first_t)}: {first_peak:.1f} MB; to "
          f"{format_duration(last_t)}: {last_peak:.1f} MB ({peak_pct:+.1f} %)")
    print(f"rss at {format_duration(first_t)}: {first_mb:.1f} MB; at {format_duration(last_t)}: "
          f"{last:.1f} MB ({(ratio - 1) * 100:+.1f} %; target within 10 %)")
    print(f"rss_ratio {format_duration(last_t)} / {format_duration(first_t)}: {ratio:.3f}")


if __name__ == "__main__":
    main()
