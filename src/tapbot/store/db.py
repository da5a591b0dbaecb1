"""The run store: SQLAlchemy models for runs, steps, measurements, incidents and artifacts.

SQLite by default (a file next to the runs); any SQLAlchemy URL through
``TAPBOT_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1/test``). Every
document is also kept whole in ``documents``, so a report or a resumed run can be rebuilt
from the store alone. :class:`SqlStore` is a dispatcher subscriber that commits each document
as it happens: a crash loses nothing already observed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tapbot.core.documents import (
    FrameRef,
    Incident,
    Measurement,
    RunStart,
    RunStop,
    StepDoc,
    parse_document,
)
from tapbot.core.errors import StoreError

logger = logging.getLogger(__name__)

ENV_URL = "TAPBOT_DATABASE_URL"


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    plan: Mapped[str] = mapped_column(String(200))
    rig: Mapped[str] = mapped_column(String(200))
    device: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    t_start: Mapped[float] = mapped_column(Float)
    t_stop: Mapped[float | None] = mapped_column(Float, nullable=True)
    wall_start: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reasons: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    incidents: Mapped[int] = mapped_column(Integer, default=0)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)


class StepRow(Base):
    __tablename__ = "steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    t: Mapped[float] = mapped_column(Float)
    flow: Mapped[str] = mapped_column(String(200))
    iteration: Mapped[int] = mapped_column(Integer)
    index: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    t_start: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last: Mapped[bool] = mapped_column(Boolean, default=False)


class MeasurementRow(Base):
    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    t: Mapped[float] = mapped_column(Float)
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    t_start: Mapped[float | None] = mapped_column(Float, nullable=True)
    flow: Mapped[str] = mapped_column(String(200), default="")
    step: Mapped[str] = mapped_column(String(500), default="")


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    t: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(50))
    t_onset: Mapped[float] = mapped_column(Float)
    t_end: Mapped[float | None] = mapped_column(Float, nullable=True)
    flow: Mapped[str] = mapped_column(String(200), default="")
    step: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON)


class ArtifactRow(Base):
    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    t: Mapped[float] = mapped_column(Float)
    path: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(200))
    t_capture: Mapped[float] = mapped_column(Float)


class DocumentRow(Base):
    """Every document whole, in order: what reports and ``--resume`` rebuild from."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_run_seq", "run_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)


def database_url(default_dir: Path | None = None) -> str:
    """``TAPBOT_DATABASE_URL``, else a SQLite file ``tapbot.db`` in ``default_dir``."""
    url = os.environ.get(ENV_URL)
    if url:
        return url
    folder = default_dir or Path("runs")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / 'tapbot.db').resolve()}"


def open_engine(url: str) -> Engine:
    """An engine with the schema created; SQLite in WAL mode (safe and fast commits)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            @event.listens_for(engine, "connect")
            def _pragmas(conn, _record) -> None:  # pragma: no cover - trivial
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()
        Base.metadata.create_all(engine)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot open the database {redact_url(url)}: {exc.__class__.__name__}: "
                         f"{str(exc).splitlines()[0]}",
                         hint=f"check {ENV_URL} or the runs folder") from exc
    return engine


def redact_url(url: str) -> str:
    """``url`` without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url


class SqlStore:
    """A subscriber writing each document to the database as it happens."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        # one connection for the run, a commit per document (a connection taken from the
        # pool and given back per document was a third of the store's cost)
        self._conn: Connection | None = None

    def __call__(self, doc: BaseModel) -> None:
        self.write_batch([doc])

    def write_batch(self, docs: Sequence[BaseModel], bodies: Sequence[str] | None = None
                    ) -> None:
        """Write ``docs`` in one transaction, in order; ``bodies``: their JSON as already
        made (the documents table keeps it as it came), else made here."""
        if self._conn is None:
            self._conn = self.engine.connect()
        conn = self._conn
        try:
            for i, doc in enumerate(docs):
                self._write(conn, doc, doc.model_dump_json() if bodies is None else bodies[i])
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    @staticmethod
    def _write(conn: Connection, doc: BaseModel, body: str) -> None:
        data = doc.model_dump()
        run_id = data["run_id"]
        if isinstance(doc, RunStart):
            existing = conn.execute(select(RunRow.run_id).where(RunRow.run_id == run_id)
                                    ).first()
            if existing is None:
                conn.execute(insert(RunRow).values(
                    run_id=run_id, plan=doc.plan, rig=doc.rig, device=doc.device,
                    seed=doc.seed, duration_s=doc.duration_s, t_start=doc.t,
                    wall_start=doc.wall, thresholds=doc.thresholds, config=doc.config,
                    steps=0, incidents=0))
        elif isinstance(doc, StepDoc):
            conn.execute(_INSERT[StepRow], _cols(StepRow, data))
        elif isinstance(doc, Measurement):
            conn.execute(_INSERT[MeasurementRow], _cols(MeasurementRow, data))
        elif isinstance(doc, Incident):
            row = _cols(IncidentRow, data)
            row["kind"] = doc.incident
            conn.execute(_INSERT[IncidentRow], row)
        elif isinstance(doc, FrameRef):
            conn.execute(_INSERT[ArtifactRow], _cols(ArtifactRow, data))
        elif isinstance(doc, RunStop):
            conn.execute(update(RunRow).where(RunRow.run_id == run_id).values(
                t_stop=doc.t, verdict=doc.verdict, reason=doc.reason, reasons=doc.reasons,
                steps=doc.steps, incidents=doc.incidents))
        conn.execute(_INSERT[DocumentRow], {"run_id": run_id, "seq": data["seq"],
                                            "kind": data["kind"], "body": body})

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.engine.dispose()


#: One INSERT per table, built once: parameters passed apart reuse its compiled form (a
#: ``.values(...)`` statement per document was most of the store's cost).
_INSERT = {model: insert(model) for model in (StepRow, MeasurementRow, IncidentRow, ArtifactRow,
                                             DocumentRow)}
_COLUMNS = {model: frozenset(c.name for c in model.__table__.columns) - {"id"}
            for model in _INSERT}


def _cols(model: type[Base], data: dict[str, Any]) -> dict[str, Any]:
    names = _COLUMNS[model]
    return {k: v for k, v in data.items() if k in names}


#: Rows fetched at a time when reading a run back (a 24 h run has ~100 000 documents).
READ_BATCH = 1000


def load_run_documents(url: str, run_id: str) -> Iterator[BaseModel]:
    """The documents of ``run_id`` in order, parsed (raises StoreError for an unknown run).

    Rows stream in batches of :data:`READ_BATCH`: the run is never held whole. The connection
    stays open until the iteration ends (or the iterator is closed).
    """
    engine = open_engine(url)
    found = False
    try:
        with engine.connect() as conn:
            rows = conn.execution_options(yield_per=READ_BATCH).execute(
                select(DocumentRow.body).where(DocumentRow.run_id == run_id)
                .order_by(DocumentRow.seq, DocumentRow.id))
            for (body,) in rows:
                found = True
                yield parse_document(body)
    finally:
        engine.dispose()
    if not found:
        raise StoreError(f"run '{run_id}' is not in the store {redact_url(url)}",
                         hint="check the run id, the --out folder or TAPBOT_DATABASE_URL")


def list_runs(url: str) -> list[dict[str, Any]]:
    """Every run in the store: id, plan, verdict, steps and incidents."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(RunRow).order_by(RunRow.wall_start)).mappings().all()
    finally:
        engine.dispose()
    return [dict(r) for r in rows]
