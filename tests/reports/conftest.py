"""Synthetic runs written with the real document models; their drawn values are the truth."""

import pytest

from tapbot.reports.synthetic import make_run


@pytest.fixture(scope="session")
def faulty_run(tmp_path_factory):
    """20 simulated minutes with 4 incidents (crash, freeze, crash, freeze)."""
    folder = tmp_path_factory.mktemp("runs") / "run-faulty"
    return make_run(folder, 1200.0, incidents=4, seed=3, run_id="run-faulty")


@pytest.fixture
def clean_run(tmp_path):
    return make_run(tmp_path / "run-clean", 300.0, incidents=0, seed=4, run_id="run-clean")


SCREENSHOTS: list[str] = []  # filled by the browser tests, printed at the end of the run


def pytest_terminal_summary(terminalreporter):
    for path in SCREENSHOTS:
        terminalreporter.write_line(f"browser: first screen of the report saved to {path}")
