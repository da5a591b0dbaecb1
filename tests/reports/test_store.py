"""Reports from the SQL store: the same record as from documents.jsonl; unknown runs and
stores of an older schema are clear errors."""

import sqlite3

import pytest

from tapbot.core.errors import StoreError
from tapbot.reports import RunNotFound, analyze, load_run
from tapbot.reports.synthetic import make_run
from tapbot.store import SqlStore, read_documents


@pytest.fixture
def stored(tmp_path):
    runs = tmp_path / "runs"
    truth = make_run(runs / "run-db", 600.0, incidents=2, seed=9, run_id="run-db")
    store = SqlStore(f"sqlite:///{runs / 'tapbot.db'}")
    for doc in read_documents(truth.folder / "documents.jsonl"):
        store(doc)
    store.close()
    return runs, truth


def test_report_from_the_store_equals_the_report_from_the_documents_file(stored):
    runs, truth = stored
    from_file = analyze(load_run("run-db", runs))
    from_store = analyze(load_run("run-db", runs, from_store=True))
    assert from_store.model_dump(exclude={"generated_by"}) == from_file.model_dump(
        exclude={"generated_by"})
    assert from_store.counts.touches == truth.touches


def test_a_run_only_in_the_store_reports_with_its_evidence_marked_missing(stored):
    runs, truth = stored
    (truth.folder / "documents.jsonl").unlink()
    for f in truth.folder.rglob("*.png"):
        f.unlink()
    report = analyze(load_run("run-db", runs))
    assert report.counts.incidents == 2
    assert report.incidents[0].missing_evidence == report.incidents[0].evidence


def test_unknown_run_in_the_store_is_a_clear_error(stored):
    runs, _ = stored
    with pytest.raises(RunNotFound, match="run 'run-zz' is not in the store"):
        load_run("run-zz", runs)


def test_a_store_of_an_older_schema_is_a_clear_error(tmp_path):
    db = tmp_path / "tapbot.db"
    with sqlite3.connect(db) as conn:  # a store from before documents kept their seq
        conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, run_id TEXT, body TEXT)")
        conn.execute("INSERT INTO documents (run_id, body) VALUES ('old', '{}')")
    with pytest.raises(StoreError) as err:
        load_run("old", tmp_path, from_store=True)
    assert "cannot read the documents of 'old'" in str(err.value)
    assert "older tapbot" in str(err.value)
