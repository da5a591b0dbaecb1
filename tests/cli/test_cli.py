"""The command line as a user meets it: one line and exit 2 on bad input."""

import subprocess
import sys


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_unknown_type_in_rig_file_prints_one_line_and_exits_2(tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text("robot:\n  type: delta-x\n")
    res = run_cli("demo", "--rig", str(rig), "--out", str(tmp_path))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "rig.yaml:2" in lines[0] and "allowed: delta-grbl, grbl, sim" in lines[0]
    assert "Traceback" not in res.stderr


def test_missing_rig_file_exits_2(tmp_path):
    res = run_cli("demo", "--rig", str(tmp_path / "missing.yaml"))
    assert res.returncode == 2
    assert "file not found" in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_duration_exits_2(tmp_path):
    res = run_cli("demo", "--duration", "forever", "--out", str(tmp_path))
    assert res.returncode == 2
    assert "duration 'forever'" in res.stderr


def test_demo_runs_and_prints_verdict_and_documents_path(tmp_path):
    res = run_cli("demo", "--duration", "2m", "--seed", "3", "--no-faults",
                  "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "verdict: PASS" in res.stdout
    assert "documents:" in res.stdout
    docs = list(tmp_path.glob("run-*/documents.jsonl"))
    assert len(docs) == 1 and docs[0].stat().st_size > 0
