"""``tapbot soak PLAN``: run a soak plan; exit 0 on PASS, 1 on FAIL (2 on a user error).

Also the machinery ``tapbot run`` and ``tapbot demo`` share: build the rig, subscribe the
stores (JSON Lines, SQL) and the progress bar, run with Ctrl-C handling, print the summary.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tapbot.cli.durations import format_duration, parse_duration
from tapbot.cli.progress import SoakProgress
from tapbot.cli.report import report_after_run
from tapbot.cli.twin import save_truth
from tapbot.core.clock import VirtualClock, wall_perf
from tapbot.core.documents import Dispatcher, RunStop
from tapbot.core.errors import ConfigError
from tapbot.flows.plan import Plan, load_plan
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary, resume_point
from tapbot.store import Artifacts, database_url, load_run_documents
from tapbot.store.writer import DocumentWriter, wait_for_writer

console = Console()
err_console = Console(stderr=True)


def new_run_id(seed: int) -> str:
    return time.strftime("run-%Y%m%d-%H%M%S", time.localtime()) + f"-s{seed}"


@dataclass
class Outcome:
    stop: RunStop
    summary: RunSummary
    docs_path: Path
    wall_s: float


def execute(plan: Plan, *, rig_path: Path | None, out: Path, seed: int,
            overrides: dict[str, dict[str, Any]] | None = None, run_id: str | None = None,
            resume: str | None = None, banner: str | None = None) -> Outcome:
    """Build the rig, run ``plan`` with every subscriber attached, print the summary."""
    rig_path = rig_path or (Path(plan.rig) if plan.rig else None)
    url = database_url(out)
    point = None
    start_seq = 0
    summary = RunSummary()
    if resume is not None:
        wait_for_writer(out / resume)  # (a killed run's writer may still be finishing)
        old_docs = list(load_run_documents(url, resume))
        start, point, start_seq, last_t = resume_point(old_docs)
        run_id = resume
        seed = start.seed if start.seed is not None else seed
        for doc in old_docs:
            summary(doc)
        summary.stop = None
    the_rig = build_rig(rig_path, seed=seed, overrides=overrides or {})
    if point is not None and isinstance(the_rig.clock, VirtualClock):
        the_rig.clock.advance_to(last_t)  # the twin's time goes on where the run stopped
    run_id = run_id or new_run_id(seed)
    run_dir = out / run_id
    docs_path = run_dir / "documents.jsonl"
    # (a process of its own writes the documents; leaving waits until every one is written:
    # the report reads them)
    with DocumentWriter(docs_path, url) as writer:
        dispatcher = Dispatcher(start_seq=start_seq)
        dispatcher.subscribe(writer)
        dispatcher.subscribe(summary)
        runner = Runner(the_rig, dispatcher, run_id=run_id, artifacts=Artifacts(run_dir))
        if banner:
            console.print(banner)
        if point is not None:
            console.print(f"resuming {run_id} at schedule slot {point.slot} "
                          f"({format_duration(point.elapsed_s)} done)")
        wall0 = wall_perf()
        previous = install_interrupts(runner)
        total = plan.duration_s or 0.0
        try:
            with SoakProgress(console, total or 1.0) as progress:
                dispatcher.subscribe(progress)
                stop = runner.run_plan(plan, resume=point)
        finally:
            signal.signal(signal.SIGINT, previous)
            if the_rig.truth is not None:  # a twin run: its ground truth, for `twin score`
                save_truth(the_rig.truth, run_dir, resumed=point is not None)
    wall_s = wall_perf() - wall0
    print_summary(summary, wall_s)
    return Outcome(stop=stop, summary=summary, docs_path=docs_path, wall_s=wall_s)


def install_interrupts(runner: Runner):
    """Ctrl-C once: stop after the current step; twice: abort (the rig still parks)."""

    def handler(signum, frame):
        if runner.stop_requested:
            raise KeyboardInterrupt
        err_console.print("stopping after the current step (Ctrl-C again to abort)")
        runner.request_stop()

    return signal.signal(signal.SIGINT, handler)


def print_summary(summary: RunSummary, wall_s: float) -> None:
    table = Table(title="soak summary", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("simulated time", format_duration(summary.sim_time_s))
    table.add_row("wall time", f"{wall_s:.1f} s")
    table.add_row("steps", str(summary.steps))
    table.add_row("touches measured", str(len(summary.latencies_s)))
    for q in (50, 95):
        v = summary.latency_percentile_ms(q)
        table.add_row(f"latency p{q}", "-" if v is None else f"{v:.0f} ms")
    kinds = summary.incidents_by_kind()
    if kinds:
        for kind, n in sorted(kinds.items()):
            table.add_row(f"incidents: {kind}", str(n))
    else:
        table.add_row("incidents", "0")
    console.print(table)
    stop = summary.stop
    if stop is None:
        console.print("[bold red]verdict: INCOMPLETE[/] (the run did not finish)")
        return
    colour = {"PASS": "green", "FAIL": "red"}.get(stop.verdict, "yellow")
    reasons = f" ({'; '.join(stop.reasons)})" if stop.reasons else ""
    console.print(f"[bold {colour}]verdict: {stop.verdict}[/]{reasons}")


def soak(
    plan: Annotated[Path, typer.Argument(help="soak plan YAML")],
    rig: Annotated[Path | None, typer.Option(help="rig YAML (default: the plan's, or the twin)")
                   ] = None,
    duration: Annotated[str | None, typer.Option(help="override the plan: 90s, 15m, 24h")
                        ] = None,
    seed: Annotated[int | None, typer.Option(help="override the plan's seed")] = None,
    out: Annotated[Path, typer.Option(help="folder for run results and the SQLite store")
                   ] = Path("runs"),
    resume: Annotated[str | None, typer.Option(help="resume the interrupted run with this id")
                      ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate against the rig; move "
                                          "nothing")] = False,
) -> None:
    """Run a soak plan. Exits 0 on PASS, 1 on FAIL or an incomplete run."""
    duration_s = parse_duration(duration) if duration is not None else None
    compiled = load_plan(plan, duration_s=duration_s, seed=seed)
    if dry_run:
        dry_run_report(compiled, rig or (Path(compiled.rig) if compiled.rig else None))
        return
    what = (format_duration(compiled.duration_s) if compiled.duration_s
            else f"{compiled.iterations} iterations")
    outcome = execute(compiled, rig_path=rig, out=out, seed=compiled.seed, resume=resume,
                      banner=f"tapbot soak: {compiled.name} for {what} (seed {compiled.seed})")
    console.print(f"documents: {outcome.docs_path}", soft_wrap=True)
    console.print(report_after_run(outcome.docs_path.parent), markup=False, soft_wrap=True)
    raise typer.Exit(0 if outcome.stop.verdict == "PASS" else 1)


def dry_run_report(plan: Plan, rig_path: Path | None) -> None:
    """Validate every flow of ``plan`` against the rig (reach, keys, selectors); print them."""
    the_rig = build_rig(rig_path)
    runner = Runner(the_rig, Dispatcher(), run_id="dry-run")
    runner.validate([e.flow for e in plan.entries])
    for entry in plan.entries:
        console.print(f"{entry.flow.name} (weight {entry.weight:g}, "
                      f"{len(entry.flow.steps)} steps) from {entry.flow.source}",
                      markup=False, highlight=False, soft_wrap=True)
        for i, step in enumerate(entry.flow.steps, start=1):
            console.print(f"  {i:3d}. {step.describe()}", markup=False, highlight=False,
                          soft_wrap=True)
    console.print("dry run: the plan validates; nothing moved")


def check_positive(value: int, name: str) -> int:
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value
