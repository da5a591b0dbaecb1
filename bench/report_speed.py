"""How fast and small the HTML report of a 24-hour soak is (targets: <= 30 s, <= 200 MB).

    python bench/report_speed.py [--hours 24] [--incidents 50] [--seed 1] [--keep DIR]

Builds a synthetic run folder with the real document models (tapbot.reports.synthetic: the
demo's flows at the twin's step, touch and measurement rates, incidents with an onset frame,
a 20-frame clip and before/after views), then times the full report: loading the documents,
the analysis, figures, incident media, report.json and junit.xml. A real 24 h twin soak takes
about 20 minutes to run, so the bench uses the synthetic run. Prints the figures last.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
from pathlib import Path

from tapbot.core.clock import wall_perf
from tapbot.reports import load_run, write_html
from tapbot.reports.synthetic import make_run


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the run and report here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = (args.keep or Path(tmp)) / "run-synthetic"
        t0 = wall_perf()
        truth = make_run(run_dir, args.hours * 3600.0, incidents=args.incidents, seed=args.seed,
                         run_id="run-synthetic")
        t_gen = wall_perf() - t0
        print(f"synthetic run: {args.hours:g} h, {truth.documents} documents ({truth.steps} "
              f"steps, {truth.touches} touches, "
              f"{sum(len(v) for v in truth.values.values())} measurements), "
              f"{len(truth.incidents)} incidents; {folder_mb(run_dir):.0f} MB; "
              f"made in {t_gen:.1f} s")
        cpu0 = _cpu_s()
        t0 = wall_perf()
        record = load_run(run_dir)
        t_load = wall_perf() - t0
        index = write_html(record, run_dir / "report")
        build = wall_perf() - t0
        cpu = _cpu_s() - cpu0
        size = folder_mb(index.parent)
        load1, _, _ = os.getloadavg()
        print(f"load {t_load:.1f} s; report written to {index}")
        print(f"cpu {cpu:.1f} s (all threads) on {os.cpu_count()} cores; load average "
              f"{load1:.1f} (other work on the machine slows the wall-clock figure)")
        print(f"report_build_seconds: {build:.1f} (target <= 30)")
        print(f"report_folder_mb: {size:.1f} (target <= 200)")


if __name__ == "__main__":
    main()
