"""JUnit XML for CI systems: one testcase per flow (its iterations counted), incidents as the
failure of the flow they happened in, with their evidence paths."""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from tapbot.reports.model import IncidentEntry, RunReport

logger = logging.getLogger(__name__)

RUN_LEVEL_CASE = "whole run"


def junit_tree(report: RunReport, evidence_root: str = "") -> ET.ElementTree:
    """The JUnit document of ``report``; evidence paths are prefixed with ``evidence_root``."""
    by_flow: dict[str, list[IncidentEntry]] = {}
    for e in report.incidents:
        by_flow.setdefault(e.flow or RUN_LEVEL_CASE, []).append(e)
    flows = {f.flow: f for f in report.flows}
    names = list(flows) + [n for n in by_flow if n not in flows]
    if not names:
        names = [RUN_LEVEL_CASE]
    failures = sum(1 for n in names if by_flow.get(n))
    errors = 1 if report.verdict.verdict == "INCOMPLETE" and not failures else 0
    run = report.run
    root = ET.Element("testsuites", name="tapbot", tests=str(len(names)),
                      failures=str(failures), errors=str(errors), time=f"{run.duration_s:.3f}")
    suite = ET.SubElement(root, "testsuite", name=run.run_id, tests=str(len(names)),
                          failures=str(failures), errors=str(errors), skipped="0",
                          time=f"{run.duration_s:.3f}", timestamp=run.started_wall or "")
    props = ET.SubElement(suite, "properties")
    for key, value in (("verdict", report.verdict.verdict), ("rig", run.rig),
                       ("device", run.device), ("build", run.build), ("plan", run.plan),
                       ("seed", run.seed), ("steps", report.counts.steps),
                       ("incidents", report.counts.incidents)):
        ET.SubElement(props, "property", name=key, value="" if value is None else str(value))
    classname = f"tapbot.{run.plan or 'run'}.{run.device or 'device'}"
    for name in names:
        stats = flows.get(name)
        incidents = by_flow.get(name, [])
        seconds = stats.duration_s if stats is not None else run.duration_s
        case = ET.SubElement(suite, "testcase", classname=classname, name=name,
                             time=f"{seconds:.3f}")
        if stats is not None:
            cprops = ET.SubElement(case, "properties")
            for key, value in (("iterations", stats.iterations), ("passed", stats.passed),
                               ("failed", stats.failed), ("unfinished", stats.unfinished)):
                ET.SubElement(cprops, "property", name=key, value=str(value))
        if incidents:
            kinds: dict[str, int] = {}
            for e in incidents:
                kinds[e.kind] = kinds.get(e.kind, 0) + 1
            summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            failure = ET.SubElement(case, "failure", type=",".join(sorted(kinds)),
                                    message=f"{len(incidents)} incident"
                                            f"{'s' if len(incidents) > 1 else ''}: {summary}")
            failure.text = "\n".join(_incident_text(e, evidence_root) for e in incidents)
        out_lines = []
        if stats is not None:
            out_lines.append(f"iterations: {stats.iterations} (passed {stats.passed}, failed "
                             f"{stats.failed}, unfinished {stats.unfinished})")
        out_lines += [f"[[ATTACHMENT|{evidence_root}{p}]]" for e in incidents
                      for p in e.evidence if p not in e.missing_evidence]
        ET.SubElement(case, "system-out").text = "\n".join(out_lines)
    if errors:
        case = ET.SubElement(suite, "testcase", classname=classname, name="run completed",
                             time="0")
        ET.SubElement(case, "error", type="incomplete",
                      message="; ".join(report.verdict.reasons))
        suite.set("tests", str(len(names) + 1))
        root.set("tests", str(len(names) + 1))
    ET.indent(root)
    return ET.ElementTree(root)


def _incident_text(e: IncidentEntry, evidence_root: str) -> str:
    end = "never ended" if e.t_end is None else f"lasted {e.duration_s:.2f} s"
    where = f"step '{e.step}'" + (f" iteration {e.iteration}" if e.iteration is not None else "")
    lines = [f"#{e.number} {e.kind} at {e.t_onset:.2f} s ({end}), {where}: {e.message}"]
    lines += [f"  check: {c.text}" for c in e.checks]
    for p in e.evidence:
        mark = " (MISSING)" if p in e.missing_evidence else ""
        lines.append(f"  evidence: {evidence_root}{p}{mark}")
    return "\n".join(lines)


def write_junit(report: RunReport, path: Path, run_folder: Path | None) -> Path:
    """Write ``report`` as JUnit XML; evidence paths are made relative to the XML's folder."""
    root = ""
    if run_folder is not None:
        root = os.path.relpath(run_folder.resolve(), path.parent.resolve()) + "/"
        root = "" if root == "./" else root
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(report, root).write(path, encoding="utf-8", xml_declaration=True)
    return path
