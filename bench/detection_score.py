"""How well the monitors detect every fault kind of the twin, scored against its ground truth.

    python bench/detection_score.py [--duration 3h] [--seed 1 | --seeds 1-5]
                                    [--faults all|none] [--rate KIND=PER_HOUR ...]
                                    [--out FOLDER] [--misses] [--trace T [--trace-window S]]

Runs a soak of ``tapbot demo``'s mix (every library flow) on the twin with every fault kind
injected at a rate per hour (``--faults all``; the default rates give >= 10 of each kind in
3 simulated hours; faults never overlap, the twin defers one that comes due during another),
or none (``--faults none``: a healthy phone, where every incident is false). The run is
scored by :func:`tapbot.sim.score.score_run`, the code of ``tapbot twin score``. Prints per
kind: truth faults, incidents, recall, precision, onset error (p50/p95, ms); then false
incidents per simulated hour, the latency error against the truth and CPU/wall time. A dead
zone shows only when a touch lands in it: the scorer leaves out the zones no robot touch
landed in (invisible to any black-box rig) and the bench says how many.

With ``--seeds`` (``1-5`` or ``1,3,7``) one soak per seed runs in turn, each printed as
above, then the runs scored together (:func:`tapbot.sim.score.pool`): per kind, recall and
precision over all their faults and incidents. One 3 h run holds 10-30 faults of a kind, so one
miss moves its recall by 0.03-0.1; five seeds give the target a figure that one unlucky fault
does not decide (the per-seed tables stay, for the misses).

With ``--out`` the documents and the truth are kept in ``FOLDER/bench-detection`` (score it
again with ``tapbot twin score bench-detection --runs-dir FOLDER``). The issue 5 target:
recall >= 0.95 and precision >= 0.95 for every kind, and zero incidents on a healthy phone.

With ``--trace T`` a long run can be diagnosed around one moment without logging all of it:
the ``tapbot.runner`` loggers log at DEBUG, but only the records logged while the rig clock
is within ``--trace-window`` seconds (default 5) of simulated time ``T`` are printed (each
with the simulated time it was logged at; warnings and errors are printed whenever they
come). After the run, the twin's ground truth in that window is printed: the touches, the
responses and the fault windows (the bench is a scorer: it may read the truth; the runner
never does).
"""

from __future__ import annotations

import argparse
import logging
import platform
import resource
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from tapbot.cli.durations import parse_duration
from tapbot.cli.twin import DOCUMENTS_FILE, miss_lines, save_truth
from tapbot.core.clock import Clock, wall_perf
from tapbot.core.documents import Dispatcher
from tapbot.flows import Plan
from tapbot.flows.library import demo_mix
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary
from tapbot.sim.faults import FAULT_KINDS
from tapbot.sim.score import ScoreReport, fmt_ratio, pool, score_run
from tapbot.sim.truth import GroundTruth
from tapbot.store import Artifacts, JsonlWriter, read_documents

#: Faults per simulated hour with ``--faults all``: >= 10 of each kind in 3 h (a slowdown
#: lasts 2-5 min and ends in a reboot, so it comes less often; the reboots it causes count
#: as reboots in the truth).
DEFAULT_RATES: dict[str, float] = {kind: 6.0 for kind in FAULT_KINDS}
DEFAULT_RATES["slowdown"] = 4.5
#: A bump (the phone knocked on the deck) is a rig fault: the run stops at the first one, so it
#: is not in the mix (tests/runner/test_pose_drift.py scores it; ``--rate bump=N`` to try).
DEFAULT_RATES["bump"] = 0.0
RUN_ID = "bench-detection"
#: The loggers ``--trace`` turns to DEBUG (the runner's modules log under it).
TRACED_LOGGER = "tapbot.runner"


def _fmt_ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def parse_rates(items: list[str]) -> dict[str, float]:
    """``KIND=PER_HOUR`` pairs over the default rates."""
    rates = dict(DEFAULT_RATES)
    for item in items:
        kind, _, value = item.partition("=")
        if kind not in FAULT_KINDS or not value:
            raise SystemExit(f"--rate {item!r}: expected KIND=PER_HOUR with KIND one of "
                             f"{', '.join(FAULT_KINDS)}")
        rates[kind] = float(value)
    return {k: v for k, v in rates.items() if v > 0}


