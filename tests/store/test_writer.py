"""The document writer: a process of its own writes the runner's documents, exactly as the
in-process subscribers would, and a runner that is killed loses none it had handed over."""

import logging
import multiprocessing
import os
import signal
import time

import pytest
from sqlalchemy import text

from tapbot.core.documents import (
    Dispatcher,
    FrameRef,
    Incident,
    Measurement,
    RunStart,
    RunStop,
    StepDoc,
)
from tapbot.core.errors import StoreError
from tapbot.store import SqlStore, load_run_documents, read_documents
from tapbot.store.writer import DocumentWriter, wait_for_writer


def run_docs(run_id="r1", measurements=300):
    """A run's documents of every kind (many measurements: the writer batches them)."""
    docs = [RunStart(run_id=run_id, t=0.0, rig="twin", device="phone", plan="p", seed=3),
            StepDoc(run_id=run_id, t=1.0, flow="f", iteration=0, index=0, step="tap",
                    status="ok", t_start=0.5, slot=0)]
    docs += [Measurement(run_id=run_id, t=1.0 + i / 100, name="response_latency",
                         value=0.08 + i / 1e4, unit="s", t_start=0.9)
             for i in range(measurements)]
    docs += [FrameRef(run_id=run_id, t=5.2, path="frames/x.png", purpose="freeze onset",
                      t_capture=5.0),
             Incident(run_id=run_id, t=5.3, incident="freeze", t_onset=5.0, t_end=5.25,
                      message="m", evidence=["frames/x.png"]),
             RunStop(run_id=run_id, t=6.0, verdict="FAIL", reason="completed", steps=1,
                     incidents=1)]
    return docs


def emit(subscriber, docs):
    dispatcher = Dispatcher()
    dispatcher.subscribe(subscriber)
    for doc in docs:
        dispatcher.emit(doc)
    return docs


def dumps(docs):
    return [d.model_dump() for d in docs]


@pytest.fixture
def where(tmp_path):
    return tmp_path / "run" / "documents.jsonl", f"sqlite:///{tmp_path / 'tapbot.db'}"


def test_documents_land_in_both_stores_as_the_runner_made_them(where, caplog):
    path, url = where
    writer = DocumentWriter(path, url)
    docs = emit(writer, run_docs())
    writer.close()
    writer.close()  # (again: nothing more to do, nothing to say)
    assert writer.failures == 0 and not caplog.records
    # the JSON Lines file holds the runner's own JSON, line for line
    assert path.read_text().splitlines() == [d.model_dump_json() for d in docs]
    assert dumps(read_documents(path)) == dumps(docs)
    assert dumps(load_run_documents(url, "r1")) == dumps(docs)
    assert not writer._proc.is_alive()


def test_the_same_rows_as_the_in_process_store(tmp_path, where):
    """The typed tables get what SqlStore writes where the documents happen."""
    path, url = where
    docs = run_docs()
    writer = DocumentWriter(path, url)
    emit(writer, docs)
    writer.close()
    direct_url = f"sqlite:///{tmp_path / 'direct.db'}"
    direct = SqlStore(direct_url)
    emit(direct, docs)
    direct.close()

    def rows(u):
        store = SqlStore(u)
        with store.engine.connect() as conn:
            out = {t: conn.execute(text(f"select * from {t} order by {key}")).all()
                   for t, key in (("steps", "id"), ("measurements", "id"), ("incidents", "id"),
                                  ("artifacts", "id"), ("documents", "id"), ("runs", "run_id"))}
        store.close()
        return out

    got = rows(url)
    assert got == rows(direct_url)
    assert len(got["measurements"]) == 300 and len(got["runs"]) == 1


def _emit_then_die(path, url, n):
    writer = DocumentWriter(path, url)
    emit(writer, run_docs(measurements=n))
    os.kill(os.getpid(), signal.SIGKILL)  # no close: the runner's process is killed


def test_a_killed_runner_loses_no_document_it_handed_over(where):
    path, url = where
    n = 2000
    proc = multiprocessing.get_context("fork").Process(target=_emit_then_die, args=(path, url, n))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL
    expected = list(range(1, len(run_docs(measurements=n)) + 1))  # the sequence numbers
    deadline = time.monotonic() + 30
    # the writer, orphaned, reads the pipe to its end and writes everything
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) == len(expected):
            break
        time.sleep(0.05)
    assert [d.seq for d in read_documents(path)] == expected
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = [d.seq for d in load_run_documents(url, "r1")]
        if len(got) == len(expected):
            break
        time.sleep(0.05)
    assert got == expected


def test_a_database_that_cannot_open_fails_before_the_run(tmp_path):
    with pytest.raises(StoreError, match="cannot open the database"):
        DocumentWriter(tmp_path / "documents.jsonl", f"sqlite:///{tmp_path}/no/such/dir/x.db")


def test_a_refused_document_is_reported_and_only_it_is_lost(where, monkeypatch, caplog):
    path, url = where
    real = SqlStore._write

    def refuse_seq_5(conn, doc, body):
        if doc.seq == 5:
            raise ValueError("the database said no")
        return real(conn, doc, body)

    monkeypatch.setattr(SqlStore, "_write", staticmethod(refuse_seq_5))  # (the writer forks)
    writer = DocumentWriter(path, url)
    with caplog.at_level(logging.ERROR, logger="tapbot.store.writer"):
        docs = emit(writer, run_docs())
        writer.close()
    assert writer.failures == 1
    assert "refused document 5 (measurement)" in caplog.text and "the database said no" in \
        caplog.text
    assert len(list(read_documents(path))) == len(docs)  # the file keeps it
    assert [d.seq for d in load_run_documents(url, "r1")] == \
        [d.seq for d in docs if d.seq != 5]


def test_a_writer_that_dies_hands_the_rest_to_the_runner(where, caplog):
    path, url = where
    docs = run_docs()
    writer = DocumentWriter(path, url)
    dispatcher = Dispatcher()
    dispatcher.subscribe(writer)
    for doc in docs[:100]:
        dispatcher.emit(doc)
    writer._proc.kill()
    writer._proc.join()
    with caplog.at_level(logging.ERROR, logger="tapbot.store.writer"):
        for doc in docs[100:]:
            dispatcher.emit(doc)
        writer.close()
    assert "the document writer stopped" in caplog.text
    assert dispatcher.failures == 0
    # everything after the writer died is in both stores (what it had not written is lost)
    later = [d.seq for d in docs[101:]]
    assert [d.seq for d in read_documents(path)][-len(later):] == later
    assert [d.seq for d in load_run_documents(url, "r1")][-len(later):] == later


def test_a_resume_waits_for_a_writer_still_finishing_the_run(where):
    """A writer holds its run's folder while it lives: a resume waits for it (and a second
    writer for the same run is refused)."""
    path, url = where
    writer = DocumentWriter(path, url)
    emit(writer, run_docs(measurements=5))
    with pytest.raises(StoreError, match="still writing"):
        wait_for_writer(path.parent, timeout_s=0.2)
    with pytest.raises(StoreError, match="another process is writing"):
        DocumentWriter(path, url)
    writer.close()
    t0 = time.monotonic()
    wait_for_writer(path.parent, timeout_s=5.0)
    assert time.monotonic() - t0 < 1.0
    assert [d.seq for d in load_run_documents(url, "r1")] == list(range(1, 11))
