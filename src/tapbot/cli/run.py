"""``tapbot run FLOW``: run one flow once (or ``--iterations N``); ``--dry-run`` validates it
against the rig and moves nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tapbot.cli.soak import check_positive, console, dry_run_report, execute
from tapbot.flows.plan import Plan, PlanEntry
from tapbot.flows.yamlflow import compile_flow_file


def run(
    flow: Annotated[Path, typer.Argument(help="flow YAML")],
    rig: Annotated[Path | None, typer.Option(help="rig YAML (default: the twin)")] = None,
    iterations: Annotated[int, typer.Option(help="how many times to run it")] = 1,
    seed: Annotated[int, typer.Option(help="seed for the twin")] = 1,
    out: Annotated[Path, typer.Option(help="folder for run results and the SQLite store")
                   ] = Path("runs"),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="compile and validate against "
                                          "the rig; move nothing")] = False,
) -> None:
    """Run one flow. Exits 0 on PASS, 1 on FAIL."""
    check_positive(iterations, "--iterations")
    compiled = compile_flow_file(flow)
    plan = Plan(name=compiled.name, seed=seed, iterations=iterations,
                entries=[PlanEntry(flow=compiled)])
    if dry_run:
        dry_run_report(plan, rig)
        return
    outcome = execute(plan, rig_path=rig, out=out, seed=seed,
                      banner=f"tapbot run: {compiled.name} x{iterations}")
    console.print(f"documents: {outcome.docs_path}")
    raise typer.Exit(0 if outcome.stop.verdict == "PASS" else 1)
