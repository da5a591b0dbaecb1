"""``tapbot validate FILE...``: compile flows and plans, print every problem with
file:line:column; exit 0 when all are valid, 2 otherwise. Nothing moves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from tapbot.cli.soak import console, err_console
from tapbot.flows.plan import load_plan
from tapbot.flows.yamlflow import FlowValidationError, compile_flow_file


def _is_plan(path: Path) -> bool:
    """A plan is a single mapping document with a ``flows:`` key."""
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return False
    return len(docs) == 1 and isinstance(docs[0], dict) and "flows" in docs[0]


def validate(
    files: Annotated[list[Path], typer.Argument(help="flow or plan YAML files")],
) -> None:
    """Check flows and plans without moving anything; list every error."""
    bad = 0
    for path in files:
        try:
            if _is_plan(path):
                plan = load_plan(path)
                console.print(f"{path}: ok (plan '{plan.name}', {len(plan.entries)} flows)",
                              markup=False, highlight=False, soft_wrap=True)
            else:
                flow = compile_flow_file(path)
                console.print(f"{path}: ok (flow '{flow.name}', {len(flow.steps)} steps)",
                              markup=False, highlight=False, soft_wrap=True)
        except FlowValidationError as exc:
            bad += 1
            for issue in exc.issues:
                err_console.print(str(issue), markup=False, highlight=False, soft_wrap=True)
    if bad:
        raise typer.Exit(2)
