"""From a RunRecord to a RunReport: verdict and reasons, flow pass rates, measurement
distributions and the incident list with their threshold checks."""

from __future__ import annotations

import bisect
import logging
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np

from tapbot import __version__
from tapbot.core.documents import RIG_FAULT_INCIDENTS, Incident, StepDoc
from tapbot.reports.model import (
    Counts,
    FlowStats,
    IncidentEntry,
    MeasureStats,
    Problem,
    RunInfo,
    RunReport,
    ThresholdCheck,
    Verdict,
)
from tapbot.reports.record import IncidentRecord, RunRecord

logger = logging.getLogger(__name__)

ZERO_TOLERANCE = "a soak passes only with zero"
TREND_MIN_VALUES = 30  # values in each tenth of the run before a trend is shown


def analyze(record: RunRecord) -> RunReport:
    """Compute the whole result of a run (no files written)."""
    incidents = sorted(record.incidents, key=lambda r: r.doc.t_onset)
    seqs = [s.seq for s in record.steps]
    entries = [_incident_entry(n, rec, record, seqs)
               for n, rec in enumerate(incidents, start=1)]
    problems = [Problem(where=w, problem=p) for w, p in record.problems]
    for entry in entries:
        for path in entry.missing_evidence:
            problems.append(Problem(where=f"incident {entry.number}",
                                    problem=f"evidence file missing: {path}"))
    kinds = Counter(e.kind for e in entries)
    return RunReport(
        generated_by=f"tapbot {__version__}",
        run=run_info(record),
        verdict=_verdict(record, entries),
        counts=Counts(documents=record.documents, steps=len(record.steps),
                      touches=record.touches, measurements=len(record.measurements),
                      incidents=len(entries), incidents_by_kind=dict(sorted(kinds.items()))),
        flows=_flow_stats(record.steps, entries),
        measures=_measure_stats(record),
        incidents=entries,
        problems=problems,
    )


def run_info(record: RunRecord) -> RunInfo:
    """The run's metadata, None where it was not recorded."""
    start = record.start
    build = None
    if start is not None:
        raw = (start.config.get("build") or start.config.get("device_build")
               or record.start_extra.get("build"))
        build = str(raw) if raw is not None else None
    return RunInfo(
        run_id=record.run_id,
        rig=start.rig if start else None,
        device=start.device if start else None,
        build=build,
        plan=start.plan if start else None,
        seed=start.seed if start else None,
        planned_duration_s=start.duration_s if start else None,
        duration_s=record.duration_s,
        started_wall=(datetime.fromtimestamp(start.wall, UTC).isoformat(timespec="seconds")
                      if start else None),
        stop_reason=record.stop.reason if record.stop else None,
        resumes=len(record.resumes),
        thresholds=dict(start.thresholds) if start else {},
        config={k: v for k, v in start.config.items() if k not in ("build", "resumed")}
        if start else {},
    )


def _verdict(record: RunRecord, entries: list[IncidentEntry]) -> Verdict:
    reasons: list[str] = []
    kinds = Counter(e.kind for e in entries)
    for kind, n in sorted(kinds.items()):
        numbers = ", ".join(f"#{e.number}" for e in entries if e.kind == kind)
        checks = {c.text.split("; measured")[0] for e in entries if e.kind == kind
                  for c in e.checks if c.failing and c.unit == "s" and c.limit is not None}
        limit = (f"; limit: {'; '.join(sorted(checks))}" if checks and len(checks) <= 2
                 else "" if checks else f"; zero tolerance: any {kind} fails a soak")
        if kind in RIG_FAULT_INCIDENTS:
            limit = "; a rig fault, not the phone's: re-calibrate and resume the run"

        reasons.append(f"{n} {kind} incident{'s' if n > 1 else ''} ({numbers}){limit}")
    stop = record.stop
    completed = stop is not None and stop.reason == "completed"
    phone = [e for e in entries if e.kind not in RIG_FAULT_INCIDENTS]
    verdict = "FAIL" if phone else "PASS" if completed else "INCOMPLETE"
    if not completed:
        reasons.append("the run did not complete ("
                       + (stop.reason if stop else "no run-stop document") + ")")
    recorded = stop.verdict if stop else None
    if recorded is not None and recorded != verdict:
        reasons.append(f"the run itself recorded {recorded}")
    if verdict == "PASS":
        reasons.append(f"zero incidents in {len(record.steps)} steps")
    return Verdict(verdict=verdict, reasons=reasons, recorded_verdict=recorded)


_BUDGET = re.compile(r"took ([\d.]+) (ms|s), over (?:the|its) ([\d.]+) (ms|s)")
_LIMIT_WORDS = {
    "unresponsive_after_s": "no response to a touch within",
    "frozen_frame_s": "an animation static for at most",
    "max_freeze_s": "recovery within",
    "glitch_max_s": "a change reverting by itself within",
    "anr_s": "an app answering input within",
    "response_budget_s": "a response within",
    "stall_max_s": "a touch answered, if late, within",
}


