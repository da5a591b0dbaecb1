"""tapbot validate: every problem with file:line:column, exit 2; valid files exit 0."""

import subprocess
import sys


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_validate_lists_every_problem_and_exits_2(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("name: good\n---\n- tapOn: {point: \"50%, 50%\"}\n- back\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("---\n- tapOn\n- clearState\n- runFlow: gone.yaml\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text("iterations: 2\nflows:\n  - flow: good.yaml\n    weight: -1\n")
    res = run_cli("validate", str(good), str(bad), str(plan))
    assert res.returncode == 2
    assert f"{good}: ok (flow 'good', 2 steps)" in res.stdout
    errors = res.stderr.strip().splitlines()
    assert errors == [
        f"{bad}:2:3: tapOn: expected a selector: text, {{text: ...}}, {{image: ...}} or "
        "{point: 'x, y'}",
        f"{bad}:3:3: unsupported Maestro command 'clearState'",
        f"{bad}:4:12: flow file {tmp_path / 'gone.yaml'} cannot be read (No such file or "
        "directory)",
        f"{plan}:4:13: weight: expected a number > 0, got -1",
    ]
    assert "Traceback" not in res.stderr


def test_valid_flows_and_plans_exit_0(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("duration: 1h\nflows:\n  - library: counter\n  - library: video\n")
    res = run_cli("validate", str(plan))
    assert res.returncode == 0, res.stderr
    assert "ok (plan 'plan', 2 flows)" in res.stdout
