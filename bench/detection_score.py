"""How well the monitors detect every fault kind of the twin, scored against its ground truth.

    python bench/detection_score.py [--duration 3h] [--seed 1] [--faults all|none]
                                    [--rate KIND=PER_HOUR ...] [--out FOLDER] [--misses]

Runs a soak of ``tapbot demo``'s mix (every library flow) on the twin with every fault kind
injected at a rate per hour (``--faults all``; the default rates give >= 10 of each kind in
3 simulated hours; faults never overlap, the twin defers one that comes due during another),
or none (``--faults none``: a healthy phone, where every incident is false). The run is
scored by :func:`tapbot.sim.score.score_run`, the code of ``tapbot twin score``. Prints per
kind: truth faults, incidents, recall, precision, onset error (p50/p95, ms); then false
incidents per simulated hour, the latency error against the truth and CPU/wall time. A dead
zone shows only when a touch lands in it: the scorer leaves out the zones no robot touch
landed in (invisible to any black-box rig) and the bench says how many.

With ``--out`` the documents and the truth are kept in ``FOLDER/bench-detection`` (score it
again with ``tapbot twin score bench-detection --runs-dir FOLDER``). The issue 5 target:
recall >= 0.95 and precision >= 0.95 for every kind, and zero incidents on a healthy phone.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from tapbot.cli.durations import parse_duration
from tapbot.cli.twin import DOCUMENTS_FILE, miss_lines, save_truth
from tapbot.core.clock import wall_perf
from tapbot.core.documents import Dispatcher
from tapbot.flows import Plan
from tapbot.flows.library import demo_mix
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary
from tapbot.sim.faults import FAULT_KINDS
from tapbot.sim.score import ScoreReport, fmt_ratio, score_run
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="3h")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", choices=("all", "none"), default="all")
    parser.add_argument("--rate", action="append", default=[], metavar="KIND=PER_HOUR")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep documents and truth in OUT/bench-detection")
    parser.add_argument("--misses", action="store_true",
                        help="list every missed fault and false incident, with its step")
    args = parser.parse_args()
    duration_s = parse_duration(args.duration)
    rates = parse_rates(args.rate) if args.faults == "all" else {}
    rig = build_rig(None, seed=args.seed, overrides={"device": {"faults": {"per_hour": rates}}})
    plan = Plan.from_mix(demo_mix(), name="bench-detection", seed=args.seed,
                         duration_s=duration_s)
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
        writer.close()
        assert rig.truth is not None
        save_truth(rig.truth, run_dir)
        docs = list(read_documents(run_dir / DOCUMENTS_FILE))
        report = score_run(docs, rig.truth)
    injected = Counter(f.kind for f in rig.truth.faults)
    print(f"simulated {summary.sim_time_s / 3600:.2f} h, seed {args.seed}, faults "
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
    print(f"cpu {cpu:.1f} s, wall {wall:.1f} s")


if __name__ == "__main__":
    main()