def _limit_check(name: str, limit: float | None, measured: float | None,
                 failing: bool | None) -> ThresholdCheck:
    shown = "never ended" if measured is None else f"{measured:.2f} s"
    limit_text = "not recorded" if limit is None else f"{limit:g} s"
    what = _LIMIT_WORDS.get(name, name)
    return ThresholdCheck(name=name, limit=limit, measured=measured, unit="s", failing=failing,
                          text=f"{what} {limit_text} ({name}); measured {shown}")


def _checks(doc: Incident, thresholds: dict[str, float],
            extra: dict[str, Any]) -> list[ThresholdCheck]:
    """The measured values of an incident against the limits that made it one.

    A document that carries ``limit_s`` and ``measured_s`` (or ``threshold``) is taken at its
    word. Otherwise: a freeze is judged by its length (a touch unanswered past
    ``stall_max_s``, or ``unresponsive_after_s`` in runs without it; an animation static past
    ``frozen_frame_s``; one that never ends past ``max_freeze_s``); a stall by the budget its
    message names (else ``response_budget_s`` or ``unresponsive_after_s``); a glitch by
    ``glitch_max_s``; every incident kind also fails a soak by itself (zero tolerance).
    """
    kind = doc.incident
    duration = None if doc.t_end is None else doc.t_end - doc.t_onset
    text = doc.message.lower()
    checks: list[ThresholdCheck] = []
    if isinstance(extra.get("limit_s"), int | float):
        name = str(extra.get("threshold") or "limit_s")
        measured = extra.get("measured_s", duration)
        measured = float(measured) if isinstance(measured, int | float) else None
        checks.append(_limit_check(name, float(extra["limit_s"]), measured,
                                   None if measured is None else measured > extra["limit_s"]))
    elif kind == "freeze":
        touch = "stall_max_s" if "stall_max_s" in thresholds else "unresponsive_after_s"
        names = ([touch] if "touch" in text
                 else ["frozen_frame_s"] if "animation" in text
                 else ["unresponsive_after_s", "frozen_frame_s"])
        if duration is None:
            names.append("max_freeze_s")
        for name in names:
            limit = thresholds.get(name)
            failing = None if limit is None else duration is None or duration > limit
            checks.append(_limit_check(name, limit, duration, failing))
    elif kind == "stall":
        m = _BUDGET.search(doc.message)
        if m:
            scale = [1e-3 if m.group(i) == "ms" else 1.0 for i in (2, 4)]
            measured, limit = float(m.group(1)) * scale[0], float(m.group(3)) * scale[1]
            checks.append(_limit_check("budget", limit, measured, measured > limit))
        else:  # a response after the phone was probed: later than unresponsive_after_s
            name = ("response_budget_s" if "response_budget_s" in thresholds
                    else "unresponsive_after_s")
            limit = thresholds.get(name)
            checks.append(_limit_check(name, limit, duration,
                                       None if limit is None or duration is None
                                       else duration > limit))
    elif kind == "glitch":
        limit = thresholds.get("glitch_max_s")
        checks.append(_limit_check("glitch_max_s", limit, duration,
                                   None if limit is None or duration is None
                                   else duration <= limit))
    elif kind == "anr":
        checks.append(_limit_check("anr_s", thresholds.get("anr_s"), None, True))
        checks[-1].text = (f"{_LIMIT_WORDS['anr_s']} {thresholds.get('anr_s', '?')} s (anr_s); "
                           f"the phone showed an app-not-responding dialog")
    checks.append(ThresholdCheck(
        name=f"{kind} allowed", limit=0.0, measured=1.0, unit="count", failing=True,
        text=f"{ZERO_TOLERANCE} {kind} incidents"))
    return checks


def _incident_entry(number: int, rec: IncidentRecord, record: RunRecord,
                    seqs: list[int]) -> IncidentEntry:
    doc = rec.doc
    t0 = record.t0
    thresholds = record.start.thresholds if record.start else {}
    missing = []
    if record.folder is not None:
        missing = [p for p in doc.evidence if not (record.folder / p).is_file()]
    return IncidentEntry(
        number=number, kind=doc.incident, t_onset=doc.t_onset - t0,
        t_end=None if doc.t_end is None else doc.t_end - t0,
        duration_s=None if doc.t_end is None else doc.t_end - doc.t_onset,
        flow=doc.flow, step=doc.step, iteration=_iteration_of(doc, record.steps, seqs),
        message=doc.message, evidence=list(doc.evidence), missing_evidence=missing,
        checks=_checks(doc, thresholds, rec.extra), extra=rec.extra)


