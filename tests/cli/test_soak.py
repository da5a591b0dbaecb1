"""tapbot soak and tapbot run: exit 0 on PASS, 1 on FAIL, 2 on a user error."""

import sqlite3
import subprocess
import sys


def run_cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env=env)


def test_a_healthy_soak_passes_with_exit_0_and_is_in_the_store(tmp_path, monkeypatch):
    monkeypatch.delenv("TAPBOT_DATABASE_URL", raising=False)
    plan = tmp_path / "plan.yaml"
    plan.write_text("seed: 2\nduration: 30s\nflows:\n  - library: counter\n"
                    "  - library: messages\n")
    res = run_cli("soak", str(plan), "--out", str(tmp_path / "runs"))
    assert res.returncode == 0, res.stderr
    assert "verdict: PASS" in res.stdout
    db = sqlite3.connect(tmp_path / "runs" / "tapbot.db")
    (verdict, steps), = db.execute("select verdict, steps from runs").fetchall()
    assert verdict == "PASS" and steps > 10
    assert db.execute("select count(*) from steps").fetchone()[0] == steps


def test_a_soak_with_a_crash_fails_with_exit_1(tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text("devices:\n  - type: sim\n    faults:\n      schedule:\n"
                   "        - {kind: crash, at_s: 10}\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"seed: 1\nduration: 30s\nrig: {rig.name}\nflows:\n  - library: counter\n")
    res = run_cli("soak", str(plan), "--out", str(tmp_path / "runs"))
    assert res.returncode == 1, res.stderr
    assert "verdict: FAIL" in res.stdout and "crash" in res.stdout


def test_a_bad_plan_exits_2_naming_file_and_line_and_nothing_moves(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("duration: 1h\nflows: []\n")
    res = run_cli("soak", str(plan), "--out", str(tmp_path / "runs"))
    assert res.returncode == 2
    line, = res.stderr.strip().splitlines()
    assert f"{plan}:2:8: flows: expected a non-empty list" in line
    assert not (tmp_path / "runs").exists()


def test_run_dry_run_lists_the_steps_and_moves_nothing(tmp_path):
    flow = tmp_path / "f.yaml"
    flow.write_text("name: f\n---\n- tapOn: {point: \"12.5%, 20%\"}\n- pressKey: home\n")
    res = run_cli("run", str(flow), "--dry-run", "--out", str(tmp_path / "runs"))
    assert res.returncode == 0, res.stderr
    assert "1. tap (12.5%, 20%)" in res.stdout and "2. pressKey home" in res.stdout
    assert "nothing moved" in res.stdout
    assert not (tmp_path / "runs").exists()
    off = tmp_path / "off.yaml"
    off.write_text("---\n- tapOn: {point: \"5000, 20\"}\n")
    res = run_cli("run", str(off), "--dry-run")
    assert res.returncode == 2
    assert f"{off}:2:3:" in res.stderr and "lies off the" in res.stderr


def test_a_killed_soak_resumes_at_once_with_every_document(tmp_path, monkeypatch):
    """The soak's process is killed mid-run; its document writer finishes what it was handed
    (a resume waits for it: tests/store/test_writer.py), and a resume started at once goes on
    without a gap or a number twice, in the file and in the store."""
    import json
    import os
    import signal
    import time

    monkeypatch.delenv("TAPBOT_DATABASE_URL", raising=False)
    plan = tmp_path / "plan.yaml"
    plan.write_text("seed: 4\nduration: 5m\nflows:\n  - library: counter\n"
                    "  - library: messages\n")
    out = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                             "soak", str(plan), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    docs = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(out.glob("run-*/documents.jsonl"))
        if found and len(found[0].read_text().splitlines()) >= 150:
            docs = found[0]
            break
        time.sleep(0.05)
    assert docs is not None, "the soak ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    run_id = docs.parent.name
    res = run_cli("soak", str(plan), "--out", str(out), "--resume", run_id)
    assert res.returncode in (0, 1), res.stderr
    seqs = [json.loads(line)["seq"] for line in docs.read_text().splitlines()]
    assert seqs == list(range(1, len(seqs) + 1))
    db = sqlite3.connect(out / "tapbot.db")
    stored = [s for (s,) in db.execute("select seq from documents where run_id = ? order by id",
                                       (run_id,))]
    assert stored == seqs
    kinds = [json.loads(line)["kind"] for line in docs.read_text().splitlines()]
    assert kinds[0] == "run-start" and kinds[-1] == "run-stop"
