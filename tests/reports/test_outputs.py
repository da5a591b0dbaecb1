"""What the report writes: a self-contained HTML folder, JUnit XML, report.json and its
schema, the comparison, and incident clips."""

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import av
import numpy as np
import pytest

from tapbot.reports import analyze, load_run, report_schema, write_html
from tapbot.reports.compare import compare, write_compare_html
from tapbot.reports.media import write_clip
from tapbot.reports.model import RunReport
from tapbot.reports.synthetic import CLIP_FRAMES, make_run

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def html_report(faulty_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return write_html(load_run(faulty_run.folder), out)


def test_html_folder_is_self_contained_and_every_reference_exists(html_report):
    html = html_report.read_text()
    refs = re.findall(r'(?:src|href|poster)="([^"#]+)"', html)
    assert refs, "the page references its figures and media"
    for ref in refs:
        assert not re.match(r"^[a-z]+://", ref), f"external reference {ref}"
        if ref == "data:,":  # the empty favicon, so the browser asks for no file
            continue
        assert (html_report.parent / ref).is_file(), ref
    assert "<style>" in html and 'name="viewport"' in html


def test_html_gallery_has_one_card_per_incident_with_views_and_clip(html_report, faulty_run):
    html = html_report.read_text()
    assert html.count('<article class="incident"') == len(faulty_run.incidents)
    for n in range(1, len(faulty_run.incidents) + 1):
        assert f'href="#incident-{n}"' in html  # the timeline links to it
        for role in ("before", "onset", "after"):
            assert f"media/incident-{n:04d}-{role}.jpg" in html
        assert f"media/incident-{n:04d}-clip.mp4" in html
    assert 'data-verdict="FAIL"' in html


def test_clip_holds_every_frame_for_its_capture_interval(tmp_path):
    frames = [(i * 0.1, np.full((240, 320, 3), 10 * i, np.uint8)) for i in range(CLIP_FRAMES)]
    frames[5] = (0.55, frames[5][1])  # an uneven gap: frame 4 is shown 0.15 s, frame 5 0.05 s
    write_clip(tmp_path / "c.mp4", frames, fps=20, hold_last_s=0.5)
    with av.open(str(tmp_path / "c.mp4")) as container:
        levels = [f.to_ndarray(format="gray").mean() for f in container.decode(video=0)]
    expected = []
    for i, (t, image) in enumerate(frames):
        t_next = frames[i + 1][0] if i + 1 < len(frames) else t + 0.5
        expected += [image.mean()] * max(1, round((t_next - t) * 20))
    assert len(levels) == len(expected)
    assert np.allclose(levels, expected, atol=3)


def test_report_json_round_trips_and_docs_schema_is_current(html_report):
    data = json.loads((html_report.parent / "report.json").read_text())
    report = RunReport.model_validate(data)
    assert report.counts.incidents == 4 and report.schema_version == 1
    shipped = json.loads((DOCS / "report-schema.json").read_text())
    assert shipped == json.loads(json.dumps(report_schema())), (
        "docs/report-schema.json is stale: regenerate it (see docs/reports.md)")


def test_junit_has_a_testcase_per_flow_with_incidents_as_failures(html_report, faulty_run):
    tree = ET.parse(html_report.parent / "junit.xml")
    suite = tree.getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == set(faulty_run.iterations)
    by_flow = {}
    for inc in faulty_run.incidents:
        by_flow.setdefault(inc.flow, []).append(inc)
    assert suite.get("failures") == str(len(by_flow))
    for name, case in cases.items():
        props = {p.get("name"): p.get("value") for p in case.find("properties")}
        assert props["iterations"] == str(faulty_run.iterations[name])
        failure = case.find("failure")
        if name not in by_flow:
            assert failure is None
            continue
        assert failure.get("message").startswith(f"{len(by_flow[name])} incident")
        paths = re.findall(r"evidence: (\S+)", failure.text)
        assert len(paths) == sum(len(i.evidence) for i in by_flow[name])
        for p in paths:  # relative to the XML file, so CI can pick them up
            assert (html_report.parent / p).resolve().is_file(), p


def test_comparison_flags_the_step_that_slowed_and_counts_incidents(faulty_run, tmp_path):
    base = make_run(tmp_path / "a", 1800.0, incidents=0, seed=7, run_id="a")
    slow = make_run(tmp_path / "b", 1800.0, incidents=2, seed=7, run_id="b",
                    scale={("counter", "open Counter"): 1.5})
    result = compare(analyze(load_run(base.folder)), analyze(load_run(slow.folder)))
    flagged = {(s.name, s.step) for s in result.shifts if s.significant}
    assert ("response_latency", "open Counter") in flagged
    assert all(step == "open Counter" for _, step in flagged), flagged
    shift = next(s for s in result.shifts
                 if s.name == "response_latency" and s.step == "open Counter")
    assert shift.p95_change == pytest.approx(0.5, abs=0.2)
    assert result.incidents_by_kind == {"crash": (0, 1), "freeze": (0, 1)}
    assert (result.verdict_a, result.verdict_b) == ("PASS", "FAIL")
    page = write_compare_html(result, tmp_path / "cmp").read_text()
    assert page.count('class="shift"') == len(flagged)


def test_report_of_a_run_without_artifact_files_marks_them_missing(faulty_run, tmp_path):
    dst = tmp_path / "run-bare"
    dst.mkdir()
    shutil.copy(faulty_run.folder / "documents.jsonl", dst)
    html = write_html(load_run(dst), dst / "report").read_text()
    assert "This report is missing data" in html
    assert html.count("not recorded") >= 3 * 4  # before/onset/after of every incident
