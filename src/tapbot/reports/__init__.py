"""Reports a QA lead trusts: verdict, HTML, JUnit XML, JSON and run comparison, built from a
run's documents and artifacts alone."""

from tapbot.reports.analyze import analyze
from tapbot.reports.html import ReportError, write_html
from tapbot.reports.junit import junit_tree, write_junit
from tapbot.reports.model import Comparison, RunReport, report_schema
from tapbot.reports.record import RunNotFound, RunRecord, load_documents, load_run, resolve_run

__all__ = [
    "Comparison",
    "ReportError",
    "RunNotFound",
    "RunRecord",
    "RunReport",
    "analyze",
    "junit_tree",
    "load_documents",
    "load_run",
    "report_schema",
    "resolve_run",
    "write_html",
    "write_junit",
]
