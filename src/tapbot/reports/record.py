"""A run as the reports see it: its documents and artifacts, loaded leniently into a RunRecord.

Reports are built from what a run left behind (DESIGN rule 5: a report can be rebuilt from the
store alone): ``runs/<run_id>/documents.jsonl`` and the evidence files under the run folder.
Documents written by an older or newer tapbot are read as far as they go: unknown fields are kept
aside, documents that lack required fields are skipped and listed in ``problems``, so the report
can say what is missing instead of crashing.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from tapbot.core.documents import (
    DOCUMENT_ADAPTER,
    FrameRef,
    Incident,
    Measurement,
    RunStart,
    RunStop,
    StepDoc,
    TouchDoc,
)
from tapbot.core.errors import StoreError

logger = logging.getLogger(__name__)

DOCUMENTS_FILE = "documents.jsonl"
STORE_FILE = "tapbot.db"  # the SQLite store tapbot soak keeps next to its runs
STORE_ENV = "TAPBOT_DATABASE_URL"
_TOUCH = b'"kind":"touch"'

_KINDS: dict[str, type[BaseModel]] = {
    "run-start": RunStart,
    "step": StepDoc,
    "touch": TouchDoc,
    "frame-ref": FrameRef,
    "measurement": Measurement,
    "incident": Incident,
    "run-stop": RunStop,
}


class RunNotFound(StoreError):
    """No run with this id or folder exists."""

    code = "TB710"


@dataclass
class IncidentRecord:
    """An incident document and the fields it carried that this tapbot does not know."""

    doc: Incident
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """Everything a report needs from one run, typed.

    ``folder`` is the run folder that evidence paths are relative to (None when the run came
    from a store without an artifact folder). ``problems`` lists what could not be read, as
    ``(where, what)`` pairs, so reports can mark it.
    """

    run_id: str
    folder: Path | None
    start: RunStart | None = None
    stop: RunStop | None = None
    steps: list[StepDoc] = field(default_factory=list)
    touches: int = 0
    measurements: list[Measurement] = field(default_factory=list)
    frame_refs: list[FrameRef] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)
    t_first: float | None = None
    t_last: float | None = None
    documents: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    start_extra: dict[str, Any] = field(default_factory=dict)
    resumes: list[float] = field(default_factory=list)

    @property
    def t0(self) -> float:
        """Run time zero on the rig clock: run-start's ``t``, else the first document's."""
        if self.start is not None:
            return self.start.t
        return self.t_first if self.t_first is not None else 0.0

    @property
    def duration_s(self) -> float:
        """Recorded span of the run on the rig clock (run-start to the last document)."""
        if self.t_last is None:
            return 0.0
        return max(0.0, self.t_last - self.t0)

    def count_touch(self) -> None:
        """Count a touch document without parsing it (reports only count touches)."""
        self.documents += 1
        self.touches += 1

    def add(self, doc: BaseModel, extra: dict[str, Any] | None = None) -> None:
        """File one parsed document under its kind."""
        self.documents += 1
        t = doc.t  # type: ignore[attr-defined]
        self.t_first = t if self.t_first is None else min(self.t_first, t)
        self.t_last = t if self.t_last is None else max(self.t_last, t)
        if isinstance(doc, StepDoc):
            self.steps.append(doc)
        elif isinstance(doc, TouchDoc):
            self.touches += 1
        elif isinstance(doc, Measurement):
            self.measurements.append(doc)
        elif isinstance(doc, FrameRef):
            self.frame_refs.append(doc)
        elif isinstance(doc, Incident):
            self.incidents.append(IncidentRecord(doc, dict(extra or {})))
        elif isinstance(doc, RunStart):
            if self.start is not None:
                if doc.config.get("resumed"):
                    self.resumes.append(doc.t)
                else:
                    self.problems.append(("documents",
                                          "more than one run-start; the first is used"))
                return
            self.start = doc
            self.start_extra = dict(extra or {})
        elif isinstance(doc, RunStop):
            self.stop = doc


def resolve_run(run: str | Path, runs_dir: Path = Path("runs")) -> Path:
    """The folder of ``run``: a run folder path, or a run id under ``runs_dir``.

    Raises :class:`RunNotFound` naming the nearest known runs.
    """
    candidate = Path(run)
    if (candidate / DOCUMENTS_FILE).is_file():
        return candidate
    if candidate.name == DOCUMENTS_FILE and candidate.is_file():
        return candidate.parent
    under = runs_dir / str(run)
    if (under / DOCUMENTS_FILE).is_file():
        return under
    if candidate.is_dir() or under.is_dir():
        folder = candidate if candidate.is_dir() else under
        raise RunNotFound(f"{folder}: a folder but no {DOCUMENTS_FILE} in it",
                          hint="point at a run folder written by tapbot demo or tapbot soak")
    known = sorted(p.parent.name for p in runs_dir.glob(f"*/{DOCUMENTS_FILE}"))
    hint = (f"known runs under {runs_dir}: {', '.join(known[-5:])}" if known
            else f"no runs under {runs_dir}; pass --runs-dir or a run folder path")
    raise RunNotFound(f"unknown run '{run}'", hint=hint)


def load_run(run: str | Path, runs_dir: Path = Path("runs"), *,
             store_url: str | None = None, from_store: bool = False) -> RunRecord:
    """Load a run into a :class:`RunRecord`: from its folder's documents.jsonl (a folder path
    or a run id under ``runs_dir``), else from the SQL store.

    The store is ``store_url``, else ``TAPBOT_DATABASE_URL``, else ``runs_dir/tapbot.db`` when
    that file exists. ``from_store`` skips the folder's documents (its artifacts are still
    used when the folder exists).
    """
    url = store_url or os.environ.get(STORE_ENV)
    sqlite = runs_dir / STORE_FILE
    if url is None and sqlite.is_file():
        url = f"sqlite:///{sqlite.resolve()}"
    if not from_store:
        try:
            folder = resolve_run(run, runs_dir)
        except RunNotFound:
            if url is None:
                raise
        else:
            return load_documents(folder / DOCUMENTS_FILE, folder=folder)
    if url is None:
        raise RunNotFound(f"no run store for '{run}': no {STORE_ENV} and no {sqlite}",
                          hint="run tapbot soak first, or point --runs-dir at its --out")
    run_id = Path(run).name
    folder = runs_dir / run_id if (runs_dir / run_id).is_dir() else None
    return load_from_store(run_id, url, folder)


def load_from_store(run_id: str, url: str, folder: Path | None) -> RunRecord:
    """Read a run's documents from the SQL store (as leniently as a documents file); evidence
    paths resolve against ``folder`` when there is one."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from tapbot.store.db import DocumentRow, open_engine, redact_url

    shown = redact_url(url)
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(DocumentRow.body).where(DocumentRow.run_id == run_id)
                                .order_by(DocumentRow.seq, DocumentRow.id)).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"{shown}: cannot read the documents of '{run_id}' "
                         f"({exc.__class__.__name__}: {str(exc).splitlines()[0]})",
                         hint="the store may be from an older tapbot; report from the run "
                              "folder's documents.jsonl instead") from exc
    finally:
        engine.dispose()
    if not rows:
        raise RunNotFound(f"run '{run_id}' is not in the store {shown}",
                          hint=f"check the run id, --runs-dir or {STORE_ENV}")
    lines = [body.encode() if isinstance(body, str) else bytes(body) for (body,) in rows]
    record = _load_lines(lines, f"store {shown} run {run_id}", "document", folder)
    if folder is None:
        record.problems.append(("artifacts", f"no run folder for {run_id}: evidence images "
                                             "are not available"))
    return record


