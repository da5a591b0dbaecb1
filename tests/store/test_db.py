"""The SQL store: documents land in runs/steps/measurements/incidents/artifacts as they
happen, and a run's documents can be read back whole."""

import gc
import os
import tracemalloc

import pytest
from sqlalchemy import insert

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
from tapbot.store import SqlStore, list_runs, load_run_documents
from tapbot.store.db import READ_BATCH, DocumentRow, database_url


def emit_run(store, run_id="r1"):
    d = Dispatcher()
    d.subscribe(store)
    docs = [
        RunStart(run_id=run_id, t=0.0, rig="twin", device="phone", plan="p", seed=3),
        StepDoc(run_id=run_id, t=1.0, flow="f", iteration=0, index=0, step="tap", status="ok",
                t_start=0.5, slot=0),
        Measurement(run_id=run_id, t=1.1, name="response_latency", value=0.08, unit="s",
                    t_start=0.9),
        FrameRef(run_id=run_id, t=1.2, path="frames/x.png", purpose="freeze onset",
                 t_capture=1.0),
        Incident(run_id=run_id, t=1.3, incident="freeze", t_onset=1.0, t_end=1.25,
                 message="m", evidence=["frames/x.png"]),
    ]
    for doc in docs:
        d.emit(doc)
    return d, docs


def test_each_document_is_committed_as_it_happens(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = SqlStore(url)
    d, docs = emit_run(store)
    # before the run stops, a second connection already sees everything
    back = list(load_run_documents(url, "r1"))
    assert [b.model_dump() for b in back] == [x.model_dump() for x in docs]
    d.emit(RunStop(run_id="r1", t=2.0, reason="completed", verdict="FAIL",
                   reasons=["1 freeze incident"], steps=1, incidents=1))
    (run,) = list_runs(url)
    assert run["run_id"] == "r1" and run["verdict"] == "FAIL" and run["incidents"] == 1
    assert run["seed"] == 3 and run["t_stop"] == 2.0
    with store.engine.connect() as conn:
        counts = {t: conn.exec_driver_sql(f"select count(*) from {t}").scalar()
                  for t in ("steps", "measurements", "incidents", "artifacts", "documents")}
    assert counts == {"steps": 1, "measurements": 1, "incidents": 1, "artifacts": 1,
                      "documents": 6}
    store.close()


def test_an_unknown_run_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="run 'nope' is not in the store"):
        list(load_run_documents(f"sqlite:///{tmp_path / 'db.sqlite'}", "nope"))


def test_the_database_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("TAPBOT_DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{(tmp_path / 'tapbot.db').resolve()}"
    monkeypatch.setenv("TAPBOT_DATABASE_URL", "sqlite:///elsewhere.db")
    assert database_url(tmp_path) == "sqlite:///elsewhere.db"


def test_an_unreachable_database_is_a_store_error():
    with pytest.raises(StoreError, match="cannot open the database"):
        SqlStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")


PG_URL = os.environ.get("TAPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1/test")


def test_the_same_models_work_on_postgresql():
    pytest.importorskip("psycopg")
    try:
        store = SqlStore(PG_URL + "?connect_timeout=2")
    except StoreError:
        pytest.skip(f"no PostgreSQL at {PG_URL}")
    run_id = f"pg-{os.getpid()}"
    _, docs = emit_run(store, run_id)
    back = list(load_run_documents(PG_URL, run_id))
    assert [b.model_dump() for b in back] == [x.model_dump() for x in docs]
    store.close()


def test_the_store_keeps_nothing_per_document_in_memory(tmp_path):
    """A 24 h soak sends the store ~100 000 documents: it writes each and forgets it (no
    session identity map, no growing statement cache), so Python memory stays flat."""
    store = SqlStore(f"sqlite:///{tmp_path / 'db.sqlite'}")
    d = Dispatcher()
    d.subscribe(store)
    d.emit(RunStart(run_id="r", t=0.0, rig="twin", device="phone", plan="p"))

    def burst(k0: int, n: int) -> None:
        for k in range(k0, k0 + n):
            t = float(k)
            d.emit(StepDoc(run_id="r", t=t, flow="f", iteration=k, index=0, step="tap",
                           status="ok", t_start=t - 0.5, slot=k % 4))
            d.emit(Measurement(run_id="r", t=t, name="response_latency", value=0.07 + k * 1e-6,
                               unit="s", t_start=t - 0.2, flow="f", step="tap"))
            if k % 50 == 0:
                d.emit(Incident(run_id="r", t=t, incident="freeze", t_onset=t - 1, t_end=t,
                                message=f"frozen {k}", evidence=[]))

    burst(0, 100)  # warm: statements compiled and cached once
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        burst(100, 600)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        store.close()
    assert grown < 40_000, f"{grown} bytes kept for ~1200 documents"


def test_a_run_reads_back_in_batches_not_whole(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = SqlStore(url)
    d = Dispatcher()
    d.subscribe(store)
    d.emit(RunStart(run_id="r", t=0.0, rig="twin", device="phone", plan="p"))
    n = 3 * READ_BATCH
    with store.engine.begin() as conn:  # many documents quickly: straight into the table
        conn.execute(insert(DocumentRow), [
            {"run_id": "r", "seq": k, "kind": "measurement",
             "body": Measurement(run_id="r", seq=k, t=float(k), name="response_latency",
                                 value=0.08, unit="s", step="x" * 400).model_dump_json()}
            for k in range(1, n + 1)])
    store.close()
    gc.collect()
    tracemalloc.start()
    try:
        docs = load_run_documents(url, "r")
        first = next(docs)
        count = 1 + sum(1 for _ in docs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(first, RunStart) and count == n + 1
    # the whole run as rows is > 1.5 MB; one batch is a third of that
    assert peak < 1_200_000, f"peak {peak} bytes"
