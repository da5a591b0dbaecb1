"""The report's figures: drawn in a forked helper or here, the same files."""

import logging
import os
import threading
from pathlib import Path

import pytest

from tapbot.reports.analyze import analyze
from tapbot.reports.html import _figures
from tapbot.reports.plots import SHARE_FROM, FigureDrawing, _can_fork
from tapbot.reports.record import load_run

needs_fork = pytest.mark.skipif(not _can_fork(), reason="needs fork, two cores, one thread")


def _jobs(run_folder: Path, out: Path):
    record = load_run(run_folder)
    (out / "figures").mkdir(parents=True)
    return _figures(record, analyze(record), out)


@needs_fork
def test_figures_drawn_with_a_helper_are_the_files_drawn_here(faulty_run, tmp_path):
    names, jobs = _jobs(faulty_run.folder, tmp_path / "shared")
    assert len(jobs) >= SHARE_FROM
    drawing = FigureDrawing(jobs)
    assert drawing._helper is not None  # the case under test: half drawn by the copy
    drawing.finish()
    assert drawing._helper.exitcode == 0  # it drew its share
    _, alone = _jobs(faulty_run.folder, tmp_path / "alone")
    for plot, args in alone:
        plot(*args)
    for name in names.values():
        shared = (tmp_path / "shared" / name).read_bytes()
        assert shared == (tmp_path / "alone" / name).read_bytes(), name
        assert shared.startswith(b"<?xml")


@needs_fork
def test_figures_a_failed_helper_left_are_drawn_here(tmp_path, caplog):
    parent = os.getpid()

    def plot(path: Path) -> None:
        if os.getpid() != parent:
            raise RuntimeError("the copy fails")
        path.write_text("drawn here")

    jobs = [(plot, (tmp_path / f"{i}.svg",)) for i in range(SHARE_FROM)]
    drawing = FigureDrawing(jobs)
    assert drawing._helper is not None
    with caplog.at_level(logging.WARNING, logger="tapbot.reports.plots"):
        drawing.finish()
    assert [p.read_text() for p in sorted(tmp_path.glob("*.svg"))] == ["drawn here"] * SHARE_FROM
    assert "drawing them here" in caplog.text


def test_figures_are_drawn_here_while_another_thread_runs(tmp_path):
    drawn = []
    jobs = [(drawn.append, (i,)) for i in range(SHARE_FROM)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        drawing = FigureDrawing(jobs)  # (a copy of a process running threads: never)
        assert drawing._helper is None
        drawing.finish()
    finally:
        stop.set()
        other.join()
    assert drawn == list(range(SHARE_FROM))