def print_score(report: ScoreReport) -> None:
    """The per-kind table and the totals, as plain lines."""
    print(f"{'kind':12s} {'truth':>5s} {'inc':>5s} {'det':>5s} {'false':>5s} {'recall':>6s} "
          f"{'prec':>6s} {'onset p50':>9s} {'onset p95':>9s}")
    for k in report.kinds.values():
        print(f"{k.kind:12s} {k.truth:5d} {k.incidents:5d} {k.detected:5d} {k.false:5d} "
              f"{fmt_ratio(k.recall):>6s} {fmt_ratio(k.precision):>6s} "
              f"{_fmt_ms(k.onset_error_ms(50)):>9s} {_fmt_ms(k.onset_error_ms(95)):>9s}")
    print(f"false incidents: {report.false_incidents} "
          f"({report.false_per_hour:.2f} per simulated hour)")
    print(f"onset error p50/p95: {_fmt_ms(report.onset_error_ms(50))} / "
          f"{_fmt_ms(report.onset_error_ms(95))} ms")
    print(f"latency error: median {_fmt_ms(report.latency_error_ms('median'))} ms, |error| p95 "
          f"{_fmt_ms(report.latency_error_ms('p95'))} ms over {len(report.latency_errors_s)} "
          f"measurements ({report.latency_unmatched} without a truth response)")


class SimTimeWindow(logging.Filter):
    """Passes the records logged while ``clock`` (the rig's) reads within ``[t0, t1]``, and
    every warning or worse; stamps each passed record with ``sim_t``, the clock's reading."""

    def __init__(self, clock: Clock, t0: float, t1: float) -> None:
        super().__init__()
        self.clock = clock
        self.t0 = t0
        self.t1 = t1

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock.now()
        record.sim_t = now
        return self.t0 <= now <= self.t1 or record.levelno >= logging.WARNING


def trace_runner(clock: Clock, t: float, window_s: float) -> logging.Handler:
    """DEBUG logging of the runner, printed (to stdout) only within ``window_s`` of ``t`` on
    ``clock`` (see :class:`SimTimeWindow`); returns the handler (remove it when done)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("[sim %(sim_t)10.3f] %(levelname)-5s %(name)s: "
                                           "%(message)s"))
    handler.addFilter(SimTimeWindow(clock, t - window_s, t + window_s))
    logger = logging.getLogger(TRACED_LOGGER)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return handler


def truth_lines(truth: GroundTruth, t0: float, t1: float) -> list[str]:
    """The twin's ground truth in ``[t0, t1]``, one line per event in time order: touches
    (by touch-down), responses (by when they showed) and faults (those whose window overlaps
    it)."""
    lines: list[tuple[float, str]] = []
    for touch in truth.touches:
        if t0 <= touch.t_down <= t1:
            up = "-" if touch.t_up is None else f"{touch.t_up:.3f}"
            flags = (" handled" if touch.handled else " NOT handled") + \
                (" ghost" if touch.ghost else "")
            lines.append((touch.t_down, f"touch     down {touch.t_down:.3f} up {up} at "
                                        f"({touch.x_px:.0f}, {touch.y_px:.0f}) px "
                                        f"{touch.target}{flags}"))
    for r in truth.responses:
        if t0 <= r.t_visible <= t1 or t0 <= r.t_touch <= t1:
            lines.append((r.t_visible, f"response  to the touch at {r.t_touch:.3f}: ready "
                                       f"{r.t_ready:.3f}, visible {r.t_visible:.3f} "
                                       f"(latency {r.latency_s * 1000:.0f} ms) {r.app} "
                                       f"{r.what}"))
    for f in truth.faults_between(t0, t1):
        end = "open" if f.t_end is None else f"{f.t_end:.3f}"
        details = ", ".join(f"{k}={v}" for k, v in sorted(f.details.items())
                            if isinstance(v, str | int | float))
        lines.append((f.t_start, f"fault     {f.kind} {f.t_start:.3f}-{end} in {f.app}"
                                 + (f" ({details})" if details else "")))
    return [f"[sim {t:10.3f}] truth {text}" for t, text in sorted(lines)]


def parse_seeds(text: str) -> list[int]:
    """``1-5`` or ``1,3,7`` (or both: ``1-3,7``) as a list of seeds."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, dash, hi = part.partition("-")
            seeds += list(range(int(lo), int(hi) + 1)) if dash else [int(lo)]
    except ValueError:
        raise SystemExit(f"--seeds {text!r}: expected seeds like 1-5 or 1,3,7") from None
    if not seeds:
        raise SystemExit(f"--seeds {text!r}: no seeds")
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="3h")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", default=None, metavar="LIST",
                        help="one soak per seed (1-5, 1,3,7), then all of them scored together")
    parser.add_argument("--faults", choices=("all", "none"), default="all")
    parser.add_argument("--rate", action="append", default=[], metavar="KIND=PER_HOUR")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep documents and truth in OUT/bench-detection")
    parser.add_argument("--misses", action="store_true",
                        help="list every missed fault and false incident, with its step")
    parser.add_argument("--trace", type=float, default=None, metavar="T",
                        help="log the runner at DEBUG around simulated time T (s), and print "
                             "the twin's ground truth there")
    parser.add_argument("--trace-window", type=float, default=5.0, metavar="S",
                        help="with --trace: how many simulated seconds either side of T")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds) if args.seeds is not None else [args.seed]
    if len(seeds) > 1 and (args.out is not None or args.trace is not None):
        raise SystemExit("--out and --trace go with one seed")
    reports = []
    for i, seed in enumerate(seeds):
        if i:
            print()
        reports.append(run_seed(args, seed))
    if len(seeds) > 1:
        print(f"\nall {len(seeds)} seeds together ({', '.join(map(str, seeds))}; "
              f"{sum(r.duration_s for r in reports) / 3600:.2f} simulated h):")
        print_score(pool(reports))


