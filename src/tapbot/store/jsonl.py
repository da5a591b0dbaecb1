"""Documents as JSON Lines: one line per document, flushed as it happens."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel, ValidationError

from tapbot.core.documents import parse_document
from tapbot.core.errors import StoreError


class JsonlWriter:
    """A subscriber that appends each document to ``path`` and flushes it at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")

    def __call__(self, doc: BaseModel) -> None:
        self.write_lines([doc.model_dump_json()])

    def write_lines(self, lines: Iterable[str]) -> None:
        """Append documents already made JSON (one line each), then flush."""
        for line in lines:
            self._fh.write(line + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def read_documents(path: Path) -> Iterator[BaseModel]:
    """Parse every document of a JSON Lines file, one line at a time (a 24 h run's file is tens
    of MB; it is never held whole). A torn last line (a crash mid-write) is skipped, any other
    bad line raises :class:`StoreError` naming the line."""
    try:
        fh = path.open(encoding="utf-8")
    except FileNotFoundError as exc:
        raise StoreError(f"{path}: no such documents file") from exc
    with fh:
        held: tuple[int, str] | None = None  # a line is parsed once the next one is read
        for n, line in enumerate(fh, start=1):
            if held is not None and (doc := _parse(path, *held, last=False)) is not None:
                yield doc
            held = (n, line)
        if held is not None and (doc := _parse(path, *held, last=True)) is not None:
            yield doc


def _parse(path: Path, n: int, line: str, *, last: bool) -> BaseModel | None:
    if not line.strip():
        return None
    try:
        return parse_document(line)
    except (ValidationError, json.JSONDecodeError) as exc:
        if last:
            return None
        raise StoreError(f"{path}:{n}: not a tapbot document ({exc.__class__.__name__})",
                         hint="the file may be from another tool or corrupted") from exc
