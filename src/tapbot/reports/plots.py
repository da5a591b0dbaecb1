"""The report's figures, drawn with matplotlib (Agg backend) as small SVG files.

Long runs stay small: over-time plots show per-interval percentiles (at most ``MAX_BINS``
intervals), never one mark per measurement.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tapbot.reports.model import IncidentEntry, MeasureStats

logger = logging.getLogger(__name__)

MAX_BINS = 96
#: With fewer figures than this, drawing them all here is quicker than forking a helper.
SHARE_FROM = 6
KIND_COLOURS = {"crash": "#b3261e", "freeze": "#7b3fbf", "stall": "#c25e00",
                "glitch": "#00639b", "reboot": "#5c4033"}


@functools.cache
def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, set up once; imported only when a report draws
    (it takes ~0.4 s, which every ``tapbot`` command would otherwise pay at start-up)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "svg.fonttype": "none",  # text stays text: small files, crisp on phones
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "svg.hashsalt": "tapbot",  # stable ids: the same run gives the same files
    })
    return plt


def time_unit(span_s: float) -> tuple[float, str]:
    """Divisor and label for run-time axes: minutes up to two hours, then hours."""
    return (3600.0, "h") if span_s > 7200 else (60.0, "min")


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, "#444444")


def binned_percentiles(t: np.ndarray, v: np.ndarray, span_s: float,
                       bins: int = MAX_BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin centres and the p50 and p95 of ``v`` in each of ``bins`` equal intervals of run
    time (NaN where an interval is empty)."""
    n_bins = int(max(1, min(bins, len(v) // 10 or 1)))
    edges = np.linspace(0.0, max(span_s, float(t.max()) if len(t) else 1.0, 1e-9), n_bins + 1)
    idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_bins - 1)
    order = np.argsort(idx, kind="stable")
    idx_sorted, v_sorted = idx[order], v[order]
    bounds = np.searchsorted(idx_sorted, np.arange(n_bins + 1))
    p50 = np.full(n_bins, np.nan)
    p95 = np.full(n_bins, np.nan)
    for b in range(n_bins):
        chunk = v_sorted[bounds[b]:bounds[b + 1]]
        if len(chunk):
            p50[b], p95[b] = np.percentile(chunk, [50, 95])
    return (edges[:-1] + edges[1:]) / 2, p50, p95


def _mark_incidents(ax, incidents: list[IncidentEntry], div: float, labels: bool) -> None:
    for e in incidents:
        ax.axvline(e.t_onset / div, color=kind_colour(e.kind), lw=0.9, alpha=0.75)
        if labels:
            ax.annotate(f"#{e.number}", (e.t_onset / div, 1.0), xycoords=("data", "axes fraction"),
                        fontsize=7, color=kind_colour(e.kind), ha="center", va="bottom")


def timeline_plot(path: Path, span_s: float, latency: np.ndarray | None,
                  step_times: np.ndarray, failed_times: np.ndarray,
                  incidents: list[IncidentEntry]) -> None:
    """The whole run: response latency p50/p95 over time, step throughput and failures,
    with every incident marked and numbered."""
    plt = _pyplot()
    div, unit = time_unit(span_s)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 3.6), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 2]})
    if latency is not None and len(latency):
        x, p50, p95 = binned_percentiles(latency[:, 0], latency[:, 1] * 1000, span_s)
        ax1.plot(x / div, p50, color="#1f6f43", lw=1.4, label="p50")
        ax1.plot(x / div, p95, color="#c25e00", lw=1.1, label="p95")
        ax1.legend(loc="upper right", fontsize=7, framealpha=0.85, edgecolor="none", ncols=2)
    else:
        ax1.text(0.5, 0.5, "no response latency measured", transform=ax1.transAxes,
                 ha="center", va="center", color="#666")
    ax1.set_ylabel("response latency (ms)")
    ax1.set_ylim(bottom=0)
    _mark_incidents(ax1, incidents, div, labels=len(incidents) <= 25)
    n_bins = MAX_BINS if span_s > 0 else 1
    edges = np.linspace(0, max(span_s, 1e-9), n_bins + 1) / div
    ax2.hist(step_times / div, bins=edges, color="#8aa4c8", label="steps")
    if len(failed_times):
        ax2.hist(failed_times / div, bins=edges, color="#b3261e", label="failed steps")
    ax2.set_ylabel("steps")
    ax2.legend(loc="upper right", fontsize=7, framealpha=0.85, edgecolor="none", ncols=2)
    _mark_incidents(ax2, incidents, div, labels=False)
    ax2.set_xlabel(f"run time ({unit})")
    ax2.set_xlim(0, max(span_s, 1e-9) / div)
    fig.subplots_adjust(left=0.08, right=0.99, top=0.93, bottom=0.13, hspace=0.12)
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def measure_plot(path: Path, stats: MeasureStats, series: np.ndarray, span_s: float,
                 incidents: list[IncidentEntry]) -> None:
    """One measurement at one step: its histogram with p50/p95/p99, and p50/p95 over run
    time so a slowdown with uptime shows."""
    scale, unit = (1000.0, "ms") if stats.unit == "s" else (1.0, stats.unit)
    div, tunit = time_unit(span_s)
    t, v = series[:, 0], series[:, 1] * scale
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 2.5), gridspec_kw={"width_ratios": [1, 1.4]})
    bins = int(min(60, max(8, np.sqrt(len(v)))))
    ax1.hist(v, bins=bins, color="#8aa4c8")
    for q, value, style in (("p50", stats.p50, "-"), ("p95", stats.p95, "--"),
                            ("p99", stats.p99, ":")):
        ax1.axvline(value * scale, color="#222", ls=style, lw=1, label=f"{q} {value * scale:.0f}")
    ax1.legend(fontsize=7, frameon=False)
    ax1.set_xlabel(f"{stats.name} ({unit})")
    ax1.set_ylabel("count")
    x, p50, p95 = binned_percentiles(t, v, span_s)
    if len(v) <= 400:
        ax2.plot(t / div, v, ".", ms=2.5, color="#8aa4c8", alpha=0.8, label="each")
    ax2.plot(x / div, p50, color="#1f6f43", lw=1.3, label="p50")
    ax2.plot(x / div, p95, color="#c25e00", lw=1.0, label="p95")
    _mark_incidents(ax2, [e for e in incidents if e.flow == stats.flow], div, labels=False)
    ax2.set_xlim(0, max(span_s, 1e-9) / div)
    ax2.set_ylim(bottom=0)
    ax2.set_xlabel(f"run time ({tunit})")
    ax2.set_ylabel(unit)
    ax2.legend(fontsize=7, framealpha=0.85, edgecolor="none", ncols=3, loc="upper right")
    fig.subplots_adjust(left=0.08, right=0.99, top=0.95, bottom=0.18, wspace=0.25)
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