def run_seed(args: argparse.Namespace, seed: int) -> ScoreReport:
    """One soak with ``seed``, scored and printed (see the module doc); its score."""
    duration_s = parse_duration(args.duration)
    rates = parse_rates(args.rate) if args.faults == "all" else {}
    rig = build_rig(None, seed=seed, overrides={"device": {"faults": {"per_hour": rates}}})
    plan = Plan.from_mix(demo_mix(), name="bench-detection", seed=seed,
                         duration_s=duration_s)
    tracer = None if args.trace is None else \
        trace_runner(rig.clock, args.trace, args.trace_window)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = (args.out or Path(tmp)) / RUN_ID
        if run_dir.exists():  # the bench's own output of an earlier run
            shutil.rmtree(run_dir)
        dispatcher = Dispatcher()
        writer = JsonlWriter(run_dir / DOCUMENTS_FILE)
        summary = RunSummary()
        dispatcher.subscribe(writer)
        dispatcher.subscribe(summary)
        runner = Runner(rig, dispatcher, run_id=RUN_ID, artifacts=Artifacts(run_dir))
        t0 = wall_perf()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        stop = runner.run_plan(plan)
        wall = wall_perf() - t0
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
        if tracer is not None:
            logging.getLogger(TRACED_LOGGER).removeHandler(tracer)
        writer.close()
        assert rig.truth is not None
        save_truth(rig.truth, run_dir)
        docs = list(read_documents(run_dir / DOCUMENTS_FILE))
        report = score_run(docs, rig.truth)
    injected = Counter(f.kind for f in rig.truth.faults)
    print(f"simulated {summary.sim_time_s / 3600:.2f} h, seed {seed}, faults "
          f"{args.faults}; steps {summary.steps}; touches measured {len(summary.latencies_s)}; "
          f"verdict {stop.verdict}")
    print("rates per hour: " + (" ".join(f"{k}={v:g}" for k, v in rates.items()) or "none"))
    print(f"injected: {sum(injected.values())} " + " ".join(
        f"{k}={n}" for k, n in sorted(injected.items())))
    print_score(report)
    if report.unobserved:
        print("not scored (no robot touch landed in them): " + " ".join(
            f"{k}={n}" for k, n in sorted(report.unobserved.items())))
    if args.misses:
        for line in miss_lines(report):
            print(line)
    if args.trace is not None:
        print(f"ground truth within {args.trace_window:g} s of {args.trace:g} s:")
        for line in truth_lines(rig.truth, args.trace - args.trace_window,
                                args.trace + args.trace_window):
            print(line)
    print(f"cpu {cpu:.1f} s, wall {wall:.1f} s")
    print(machine_line())
    return report


def machine_line() -> str:
    """What ran the soak: the CPU and the instruction sets OpenCV's code was picked for (a
    judgement at a threshold may tip otherwise on another machine: docs/performance.md)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh
                          if line.startswith("model name")), model)
    except OSError:
        pass
    return (f"machine: {model}; OpenCV {cv2.__version__} ({cv2.getCPUFeaturesLine()}); "
            f"numpy {np.__version__}")


if __name__ == "__main__":
    main()
