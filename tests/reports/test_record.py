"""Bad input: unknown runs, documents from other schemas, missing files — a clear TapbotError
or a report that marks what is missing, never a crash."""

import json

import pytest

from tapbot.core.errors import StoreError, TapbotError
from tapbot.reports import RunNotFound, analyze, load_run, resolve_run
from tapbot.reports.synthetic import make_run


def _lines(path):
    return path.read_text().splitlines()


def test_unknown_run_id_names_the_known_runs(tmp_path):
    make_run(tmp_path / "run-a", 30.0, incidents=0)
    with pytest.raises(RunNotFound) as err:
        resolve_run("run-b", tmp_path)
    assert "unknown run 'run-b'" in str(err.value) and "run-a" in str(err.value)
    assert str(err.value).startswith("TB710")


def test_run_id_and_folder_path_and_documents_path_resolve_alike(tmp_path):
    make_run(tmp_path / "run-a", 30.0, incidents=0)
    folder = tmp_path / "run-a"
    assert resolve_run("run-a", tmp_path) == folder
    assert resolve_run(str(folder)) == folder
    assert resolve_run(folder / "documents.jsonl") == folder


def test_folder_without_documents_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunNotFound, match=r"no documents\.jsonl"):
        load_run(tmp_path / "empty")


def test_file_of_another_tool_is_a_clear_error(tmp_path):
    run = tmp_path / "run-x"
    run.mkdir()
    (run / "documents.jsonl").write_text("hello\nworld\n")
    with pytest.raises(StoreError, match="no readable tapbot document in 2 lines"):
        load_run(run)


def test_older_schema_documents_are_skipped_and_listed_not_fatal(tmp_path):
    truth = make_run(tmp_path / "run-old", 120.0, incidents=0)
    docs = truth.folder / "documents.jsonl"
    lines = _lines(docs)
    step_lines = [i for i, line in enumerate(lines) if '"kind":"step"' in line]
    old = json.loads(lines[step_lines[0]])
    del old["status"], old["iteration"]  # a step from before those fields existed
    lines[step_lines[0]] = json.dumps(old)
    docs.write_text("\n".join(lines) + "\n")
    record = load_run(truth.folder)
    assert len(record.steps) == truth.steps - 1
    where, problem = record.problems[0]
    assert where == f"documents.jsonl:{step_lines[0] + 1}"
    assert "step document" in problem and "iteration, status" in problem
    assert "older schema" in problem
    report = analyze(record)
    assert report.problems[0].where == where


def test_newer_fields_are_kept_aside_and_used_when_they_name_a_limit(tmp_path):
    truth = make_run(tmp_path / "run-new", 1200.0, incidents=2)
    docs = truth.folder / "documents.jsonl"
    lines = _lines(docs)
    i = next(i for i, line in enumerate(lines) if '"kind":"incident"' in line)
    doc = json.loads(lines[i])
    doc.update(limit_s=0.5, measured_s=0.8, threshold="launch_budget_s", severity="high")
    lines[i] = json.dumps(doc)
    docs.write_text("\n".join(lines) + "\n")
    report = analyze(load_run(truth.folder))
    entry = report.incidents[0]
    assert entry.extra == {"limit_s": 0.5, "measured_s": 0.8, "threshold": "launch_budget_s",
                           "severity": "high"}
    check = entry.checks[0]
    assert (check.name, check.limit, check.measured, check.failing) == (
        "launch_budget_s", 0.5, 0.8, True)
    assert report.problems == []


def test_torn_last_line_and_unknown_kinds_are_reported(tmp_path):
    truth = make_run(tmp_path / "run-torn", 60.0, incidents=0, complete=False)
    docs = truth.folder / "documents.jsonl"
    with docs.open("a") as fh:
        fh.write('{"kind":"heartbeat","run_id":"x","t":1}\n{"run_id":"synth')
    record = load_run(truth.folder)
    problems = [p for _, p in record.problems]
    assert "unknown document kind 'heartbeat' (skipped)" in problems
    assert "torn last line (the run was cut off mid-write)" in problems
    assert any("no run-stop" in p for p in problems)


def test_missing_evidence_files_are_marked(faulty_copy):
    (faulty_copy / "frames" / "incident-0001-crash.png").unlink()
    report = analyze(load_run(faulty_copy))
    assert report.incidents[0].missing_evidence == ["frames/incident-0001-crash.png"]
    assert any(p.problem == "evidence file missing: frames/incident-0001-crash.png"
               for p in report.problems)


def test_run_not_found_is_a_tapbot_error():
    assert issubclass(RunNotFound, TapbotError)


@pytest.fixture
def faulty_copy(faulty_run, tmp_path):
    import shutil

    dst = tmp_path / "run-copy"
    shutil.copytree(faulty_run.folder, dst, ignore=shutil.ignore_patterns("report"))
    return dst


def test_a_run_cut_off_after_one_incident_still_reports_all_it_knows(tmp_path):
    from tapbot.core.documents import Incident, RunStart
    from tapbot.reports import write_html
    from tapbot.store import JsonlWriter

    folder = tmp_path / "run-cut"
    writer = JsonlWriter(folder / "documents.jsonl")
    writer(RunStart(run_id="run-cut", t=5.0, rig="twin", device="d", plan="p"))
    writer(Incident(run_id="run-cut", t=6.0, incident="reboot", t_onset=5.5, t_end=None,
                    message="the screen went dark", evidence=["frames/gone.png"]))
    writer.close()
    record = load_run(folder)
    report = analyze(record)
    assert report.verdict.verdict == "FAIL"
    assert report.verdict.reasons == [
        "1 reboot incident (#1); zero tolerance: any reboot fails a soak",
        "the run did not complete (no run-stop document)"]
    assert report.incidents[0].t_onset == 0.5 and report.incidents[0].duration_s is None
    html = write_html(record, folder / "report").read_text()
    assert html.count('<article class="incident"') == 1
    assert "frames/gone.png <b class=\"missing\">(missing)</b>" in html
