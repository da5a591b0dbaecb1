"""``tapbot report``: rebuild the report of any past run from its documents and artifacts."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tapbot.core.clock import wall_perf
from tapbot.core.errors import TapbotError
from tapbot.reports import ReportError, analyze, load_run, write_html, write_junit
from tapbot.reports.compare import compare, write_compare_html

logger = logging.getLogger(__name__)
console = Console()

REPORT_FOLDER = "report"


class Format(StrEnum):
    html = "html"
    junit = "junit"
    json = "json"


def write_run_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the HTML report of the run in ``run_dir`` (default ``run_dir/report``); returns
    the path of index.html."""
    return write_html(load_run(run_dir), out or run_dir / REPORT_FOLDER)


def report_after_run(run_dir: Path) -> str:
    """Write the HTML report at the end of a run; the line to print (a failure to write the
    report is reported, not raised: the run itself is done and recorded)."""
    try:
        return f"report: {write_run_report(run_dir)}"
    except TapbotError as exc:
        logger.warning("report of %s not written: %s", run_dir, exc)
        return f"report not written: {exc} (retry with: tapbot report {run_dir})"


def report(
    run: Annotated[str | None, typer.Argument(
        help="run id under --runs-dir, or the path of a run folder", show_default=False)] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="what to write")] = Format.html,
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: <run folder>/report, or runs/compare-A-vs-B)",
        show_default=False)] = None,
    runs_dir: Annotated[Path, typer.Option(help="folder holding the runs")] = Path("runs"),
    from_store: Annotated[bool, typer.Option(
        "--from-store", help="read the documents from the SQL store (TAPBOT_DATABASE_URL or "
        "<runs-dir>/tapbot.db) even when the run folder has them")] = False,
    compare_runs: Annotated[tuple[str, str] | None, typer.Option(
        "--compare", help="compare two runs: RUN_A (reference) RUN_B", show_default=False,
        metavar="RUN_A RUN_B")] = None,
) -> None:
    """Build the report of a past run (HTML folder, JUnit XML or JSON), or compare two runs."""
    if compare_runs is not None:
        if run is not None:
            raise ReportError(f"give either RUN ({run}) or --compare RUN_A RUN_B, not both")
        _compare(compare_runs, out, runs_dir)
        return
    if run is None:
        raise ReportError("no run given", hint="tapbot report RUN_ID, or tapbot report "
                                                "--compare RUN_A RUN_B; runs live under ./runs")
    t0 = wall_perf()
    record = load_run(run, runs_dir, from_store=from_store)
    run_dir = record.folder or runs_dir / Path(run).name
    target = out or run_dir / REPORT_FOLDER
    result = analyze(record)
    if fmt is Format.html:
        path = write_html(record, target, result)
    else:
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(f"{target}: cannot write the report there ({exc.strerror})",
                              hint="pass --out with a writable folder") from exc
        if fmt is Format.json:
            path = target / "report.json"
            path.write_text(result.model_dump_json(indent=1), encoding="utf-8")
        else:
            path = write_junit(result, target / "junit.xml", run_folder=run_dir)
    console.print(f"verdict: {result.verdict.verdict}; report ({fmt.value}) of {record.run_id} "
                  f"in {wall_perf() - t0:.1f} s: {path}", markup=False, highlight=False,
                  soft_wrap=True)


def _compare(runs: tuple[str, str], out: Path | None, runs_dir: Path) -> None:
    a, b = (analyze(load_run(r, runs_dir)) for r in runs)
    result = compare(a, b)
    target = out or runs_dir / f"compare-{a.run.run_id}-vs-{b.run.run_id}"
    path = write_compare_html(result, target)
    table = Table(title=f"A {a.run.run_id} ({result.verdict_a})  vs  B {b.run.run_id} "
                        f"({result.verdict_b})")
    for col in ("what", "A", "B", "B - A"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for kind, (na, nb) in result.incidents_by_kind.items():
        table.add_row(f"incidents: {kind}", str(na), str(nb), f"{nb - na:+d}")
    for s in result.shifts:
        if s.significant and None not in (s.p50_a, s.p50_b, s.p95_a, s.p95_b):
            colour = "red" if (s.p95_delta or 0) + (s.p50_delta or 0) > 0 else "green"
            for q, va, vb, d in (("p50", s.p50_a, s.p50_b, s.p50_delta),
                                 ("p95", s.p95_a, s.p95_b, s.p95_delta)):
                table.add_row(f"{q} {s.name} {s.flow}/{s.step}", f"{va * 1000:.0f} ms",
                              f"{vb * 1000:.0f} ms", f"[{colour}]{(d or 0) * 1000:+.0f} ms[/]")
    console.print(table)
    n_sig = sum(s.significant for s in result.shifts)
    console.print(f"{n_sig} latency shift{'s' if n_sig != 1 else ''} that matter "
                  f"(p50 or p95 moved >= 10 % and >= 5 ms, beyond noise); comparison: {path}",
                  soft_wrap=True)