#: A figure to draw: a plot function of this module and its arguments (it writes its file).
FigureJob = tuple[Callable[..., None], tuple]


class FigureDrawing:
    """Draws a report's figures, sharing them with a forked copy of this process when a
    second core is free: the copy draws every other one (the figures cost about the same)
    while this process draws the rest and whatever else the report does meanwhile.

    Make it before starting any thread (:meth:`finish` may run beside them): the process is
    copied only while it runs no other thread (a copy of a lock another thread held would
    never be released), and only where it may use two cores. The files are the same either
    way; a copy that fails leaves its figures to this process (logged)."""

    def __init__(self, jobs: Sequence[FigureJob]) -> None:
        self._jobs = list(jobs)
        self._theirs: list[FigureJob] = []
        self._helper: multiprocessing.process.BaseProcess | None = None
        if len(self._jobs) >= SHARE_FROM and _can_fork():
            _pyplot()  # (imported once, before the copy: it inherits it)
            self._theirs = self._jobs[1::2]
            ctx = multiprocessing.get_context("fork")
            self._helper = ctx.Process(target=_draw_and_exit, args=(self._theirs,),
                                       name="tapbot-figures", daemon=True)
            self._helper.start()
            self._jobs = self._jobs[0::2]

    def finish(self) -> None:
        """Draw this process's share and wait for the copy's (drawing its share here if it
        failed)."""
        try:
            for plot, args in self._jobs:
                plot(*args)
        finally:
            if self._helper is not None:
                self._helper.join()
        if self._helper is not None and self._helper.exitcode != 0:
            logger.warning("the process drawing %d figures ended with %s; drawing them here",
                           len(self._theirs), self._helper.exitcode)
            for plot, args in self._theirs:
                plot(*args)


def _can_fork() -> bool:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1
    return cores >= 2 and threading.active_count() == 1 and \
        "fork" in multiprocessing.get_all_start_methods()


def _draw_and_exit(jobs: list[FigureJob]) -> None:
    """The copy's work: draw ``jobs``; exit 1 without a traceback on any error (the parent
    draws them again and says so)."""
    try:
        for plot, args in jobs:
            plot(*args)
    except BaseException:  # (any: the exit code tells the parent)
        logger.debug("drawing figures failed", exc_info=True)
        os._exit(1)
