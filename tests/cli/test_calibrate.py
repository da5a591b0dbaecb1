"""``tapbot calibrate`` as a user meets it: residual map, saved file, one-line errors."""

import json
import subprocess
import sys


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_calibrate_the_twin_prints_the_residual_map_and_saves_json(tmp_path):
    res = run_cli("calibrate", "--seed", "2", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "calibration residuals" in res.stdout and "worst" in res.stdout
    saved = tmp_path / "calibrations" / "twin" / "twin-phone.json"
    data = json.loads(saved.read_text())
    assert data["version"] == 2 and data["source"] == "measured"
    assert len(data["points"]) >= 9 and data["max_residual_mm"] <= 0.5
    # the rig file then uses it, and the demo runs on the measured calibration
    (tmp_path / "rig.yaml").write_text(
        "calibration:\n  type: file\n  path: calibrations/twin/twin-phone.json\n")
    res = run_cli("demo", "--rig", "rig.yaml", "--duration", "30s", "--out", "runs",
                  cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "verdict: PASS" in res.stdout


def test_calibrate_with_a_rig_whose_calibration_file_is_missing_still_runs(tmp_path):
    (tmp_path / "rig.yaml").write_text(
        "name: bench\ncalibration:\n  type: file\n  path: nowhere.json\n")
    res = run_cli("calibrate", "--rig", "rig.yaml", "--out", "cal.json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "cal.json").read_text())["rig"] == "bench"


def test_bad_start_point_is_one_line_and_exit_2(tmp_path):
    res = run_cli("calibrate", "--start", "here", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "X,Y" in res.stderr
    res = run_cli("calibrate", "--start", "190,5", cwd=tmp_path)
    assert res.returncode == 2 and "no touch registered at the start point" in res.stderr
    assert "Traceback" not in res.stderr
    res = run_cli("calibrate", "--points", "3", cwd=tmp_path)
    assert res.returncode == 2 and "points" in res.stderr


def test_a_broken_marker_layout_file_names_the_file(tmp_path):
    (tmp_path / "m.yaml").write_text("0: [[0, 0], [1, 0]]\n")
    res = run_cli("calibrate", "--markers", "m.yaml", cwd=tmp_path)
    assert res.returncode == 2 and "m.yaml: marker 0: needs 4" in res.stderr
