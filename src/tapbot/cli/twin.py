"""``tapbot twin``: tools for the digital twin (scoring a run against its ground truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tapbot.core.errors import StoreError
from tapbot.sim.score import DEFAULT_TOLERANCE_S, ScoreReport, fmt_ratio, pool, score_run
from tapbot.sim.truth import GroundTruth
from tapbot.store import read_documents

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="The digital twin: score runs against its ground truth.")
console = Console()

TRUTH_FILE = "twin-truth.json"
DOCUMENTS_FILE = "documents.jsonl"


def save_truth(truth: GroundTruth, run_dir: Path, *, resumed: bool = False) -> Path:
    """Write a twin run's ground truth next to its documents, for ``tapbot twin score``.

    A resumed run appends what the new process saw to what the earlier one saved.
    """
    path = run_dir / TRUTH_FILE
    if resumed and path.is_file():
        earlier = GroundTruth.from_json(path.read_text())
        truth = GroundTruth(touches=earlier.touches + truth.touches,
                            responses=earlier.responses + truth.responses,
                            faults=earlier.faults + truth.faults)
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(truth.to_json())
    tmp.replace(path)  # never a half-written truth file
    return path


def resolve_run(run: str, runs_dir: Path) -> Path:
    """A run folder from a run id under ``runs_dir`` or a folder path."""
    as_path = Path(run)
    for candidate in (runs_dir / run, as_path):
        if (candidate / DOCUMENTS_FILE).is_file():
            return candidate
    raise StoreError(f"run '{run}' not found: no {DOCUMENTS_FILE} in {runs_dir / run} or "
                     f"{as_path}", hint="give a run id under --runs-dir or a run folder")


def load_truth(run_dir: Path) -> GroundTruth:
    """The twin's ground truth saved next to a run's documents."""
    path = run_dir / TRUTH_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreError(f"{path}: no ground truth for this run",
                         hint="only runs on the twin save twin-truth.json; real rigs have "
                              "nothing to score against") from None
    try:
        return GroundTruth.from_json(text)
    except ValueError as exc:
        raise StoreError(f"{path}: {exc}", hint="the file is damaged or from another tool"
                         ) from exc


@app.command("score")
def score(
    runs: Annotated[list[str], typer.Argument(
        help="run id under --runs-dir, or a run folder; several are scored together "
             "(seeds of one soak: recall and precision over all their faults)")],
    runs_dir: Annotated[Path, typer.Option(help="folder of run folders")] = Path("runs"),
    tolerance: Annotated[float, typer.Option(
        min=0.0, help="seconds a fault's window is widened when matching incidents")
    ] = DEFAULT_TOLERANCE_S,
    list_: Annotated[bool, typer.Option(
        "--list", help="also list every missed fault and every false incident")] = False,
) -> None:
    """Compare twin runs' incidents and measurements with the twin's ground truth."""
    run_dirs = [resolve_run(run, runs_dir) for run in runs]  # every name checked first
    reports = [score_run(read_documents(d / DOCUMENTS_FILE), load_truth(d), tolerance)
               for d in run_dirs]
    if len(reports) == 1:
        print_report(reports[0], run_dirs[0].name)
    else:
        print_report(pool(reports), f"{len(reports)} runs together ("
                     + ", ".join(d.name for d in run_dirs) + ")")
    if list_:
        for run_dir, report in zip(run_dirs, reports, strict=True):
            if len(reports) > 1:
                console.print(f"{run_dir.name}:", markup=False, highlight=False)
            print_misses(report)


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"


def miss_lines(report: ScoreReport) -> list[str]:
    """One line per missed fault and per false incident, in time order: what a detector's
    author looks at next."""
    lines = []
    for f in report.missed:
        end = "open" if f.t_end is None else f"{f.t_end:.2f}"
        details = ", ".join(f"{k}={v}" for k, v in sorted(f.details.items())
                            if isinstance(v, str | int | float))
        lines.append((f.t_start, f"missed {f.kind} {f.t_start:.2f}-{end} s in {f.app} during "
                                 f"{report.step_at(f.t_start)}"
                      + (f" ({details})" if details else "")))
    for inc in report.false_alarms:
        lines.append((inc.t_onset, f"false {inc.incident} {inc.t_onset:.2f} s "
                                   f"({inc.flow or '-'} / {inc.step or '-'}): {inc.message}"))
    return [text for _, text in sorted(lines)]


def print_misses(report: ScoreReport) -> None:
    """The missed faults and false incidents (see :func:`miss_lines`)."""
    for line in miss_lines(report):
        console.print(line, markup=False, highlight=False)


def print_report(report: ScoreReport, title: str) -> None:
    """The score as rich tables: per kind, then the run's totals."""
    table = Table(title=f"twin score: {title}")
    for col, justify in (("kind", "left"), ("truth", "right"), ("incidents", "right"),
                         ("detected", "right"), ("false", "right"), ("recall", "right"),
                         ("precision", "right"), ("onset err p50 ms", "right"),
                         ("onset err p95 ms", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for k in report.kinds.values():
        table.add_row(k.kind, str(k.truth), str(k.incidents), str(k.detected), str(k.false),
                      fmt_ratio(k.recall), fmt_ratio(k.precision),
                      _num(k.onset_error_ms(50)), _num(k.onset_error_ms(95)))
    console.print(table)
    totals = Table(show_header=False, title="totals")
    totals.add_column("what")
    totals.add_column("value", justify="right")
    hours = report.duration_s / 3600.0
    totals.add_row("simulated time", f"{hours:.2f} h")
    totals.add_row("false incidents", str(report.false_incidents))
    totals.add_row("false incidents per hour", f"{report.false_per_hour:.2f}")
    totals.add_row("onset error p50 / p95", f"{_ms(report.onset_error_ms(50))} / "
                                             f"{_ms(report.onset_error_ms(95))}")
    totals.add_row("latency measurements scored", str(len(report.latency_errors_s)))
    totals.add_row("latency error median", _ms(report.latency_error_ms("median")))
    totals.add_row("latency |error| p95", _ms(report.latency_error_ms("p95")))
    totals.add_row("latency without a truth response", str(report.latency_unmatched))
    totals.add_row("match tolerance", f"{report.tolerance_s:g} s")
    for kind, n in sorted(report.unobserved.items()):
        totals.add_row(f"{kind} not scored (no robot touch landed in it)", str(n))
    console.print(totals)