def load_documents(path: Path, folder: Path | None = None) -> RunRecord:
    """Read a documents.jsonl leniently; only a file with no readable document raises."""
    try:
        with path.open("rb") as fh:
            raw_lines = fh.read().splitlines()
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the documents ({exc.strerror})") from exc
    return _load_lines(raw_lines, str(path), path.name, folder)


def _load_lines(raw_lines: list[bytes], source: str, where: str,
                folder: Path | None) -> RunRecord:
    """Parse documents one per item; ``where`` names them in problems (``where:n``)."""
    record = RunRecord(run_id=folder.name if folder else source, folder=folder)
    unreadable = 0
    for n, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        if _TOUCH in raw and raw.endswith(b"}"):
            record.count_touch()  # touches are only counted: no need to build 100k models
            continue
        try:
            record.add(DOCUMENT_ADAPTER.validate_json(raw))
            continue
        except ValidationError:
            pass
        doc, extra, problem = _parse_lenient(raw)
        if doc is not None:
            record.add(doc, extra)
        else:
            unreadable += 1
            if n == len(raw_lines) and problem.startswith("not JSON"):
                problem = "torn last line (the run was cut off mid-write)"
            if unreadable <= 20:
                record.problems.append((f"{where}:{n}", problem))
    if unreadable > 20:
        record.problems.append((where, f"{unreadable - 20} more unreadable documents"))
    if record.documents == 0:
        raise StoreError(f"{source}: no readable tapbot document in {len(raw_lines)} lines",
                         hint="the file is from another tool, an incompatible tapbot, "
                              "or empty")
    if record.start is not None:
        record.run_id = record.start.run_id
    else:
        record.problems.append(("documents", "no run-start: rig, device, plan and thresholds "
                                             "are unknown"))
    if record.stop is None:
        record.problems.append(("documents", "no run-stop: the run did not finish or was cut "
                                             "off"))
    logger.info("loaded %d documents of run %s from %s (%d unreadable)", record.documents,
                record.run_id, source, unreadable)
    return record


def _parse_lenient(raw: bytes) -> tuple[BaseModel | None, dict[str, Any], str]:
    """Parse a document another tapbot version wrote: unknown fields are set aside."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, {}, "not JSON"
    if not isinstance(data, dict):
        return None, {}, "not a JSON object"
    kind = data.get("kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return None, {}, f"unknown document kind {kind!r} (skipped)"
    known = {k: v for k, v in data.items() if k in cls.model_fields}
    extra = {k: v for k, v in data.items() if k not in cls.model_fields}
    try:
        return cls.model_validate(known), extra, ""
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "?" for e in exc.errors()})
        missing = [e for e in exc.errors() if e["type"] == "missing"]
        what = "missing" if len(missing) == len(exc.errors()) else "missing or invalid"
        return None, extra, (f"{kind} document with {what} field(s) {', '.join(fields)} "
                             f"(older schema?); skipped")
