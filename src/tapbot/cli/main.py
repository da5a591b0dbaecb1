"""The ``tapbot`` command. User errors print one line and exit 2, never a traceback."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tapbot import __version__
from tapbot.cli import twin
from tapbot.cli.calibrate import calibrate_command
from tapbot.cli.doctor import doctor as doctor_command
from tapbot.cli.durations import format_duration, parse_duration
from tapbot.cli.report import report as report_command
from tapbot.cli.report import report_after_run
from tapbot.cli.run import run as run_command
from tapbot.cli.soak import execute
from tapbot.cli.soak import soak as soak_command
from tapbot.cli.validate import validate as validate_command
from tapbot.core.errors import TapbotError
from tapbot.flows.library import demo_mix
from tapbot.flows.plan import Plan

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Robot-driven smartphone quality testing.")
console = Console()
err_console = Console(stderr=True)
app.command("report")(report_command)
app.command("calibrate")(calibrate_command)
app.command("run")(run_command)
app.command("soak")(soak_command)
app.command("validate")(validate_command)
app.command("doctor")(doctor_command)
app.add_typer(twin.app, name="twin")

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
    """Run a short soak of the flow library on the simulated rig and print the verdict.

    Exits 0 when the demo ran, whatever the verdict.
    """
    duration_s = parse_duration(duration)
    overrides = {"device": {"faults": DEMO_FAULTS if faults else {}}} if rig is None else {}
    plan = Plan.from_mix(demo_mix(), name="demo", seed=seed, duration_s=duration_s)
    outcome = execute(plan, rig_path=rig, out=out, seed=seed, overrides=overrides,
                      banner=f"tapbot demo: soaking the twin for {format_duration(duration_s)} "
                      f"simulated (seed {seed}, faults {'on' if faults else 'off'})")
    console.print(f"documents: {outcome.docs_path}")
    console.print(report_after_run(outcome.docs_path.parent), markup=False, soft_wrap=True)


def main() -> None:
    """Console entry point: TapbotError -> one line on stderr, exit 2."""
    try:
        app()
    except TapbotError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
