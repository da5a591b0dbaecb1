"""``tapbot twin score`` as a user meets it."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from tapbot.cli.main import app
from tapbot.core.documents import Incident, RunStart, RunStop
from tapbot.sim.truth import GroundTruth, TruthFault
from tapbot.store import JsonlWriter


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def _write_run(folder, truth: bool = True) -> None:
    writer = JsonlWriter(folder / "documents.jsonl")
    for doc in (RunStart(run_id="r1", t=0.0, rig="twin", device="p", plan="x"),
                Incident(run_id="r1", t=50.0, incident="freeze", t_onset=41.0, t_end=45.0,
                         message="frozen"),
                Incident(run_id="r1", t=90.0, incident="freeze", t_onset=90.0, t_end=93.0,
                         message="frozen"),
                RunStop(run_id="r1", t=1800.0, reason="completed", verdict="FAIL")):
        writer(doc)
    writer.close()
    if truth:
        gt = GroundTruth(faults=[TruthFault("freeze", 40.0, 44.0, "Video"),
                                 TruthFault("crash", 75.0, 76.0, "Counter")])
        (folder / "twin-truth.json").write_text(gt.to_json())


def _cells(out: str, first: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.startswith(f"│ {first} "))
    return [c.strip() for c in line.split("│")[1:-1]]


def test_score_prints_recall_precision_and_false_per_hour(tmp_path) -> None:
    _write_run(tmp_path / "r1")
    res = CliRunner().invoke(app, ["twin", "score", "r1", "--runs-dir", str(tmp_path)],
                             terminal_width=200)
    assert res.exit_code == 0, res.output
    # kind, truth, incidents, detected, false, recall, precision, onset p50 / p95 (ms)
    assert _cells(res.output, "freeze") == ["freeze", "1", "2", "1", "1", "1.00", "0.50",
                                            "1000", "1000"]
    assert _cells(res.output, "crash") == ["crash", "1", "0", "0", "0", "0.00", "-", "-", "-"]
    assert _cells(res.output, "false incidents per hour") == ["false incidents per hour",
                                                              "2.00"]


def test_list_names_each_missed_fault_and_false_incident(tmp_path) -> None:
    _write_run(tmp_path / "r1")
    res = CliRunner().invoke(app, ["twin", "score", "r1", "--runs-dir", str(tmp_path),
                                   "--list"], terminal_width=200)
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines() if line.startswith(("missed", "false "))]
    assert lines == ["missed crash 75.00-76.00 s in Counter during -",
                     "false freeze 90.00 s (- / -): frozen"]


def test_several_runs_are_scored_together_and_listed_each_under_its_name(tmp_path) -> None:
    _write_run(tmp_path / "r1")
    _write_run(tmp_path / "r2")
    res = CliRunner().invoke(app, ["twin", "score", "r1", "r2", "--runs-dir", str(tmp_path),
                                   "--list"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "2 runs together (r1, r2)" in res.output
    assert _cells(res.output, "freeze") == ["freeze", "2", "4", "2", "2", "1.00", "0.50",
                                            "1000", "1000"]
    assert _cells(res.output, "simulated time") == ["simulated time", "1.00 h"]
    names = [line for line in res.output.splitlines() if line in ("r1:", "r2:")]
    assert names == ["r1:", "r2:"]
    assert sum(line.startswith("missed crash") for line in res.output.splitlines()) == 2


def test_a_run_folder_path_works_too(tmp_path) -> None:
    _write_run(tmp_path / "r1")
    res = CliRunner().invoke(app, ["twin", "score", str(tmp_path / "r1"), "--runs-dir",
                                   str(tmp_path / "none")])
    assert res.exit_code == 0, res.output


def test_missing_run_or_truth_exits_2_with_one_line(tmp_path) -> None:
    res = run_cli("twin", "score", "nope", "--runs-dir", str(tmp_path))
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "run 'nope' not found" in res.stderr
    _write_run(tmp_path / "r2", truth=False)
    res = run_cli("twin", "score", "r2", "--runs-dir", str(tmp_path))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "twin-truth.json: no ground truth" in lines[0]
    assert "Traceback" not in res.stderr
