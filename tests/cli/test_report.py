"""`tapbot report` as a user meets it: files written, one line and exit 2 on bad input."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tapbot.reports.synthetic import make_run


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-c", "from tapbot.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    make_run(root / "run-a", 900.0, incidents=0, seed=1, run_id="run-a")
    make_run(root / "run-b", 900.0, incidents=2, seed=1, run_id="run-b",
             scale={("counter", "open Counter"): 1.6})
    return root


def test_html_report_of_a_run_id_is_written_into_the_run_folder(runs):
    res = run_cli("report", "run-b", "--runs-dir", str(runs))
    assert res.returncode == 0, res.stderr
    index = runs / "run-b" / "report" / "index.html"
    assert index.is_file() and str(index) in res.stdout
    assert "verdict: FAIL" in res.stdout


def test_json_and_junit_formats_go_to_out(runs, tmp_path):
    res = run_cli("report", str(runs / "run-a"), "--format", "json", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "report.json").read_text())["verdict"]["verdict"] == "PASS"
    res = run_cli("report", str(runs / "run-b"), "-f", "junit", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.get("failures") != "0"


def test_compare_prints_the_shift_that_matters_and_writes_the_page(runs, tmp_path):
    res = run_cli("report", "--compare", "run-a", "run-b", "--runs-dir", str(runs),
                  "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "open Counter" in res.stdout and "incidents: crash" in res.stdout
    assert (tmp_path / "compare.html").is_file()
    data = json.loads((tmp_path / "compare.json").read_text())
    flagged = {s["step"] for s in data["shifts"] if s["significant"]}
    assert flagged == {"open Counter"}


@pytest.mark.parametrize("args, expected", [
    (("report", "run-nope"), "TB710: unknown run 'run-nope'"),
    (("report",), "TB720: no run given"),
    (("report", "run-a", "--compare", "run-a", "run-b"), "TB720: give either RUN"),
])
def test_bad_input_prints_one_line_and_exits_2(runs, args, expected):
    res = run_cli(*args, "--runs-dir", str(runs))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_a_corrupt_documents_file_is_one_line_exit_2(tmp_path):
    (tmp_path / "run-x").mkdir()
    (tmp_path / "run-x" / "documents.jsonl").write_bytes(b"\x00\x01garbage\n")
    res = run_cli("report", "run-x", "--runs-dir", str(tmp_path))
    assert res.returncode == 2 and "no readable tapbot document" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_demo_writes_the_html_report_and_prints_its_path(tmp_path):
    res = run_cli("demo", "--duration", "90s", "--seed", "2", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    line = next(li for li in res.stdout.splitlines() if li.startswith("report: "))
    index = tmp_path.joinpath(*line.removeprefix("report: ").strip().split("/")[-3:])
    assert index.name == "index.html" and index.is_file()
    assert (index.parent / "report.json").is_file() and (index.parent / "junit.xml").is_file()


def test_soak_writes_the_html_report_with_its_crash_in_the_gallery(tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text("devices:\n  - type: sim\n    faults:\n      schedule:\n"
                   "        - {kind: crash, at_s: 10}\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"seed: 1\nduration: 30s\nrig: {rig.name}\nflows:\n  - library: counter\n")
    res = run_cli("soak", str(plan), "--out", str(tmp_path / "runs"))
    assert res.returncode == 1, res.stderr
    index = next((tmp_path / "runs").glob("run-*/report/index.html"))
    assert f"report: {index}" in res.stdout.replace("\n", "")
    html = index.read_text()
    assert html.count('<article class="incident"') == 1 and "crash" in html
