"""The result of a run as other tools read it: the ``report.json`` models and their schema.

``docs/report-schema.json`` is generated from :class:`RunReport` (``report_schema()``). Times
are seconds; ``t_*`` fields are run time (seconds since run-start on the rig clock).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunInfo(_Model):
    """Who, what and how long: the run's metadata (None when the run did not record it)."""

    run_id: str
    rig: str | None = None
    device: str | None = None
    build: str | None = Field(None, description="device software build, when the run recorded one")
    plan: str | None = None
    seed: int | None = None
    planned_duration_s: float | None = None
    duration_s: float = Field(description="recorded span: run-start to the last document")
    started_wall: str | None = Field(None, description="wall-clock start, ISO 8601 UTC")
    stop_reason: str | None = None
    resumes: int = Field(0, description="times the run was resumed (tapbot soak --resume)")
    thresholds: dict[str, float] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)


class ThresholdCheck(_Model):
    """One measured value of an incident against the limit that made it one."""

    name: str = Field(description="threshold name, e.g. unresponsive_after_s")
    limit: float | None = Field(description="the run's limit; None when the run did not record it")
    measured: float | None = Field(description="the incident's value (s or a count)")
    unit: str
    failing: bool | None = Field(description="the value is on the failing side of the limit "
                                             "(None: unknown)")
    text: str = Field(description="the check in words")


class IncidentMedia(_Model):
    """Images of an incident inside the report folder (paths relative to it)."""

    clip: str | None = Field(None, description="MP4 clip, when the incident has two or more frames")
    before: str | None = None
    onset: str | None = None
    after: str | None = None
    frames: int = Field(0, description="frames the incident references that were found")
    note: str = ""


class IncidentEntry(_Model):
    """One incident with where it happened, how long it lasted and its evidence."""

    number: int = Field(description="1-based, in order of onset")
    kind: str
    t_onset: float
    t_end: float | None = Field(description="None when the run never saw it end")
    duration_s: float | None
    flow: str
    step: str
    iteration: int | None = None
    message: str
    evidence: list[str] = Field(description="evidence paths, relative to the run folder")
    missing_evidence: list[str] = Field(default_factory=list)
    checks: list[ThresholdCheck] = Field(default_factory=list)
    media: IncidentMedia = Field(default_factory=IncidentMedia)
    extra: dict[str, Any] = Field(default_factory=dict,
                                  description="fields of the document this tapbot does not know")


class Verdict(_Model):
    """PASS only with zero incidents in a completed run."""

    verdict: Literal["PASS", "FAIL", "INCOMPLETE"]
    reasons: list[str]
    recorded_verdict: str | None = Field(None, description="the verdict in the run-stop document")


class FlowStats(_Model):
    """Iterations of one flow and how many passed (every step ok)."""

    flow: str
    iterations: int
    passed: int
    failed: int
    unfinished: int = Field(description="iterations cut off by the end of the run")
    pass_rate: float | None = Field(description="passed / (passed + failed)")
    steps: int
    failed_steps: int
    incidents: int
    duration_s: float = Field(0.0, description="time spent in the flow's steps")


class MeasureStats(_Model):
    """Distribution of one measurement (e.g. response_latency) at one flow step."""

    name: str
    unit: str
    flow: str
    step: str
    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    min: float
    max: float
    p50_ci: tuple[float, float] = Field(description="distribution-free 95 % interval of p50")
    p95_ci: tuple[float, float] = Field(description="distribution-free 95 % interval of p95")
    early_p50: float | None = Field(
        None, description="p50 in the first tenth of the run (None: under 30 values)")
    late_p50: float | None = Field(
        None, description="p50 in the last tenth of the run (None: under 30 values)")


class Counts(_Model):
    documents: int
    steps: int
    touches: int
    measurements: int
    incidents: int
    incidents_by_kind: dict[str, int]


class Problem(_Model):
    """Something the report could not read or find: the report is marked, not dropped."""

    where: str
    problem: str


class RunReport(_Model):
    """The whole result of one run (``report.json``)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    generated_by: str
    run: RunInfo
    verdict: Verdict
    counts: Counts
    flows: list[FlowStats]
    measures: list[MeasureStats]
    incidents: list[IncidentEntry]
    problems: list[Problem] = Field(default_factory=list)


class MeasureShift(_Model):
    """How a step's measurement moved from run A to run B."""

    name: str
    flow: str
    step: str
    count_a: int
    count_b: int
    p50_a: float | None
    p50_b: float | None
    p95_a: float | None
    p95_b: float | None
    p50_delta: float | None
    p95_delta: float | None
    p95_change: float | None = Field(description="relative p95 change, (b - a) / a")
    significant: bool = Field(description="p50 or p95 moved by >= 10 % and >= 5 ms, beyond "
                                          "both runs' 95 % intervals")


class Comparison(_Model):
    """Two runs side by side (``tapbot report --compare``)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    a: RunInfo
    b: RunInfo
    verdict_a: str
    verdict_b: str
    incidents_by_kind: dict[str, tuple[int, int]]
    pass_rates: dict[str, tuple[float | None, float | None]]
    shifts: list[MeasureShift]


def report_schema() -> dict[str, Any]:
    """The JSON schema of ``report.json`` (shipped as docs/report-schema.json)."""
    schema = RunReport.model_json_schema()
    schema["$id"] = "https://tapbot.dev/schemas/report-v1.json"
    return schema

