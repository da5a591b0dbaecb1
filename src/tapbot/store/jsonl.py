"""Documents as JSON Lines: one line per document, flushed as it happens."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
        self._fh.write(doc.model_dump_json() + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def read_documents(path: Path) -> Iterator[BaseModel]:
    """Parse every document of a JSON Lines file; a torn last line (a crash mid-write) is
    skipped, any other bad line raises :class:`StoreError` naming the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise StoreError(f"{path}: no such documents file") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield parse_document(line)
        except (ValidationError, json.JSONDecodeError) as exc:
            if n == len(lines):
                return
            raise StoreError(f"{path}:{n}: not a tapbot document ({exc.__class__.__name__})",
                             hint="the file may be from another tool or corrupted") from exc
