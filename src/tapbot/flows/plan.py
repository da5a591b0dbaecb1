"""Soak plans: flows with weights, a duration or an iteration count, a seed, thresholds and
per-flow budgets, compiled (with every flow) before anything moves.

A plan file::

    name: nightly
    seed: 7
    duration: 24h            # or iterations: 500
    thresholds:              # optional; durations as 700ms / 5s (see THRESHOLD_KEYS)
      frozen_frame: 700ms
      response_budget: 1s
    flows:
      - flow: flows/counter.yaml     # a path relative to the plan, or
        weight: 3
        budget: {response: 300ms, duration: 30s}
      - library: video               # a flow from tapbot's library
        weight: 2

Thresholds apply from the widest to the narrowest: the plan's, then a flow file's header
``thresholds:``, then the plan's per-flow ``budget: {response: ...}``, then a step's own
``thresholds:`` (and ``budget:`` on a touch).

The schedule is seeded: the same plan and seed choose the same flows in the same order, which
is also what lets an interrupted soak resume where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from yaml.nodes import MappingNode, Node, SequenceNode

from tapbot.core.errors import FlowError
from tapbot.flows.steps import Flow, FlowMix
from tapbot.flows.yamlflow import (
    THRESHOLD_KEYS,
    FlowCompiler,
    FlowIssue,
    FlowValidationError,
    _plain,
    parse_duration_s,
    parse_thresholds,
)

__all__ = ["THRESHOLD_KEYS", "Budget", "Plan", "PlanEntry", "compile_plan_text", "library_dir",
           "library_flows", "load_plan"]


class Budget(BaseModel):
    """Per-flow budgets: a slower response, or a longer iteration, is a stall incident."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    response_s: float | None = Field(None, gt=0)
    duration_s: float | None = Field(None, gt=0)


class PlanEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    flow: Flow
    weight: float = Field(1.0, gt=0)
    budget: Budget = Budget()


class Plan(BaseModel):
    """A compiled soak plan: exactly one of ``duration_s`` and ``iterations`` is set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    seed: int = 0
    duration_s: float | None = Field(None, gt=0)
    iterations: int | None = Field(None, ge=1)
    thresholds: dict[str, float] = Field(default_factory=dict)
    entries: list[PlanEntry] = Field(min_length=1)
    source: str = ""
    rig: str | None = Field(None, description="rig file named by the plan (absolute path)")

    @classmethod
    def from_mix(cls, mix: list[FlowMix], *, name: str = "soak", seed: int = 0,
                 duration_s: float | None = None, iterations: int | None = None) -> Plan:
        return cls(name=name, seed=seed, duration_s=duration_s, iterations=iterations,
                   entries=[PlanEntry(flow=m.flow, weight=m.weight) for m in mix])

    def schedule(self) -> Iterator[int]:
        """Entry indices in the seeded order (endless; the runner stops by time or count)."""
        rng = np.random.default_rng(self.seed)
        weights = np.array([e.weight for e in self.entries], dtype=float)
        weights /= weights.sum()
        while True:
            yield int(rng.choice(len(self.entries), p=weights))


def library_dir() -> Path:
    """The folder of tapbot's flow library (package data)."""
    return Path(__file__).parent / "library"


def library_flows() -> list[str]:
    return sorted(p.stem for p in library_dir().glob("*.yaml") if not p.name.endswith(".keys.yaml"))


