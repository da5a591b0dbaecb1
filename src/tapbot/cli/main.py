"""The ``tapbot`` command. User errors print one line and exit 2, never a traceback."""

from __future__ import annotations

import logging
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tapbot import __version__
from tapbot.cli.calibrate import calibrate_command
from tapbot.cli.durations import format_duration, parse_duration
from tapbot.cli.progress import SoakProgress
from tapbot.cli.report import report as report_command
from tapbot.core.clock import wall_perf
from tapbot.core.documents import Dispatcher
from tapbot.core.errors import TapbotError
from tapbot.flows import DEMO_MIX
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary
from tapbot.store import Artifacts, JsonlWriter

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Robot-driven smartphone quality testing.")
console = Console()
err_console = Console(stderr=True)
app.command("report")(report_command)
app.command("calibrate")(calibrate_command)

DEMO_FAULTS = {"freeze_per_hour": 4.0, "crash_per_hour": 3.0}


def _new_run_id(seed: int) -> str:
    return time.strftime("run-%Y%m%d-%H%M%S", time.localtime()) + f"-s{seed}"


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log progress details")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
def demo(
    duration: Annotated[str, typer.Option(help="simulated time to soak: 90s, 15m, 1h")] = "1h",
    seed: Annotated[int, typer.Option(help="seed for the twin and the flow mix")] = 1,
    faults: Annotated[bool, typer.Option("--faults/--no-faults",
                                         help="inject freezes and crashes")] = True,
    out: Annotated[Path, typer.Option(help="folder for run results")] = Path("runs"),
    rig: Annotated[Path | None, typer.Option(help="rig YAML (default: the twin)")] = None,
) -> None:
    """Run a short soak on the simulated rig and print the verdict.

    Exits 0 when the demo ran, whatever the verdict.
    """
    duration_s = parse_duration(duration)
    overrides = {"device": {"faults": DEMO_FAULTS if faults else {}}} if rig is None else {}
    the_rig = build_rig(rig, seed=seed, overrides=overrides)
    run_id = _new_run_id(seed)
    run_dir = out / run_id
    docs_path = run_dir / "documents.jsonl"

    dispatcher = Dispatcher()
    writer = JsonlWriter(docs_path)
    summary = RunSummary()
    dispatcher.subscribe(writer)
    dispatcher.subscribe(summary)
    runner = Runner(the_rig, dispatcher, run_id=run_id, artifacts=Artifacts(run_dir))

    console.print(f"tapbot demo: soaking the twin for {format_duration(duration_s)} simulated "
                  f"(seed {seed}, faults {'on' if faults else 'off'})")
    wall0 = wall_perf()
    previous = _install_interrupts(runner)
    try:
        with SoakProgress(console, duration_s) as progress:
            dispatcher.subscribe(progress)
            runner.run_soak(DEMO_MIX, duration_s=duration_s, seed=seed, plan="demo")
    finally:
        signal.signal(signal.SIGINT, previous)
        writer.close()
    _print_summary(summary, wall_perf() - wall0)
    console.print(f"documents: {docs_path}")


def _install_interrupts(runner: Runner):
    """Ctrl-C once: stop after the current step; twice: abort (the rig still parks)."""

    def handler(signum, frame):
        if runner._stop_requested:
            raise KeyboardInterrupt
        err_console.print("stopping after the current step (Ctrl-C again to abort)")
        runner.request_stop()

    return signal.signal(signal.SIGINT, handler)


def _print_summary(summary: RunSummary, wall_s: float) -> None:
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


def main() -> None:
    """Console entry point: TapbotError -> one line on stderr, exit 2."""
    try:
        app()
    except TapbotError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
