"""The HTML report: one self-contained folder (index.html, figures, media, report.json,
junit.xml) that opens from disk with no server, on a laptop or a phone."""

from __future__ import annotations

import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jinja2
import numpy as np

from tapbot.core.clock import wall_perf
from tapbot.core.errors import TapbotError
from tapbot.reports.analyze import analyze, measure_series
from tapbot.reports.junit import write_junit
from tapbot.reports.media import write_incident_media
from tapbot.reports.model import RunReport
from tapbot.reports.plots import (
    FigureDrawing,
    FigureJob,
    kind_colour,
    measure_plot,
    time_unit,
    timeline_plot,
)
from tapbot.reports.record import RunRecord

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
PLOTTED_MEASURES = {"response_latency"}  # per-step figures; every measure is in the table


class ReportError(TapbotError):
    """A report cannot be written where asked."""

    code = "TB720"


def environment() -> jinja2.Environment:
    """The jinja2 environment of the report templates (autoescaped)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["dur"] = format_duration
    env.filters["ms"] = lambda v: "-" if v is None else f"{v * 1000:.0f}"
    env.filters["pct"] = lambda v: "-" if v is None else f"{v * 100:.1f} %"
    env.globals["kind_colour"] = kind_colour
    return env


def format_duration(seconds: float | None) -> str:
    """1 h 02 min, 3 min 20 s, 4.2 s."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def _prepare(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        for sub in ("media", "figures"):
            shutil.rmtree(out / sub, ignore_errors=True)
            (out / sub).mkdir()
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the report there ({exc.strerror})",
                          hint="pass --out with a writable folder") from exc


def write_html(record: RunRecord, out: Path, report: RunReport | None = None) -> Path:
    """Build the full report of ``record`` into the folder ``out``; returns index.html.

    ``report`` is ``analyze(record)`` when the caller already has it; its incidents get
    their media filled in.
    """
    t_start = wall_perf()
    _prepare(out)
    report = report or analyze(record)
    claimed = {p for r in record.incidents for p in r.doc.evidence}
    figures, plots = _figures(record, report, out)
    drawing = FigureDrawing(plots)  # (before the media's threads: it may fork)
    # media (image decoding, H.264) runs in worker threads while the figures are drawn here:
    # both release the GIL for most of their time
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        jobs = [(entry, pool.submit(write_incident_media, record, entry, out, claimed))
                for entry in report.incidents]
        drawing.finish()
        t_plots = wall_perf()
        for entry, job in jobs:
            entry.media = job.result()
    t_media = wall_perf()
    (out / "report.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    write_junit(report, out / "junit.xml", run_folder=record.folder)
    span = max(report.run.duration_s, 1e-9)
    div, unit = time_unit(span)
    html = environment().get_template("report.html.j2").render(
        r=report, figures=figures, span=span, div=div, unit=unit,
        ticks=[(x / span * 100, f"{x / div:g} {unit}") for x in _ticks(span, div)])
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    logger.info("report of %s: plots %.1f s, media done at %.1f s, total %.1f s", record.run_id,
                t_plots - t_start, t_media - t_start, wall_perf() - t_start)
    return index


def _ticks(span: float, div: float) -> list[float]:
    units = span / div
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120) if units / s <= 8), 240)
    return [k * step * div for k in range(int(units // step) + 1)]


def _figures(record: RunRecord, report: RunReport, out: Path
             ) -> tuple[dict[str, str], list[FigureJob]]:
    """The report's figures (their paths in ``out`` by name) and how to draw each."""
    fig_dir = out / "figures"
    series = measure_series(record)
    span = report.run.duration_s
    latency = [v for (name, _, _), v in series.items() if name == "response_latency"]
    t0 = record.t0
    step_times = np.asarray([s.t - t0 for s in record.steps], dtype=float)
    failed = np.asarray([s.t - t0 for s in record.steps if s.status == "failed"], dtype=float)
    figures = {"timeline": "figures/timeline.svg"}
    jobs: list[FigureJob] = [(timeline_plot, (
        out / figures["timeline"], span, np.concatenate(latency) if latency else None,
        step_times, failed, report.incidents))]
    for i, stats in enumerate(report.measures):
        key = (stats.name, stats.flow, stats.step)
        if stats.count < 2 or stats.name not in PLOTTED_MEASURES:
            continue
        name = f"figures/measure-{i:03d}.svg"
        jobs.append((measure_plot, (fig_dir / Path(name).name, stats, series[key], span,
                                    report.incidents)))
        figures[f"measure-{i}"] = name
    return figures, jobs