def load_plan(path: Path | str, *, duration_s: float | None = None,
              seed: int | None = None) -> Plan:
    """Compile a plan file and every flow it names; raises :class:`FlowValidationError`
    listing every problem with file:line:column. ``duration_s``/``seed`` override the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowValidationError([FlowIssue(str(path), 1, 1, f"plan file cannot be read "
                                             f"({exc.strerror or exc.__class__.__name__})")]
                                  ) from None
    return compile_plan_text(text, str(path), base_dir=path.parent, duration_s=duration_s,
                             seed=seed)


def compile_plan_text(text: str, path: str = "<plan>", *, base_dir: Path | None = None,
                      duration_s: float | None = None, seed: int | None = None) -> Plan:
    base = base_dir or Path.cwd()
    compiler = FlowCompiler()
    issues = compiler.issues

    def issue(node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        col = node.start_mark.column + 1 if node is not None else 1
        issues.append(FlowIssue(path, line, col, message))

    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FlowValidationError([FlowIssue(path, mark.line + 1 if mark else 1,
                                             mark.column + 1 if mark else 1,
                                             f"malformed YAML: {exc.problem or exc.context}")]
                                  ) from None
    except yaml.YAMLError as exc:
        raise FlowValidationError([FlowIssue(path, 1, 1, f"malformed YAML: {exc}")]) from None
    if not isinstance(root, MappingNode):
        raise FlowValidationError([FlowIssue(path, 1, 1, "a plan must be a mapping with "
                                             "flows:, and duration: or iterations:")])
    allowed = {"name", "seed", "duration", "iterations", "thresholds", "flows", "rig"}
    fields: dict[str, Any] = {"name": Path(path).stem, "source": path}
    nodes: dict[str, Node] = {}
    for knode, vnode in root.value:
        key = str(knode.value)
        if key not in allowed:
            issue(knode, f"unknown plan key '{key}'; expected one of {', '.join(sorted(allowed))}")
            continue
        nodes[key] = vnode
    if "name" in nodes:
        fields["name"] = str(_plain(nodes["name"]))
    if "rig" in nodes:
        rig_path = base / str(_plain(nodes["rig"]))
        if not rig_path.is_file():
            issue(nodes["rig"], f"rig file {rig_path} not found")
        fields["rig"] = str(rig_path)
    if "seed" in nodes:
        value = _plain(nodes["seed"])
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            issue(nodes["seed"], f"seed: expected a whole number >= 0, got {value!r}")
        else:
            fields["seed"] = value
    if "duration" in nodes:
        try:
            fields["duration_s"] = parse_duration_s(_plain(nodes["duration"]), "s")
            if fields["duration_s"] <= 0:
                issue(nodes["duration"], "duration: must be positive")
        except ValueError as exc:
            issue(nodes["duration"], f"duration: {exc}")
    if "iterations" in nodes:
        value = _plain(nodes["iterations"])
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            issue(nodes["iterations"], f"iterations: expected a whole number >= 1, got {value!r}")
        else:
            fields["iterations"] = value
    if "duration" in nodes and "iterations" in nodes:
        issue(nodes["iterations"], "give duration: or iterations:, not both")
    if duration_s is not None:
        fields["duration_s"], fields["iterations"] = duration_s, None
    if seed is not None:
        fields["seed"] = seed
    if fields.get("duration_s") is None and fields.get("iterations") is None:
        issue(root, "the plan needs duration: (e.g. 24h) or iterations: (a count)")
    if "thresholds" in nodes:
        fields["thresholds"] = parse_thresholds(nodes["thresholds"], issue)
    entries: list[PlanEntry] = []
    if "flows" not in nodes:
        issue(root, "the plan has no flows: (a list of '- flow: FILE' with weight:)")
    elif not isinstance(nodes["flows"], SequenceNode) or not nodes["flows"].value:
        issue(nodes["flows"], "flows: expected a non-empty list of '- flow: FILE' entries")
    else:
        for item in nodes["flows"].value:
            entry = _entry(item, base, compiler, issue, path)
            if entry is not None:
                entries.append(entry)
    if issues:
        raise FlowValidationError(issues)
    fields["entries"] = entries
    try:
        return Plan(**fields)
    except ValidationError as exc:
        raise FlowValidationError([FlowIssue(path, 1, 1, str(exc))]) from None


def _entry(item: Node, base: Path, compiler: FlowCompiler, issue, path: str
           ) -> PlanEntry | None:
    if not isinstance(item, MappingNode):
        issue(item, "expected '- flow: FILE' (or '- library: NAME') with weight:")
        return None
    m = {str(k.value): v for k, v in item.value}
    for knode, _ in item.value:
        if knode.value not in ("flow", "library", "python", "weight", "budget", "env"):
            issue(knode, f"unknown key '{knode.value}' in a plan flow; expected flow, library, "
                  "python, weight, budget, env")
            return None
    weight = 1.0
    if "weight" in m:
        w = _plain(m["weight"])
        if isinstance(w, bool) or not isinstance(w, int | float) or not w > 0:
            issue(m["weight"], f"weight: expected a number > 0, got {w!r}")
            return None
        weight = float(w)
    budget = Budget()
    if "budget" in m:
        b = m["budget"]
        if not isinstance(b, MappingNode):
            issue(b, "budget: expected {response: 300ms, duration: 30s}")
            return None
        kw: dict[str, float] = {}
        for knode, vnode in b.value:
            if knode.value not in ("response", "duration"):
                issue(knode, f"budget: unknown '{knode.value}'; expected response, duration")
                return None
            try:
                kw[f"{knode.value}_s"] = parse_duration_s(_plain(vnode), "s")
            except ValueError as exc:
                issue(vnode, f"budget.{knode.value}: {exc}")
                return None
        budget = Budget(**kw)
    env: dict[str, str] = {}
    if "env" in m and isinstance(m["env"], MappingNode):
        env = {str(k.value): str(_plain(v)) for k, v in m["env"].value}
    if sum(k in m for k in ("flow", "library", "python")) != 1:
        issue(item, "expected exactly one of flow: FILE, library: NAME or python: MODULE:FUNC")
        return None
    if "python" in m:
        from tapbot.flows.api import load_python_flow

        try:
            return PlanEntry(flow=load_python_flow(str(_plain(m["python"]))), weight=weight,
                             budget=budget)
        except FlowError as exc:
            issue(m["python"], exc.message)
            return None
    if "flow" in m:
        target = base / str(_plain(m["flow"]))
        where = m["flow"]
    else:
        name = str(_plain(m["library"]))
        target = library_dir() / f"{name}.yaml"
        where = m["library"]
        if not target.is_file():
            issue(where, f"library flow '{name}' does not exist; known: "
                  f"{', '.join(library_flows())}")
            return None
    compiler._path = path
    flow = compiler.compile_file(target, env=env, at=(path, where))
    if flow is None:
        return None
    return PlanEntry(flow=flow, weight=weight, budget=budget)