def _iteration_of(doc: Incident, steps: list[StepDoc], seqs: list[int]) -> int | None:
    """The iteration of the first step document of the same flow and step after the incident
    (``seqs``: the steps' sequence numbers, ascending)."""
    i = bisect.bisect_left(seqs, doc.seq)
    for step in steps[i:i + 50]:
        if step.flow == doc.flow and step.step == doc.step:
            return step.iteration
    return None


def _flow_stats(steps: list[StepDoc], entries: list[IncidentEntry]) -> list[FlowStats]:
    by_iteration: dict[tuple[str, int], list[StepDoc]] = defaultdict(list)
    flow_order: dict[str, None] = {}
    for s in steps:
        by_iteration[(s.flow, s.iteration)].append(s)
        flow_order.setdefault(s.flow, None)
    last_index: dict[str, int] = defaultdict(int)
    for s in steps:
        last_index[s.flow] = max(last_index[s.flow], s.index)
    incidents = Counter(e.flow for e in entries)
    stats = []
    for flow in flow_order:
        passed = failed = unfinished = n_steps = n_failed = 0
        spent = 0.0
        iterations = [v for (f, _), v in by_iteration.items() if f == flow]
        for its in iterations:
            n_steps += len(its)
            spent += sum(s.t - s.t_start for s in its)
            bad = sum(s.status == "failed" for s in its)
            n_failed += bad
            if bad:
                failed += 1
            elif max(s.index for s in its) >= last_index[flow]:
                passed += 1
            else:
                unfinished += 1
        judged = passed + failed
        stats.append(FlowStats(flow=flow, iterations=len(iterations), passed=passed,
                               failed=failed, unfinished=unfinished,
                               pass_rate=passed / judged if judged else None, steps=n_steps,
                               failed_steps=n_failed, incidents=incidents.get(flow, 0),
                               duration_s=spent))
    return stats


def _measure_stats(record: RunRecord) -> list[MeasureStats]:
    groups: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    units: dict[tuple[str, str, str], str] = {}
    for m in record.measurements:
        key = (m.name, m.flow, m.step)
        groups[key].append((m.t - record.t0, m.value))
        units.setdefault(key, m.unit)
    order = _step_order(record.steps)
    span = record.duration_s
    stats = []
    for key in sorted(groups, key=lambda k: (k[0] != "response_latency", k[0],
                                             order.get((k[1], k[2]), (999, 999)), k[1], k[2])):
        arr = np.asarray(groups[key], dtype=float)
        t, v = arr[:, 0], arr[:, 1]
        p50, p95, p99 = (float(x) for x in np.percentile(v, [50, 95, 99]))
        ordered = np.sort(v)
        early = v[t <= 0.1 * span] if span > 0 else v[:0]
        late = v[t >= 0.9 * span] if span > 0 else v[:0]
        stats.append(MeasureStats(
            name=key[0], unit=units[key], flow=key[1], step=key[2], count=len(v), p50=p50,
            p95=p95, p99=p99, mean=float(v.mean()), min=float(v.min()), max=float(v.max()),
            p50_ci=quantile_interval(ordered, 0.5), p95_ci=quantile_interval(ordered, 0.95),
            early_p50=float(np.median(early)) if len(early) >= TREND_MIN_VALUES else None,
            late_p50=float(np.median(late)) if len(late) >= TREND_MIN_VALUES else None))
    return stats


def quantile_interval(ordered: np.ndarray, q: float) -> tuple[float, float]:
    """Distribution-free 95 % confidence interval of the ``q`` quantile from sorted values:
    the order statistics at ranks n*q -/+ 1.96 * sqrt(n*q*(1-q)) (binomial approximation)."""
    n = len(ordered)
    half = 1.96 * np.sqrt(n * q * (1 - q))
    lo = int(np.clip(np.floor(n * q - half), 0, n - 1))
    hi = int(np.clip(np.ceil(n * q + half), 0, n - 1))
    return float(ordered[lo]), float(ordered[hi])


def _step_order(steps: list[StepDoc]) -> dict[tuple[str, str], tuple[int, int]]:
    flows: dict[str, int] = {}
    order: dict[tuple[str, str], tuple[int, int]] = {}
    for s in steps:
        f = flows.setdefault(s.flow, len(flows))
        order.setdefault((s.flow, s.step), (f, s.index))
    return order


def measure_series(record: RunRecord) -> dict[tuple[str, str, str], np.ndarray]:
    """Measurements as arrays of (run time, value), keyed by (name, flow, step)."""
    groups: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for m in record.measurements:
        groups[(m.name, m.flow, m.step)].append((m.t - record.t0, m.value))
    return {k: np.asarray(v, dtype=float) for k, v in groups.items()}
