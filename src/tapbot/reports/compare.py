"""Two runs side by side (two devices, or two builds): latency shifts per step with p50/p95
deltas, incident counts by kind and pass rates per flow; the shifts that matter are flagged."""

from __future__ import annotations

import logging
from pathlib import Path

from tapbot.reports.html import ReportError, environment
from tapbot.reports.model import Comparison, MeasureShift, MeasureStats, RunReport

logger = logging.getLogger(__name__)

SIGNIFICANT_REL = 0.10  # a p50 or p95 shift matters when it is >= 10 % ...
SIGNIFICANT_ABS_S = 0.005  # ... and >= 5 ms


def compare(a: RunReport, b: RunReport) -> Comparison:
    """Compare run ``a`` (the reference) with run ``b``."""
    stats_a = {(m.name, m.flow, m.step): m for m in a.measures}
    stats_b = {(m.name, m.flow, m.step): m for m in b.measures}
    keys = list(stats_a) + [k for k in stats_b if k not in stats_a]
    shifts = [_shift(k, stats_a.get(k), stats_b.get(k)) for k in keys]
    kinds = sorted(set(a.counts.incidents_by_kind) | set(b.counts.incidents_by_kind))
    flows_a = {f.flow: f.pass_rate for f in a.flows}
    flows_b = {f.flow: f.pass_rate for f in b.flows}
    flows = list(flows_a) + [f for f in flows_b if f not in flows_a]
    return Comparison(
        a=a.run, b=b.run, verdict_a=a.verdict.verdict, verdict_b=b.verdict.verdict,
        incidents_by_kind={k: (a.counts.incidents_by_kind.get(k, 0),
                               b.counts.incidents_by_kind.get(k, 0)) for k in kinds},
        pass_rates={f: (flows_a.get(f), flows_b.get(f)) for f in flows},
        shifts=shifts)


def _shift(key: tuple[str, str, str], a: MeasureStats | None,
           b: MeasureStats | None) -> MeasureShift:
    p50_d = b.p50 - a.p50 if a and b else None
    p95_d = b.p95 - a.p95 if a and b else None
    rel = (p95_d / a.p95) if a and b and a.p95 > 0 and p95_d is not None else None
    significant = bool(a and b and (_moved(a.p50, b.p50, a.p50_ci, b.p50_ci)
                                    or _moved(a.p95, b.p95, a.p95_ci, b.p95_ci)))
    return MeasureShift(
        name=key[0], flow=key[1], step=key[2], count_a=a.count if a else 0,
        count_b=b.count if b else 0, p50_a=a.p50 if a else None, p50_b=b.p50 if b else None,
        p95_a=a.p95 if a else None, p95_b=b.p95 if b else None, p50_delta=p50_d,
        p95_delta=p95_d, p95_change=rel, significant=significant)


def _moved(a: float, b: float, ci_a: tuple[float, float], ci_b: tuple[float, float]) -> bool:
    """A shift that matters: >= 10 % and >= 5 ms, and the runs' 95 % intervals are disjoint
    (so sampling noise alone does not explain it)."""
    big = abs(b - a) >= SIGNIFICANT_ABS_S and a > 0 and abs(b - a) / a >= SIGNIFICANT_REL
    return big and (ci_b[0] > ci_a[1] or ci_b[1] < ci_a[0])


def write_compare_html(comparison: Comparison, out: Path) -> Path:
    """Write ``compare.html`` and ``compare.json`` into ``out``; returns the HTML path."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the comparison there ({exc.strerror})",
                          hint="pass --out with a writable folder") from exc
    (out / "compare.json").write_text(comparison.model_dump_json(indent=1), encoding="utf-8")
    html = environment().get_template("compare.html.j2").render(c=comparison)
    path = out / "compare.html"
    path.write_text(html, encoding="utf-8")
    return path
