"""Documents as JSON Lines: written as they happen, read back one line at a time."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from tapbot.core.documents import Measurement, RunStart, RunStop, StepDoc
from tapbot.core.errors import StoreError
from tapbot.store import JsonlWriter, read_documents


def _write(path: Path, n_steps: int) -> list:
    docs: list = [RunStart(run_id="r", t=0.0, rig="twin", device="phone", plan="p")]
    for k in range(n_steps):
        docs.append(StepDoc(run_id="r", t=k + 1.0, flow="f", iteration=k, index=0, step="tap",
                            status="ok", t_start=k + 0.5))
        docs.append(Measurement(run_id="r", t=k + 1.1, name="response_latency", value=0.08,
                                unit="s", t_start=k + 0.9))
    docs.append(RunStop(run_id="r", t=n_steps + 2.0, reason="completed", verdict="PASS"))
    writer = JsonlWriter(path)
    for doc in docs:
        writer(doc)
    writer.close()
    return docs


def test_documents_read_back_equal_in_order(tmp_path: Path) -> None:
    path = tmp_path / "documents.jsonl"
    docs = _write(path, 3)
    assert [d.model_dump() for d in read_documents(path)] == [d.model_dump() for d in docs]


def test_a_torn_last_line_is_skipped_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "documents.jsonl"
    docs = _write(path, 2)
    text = path.read_text().splitlines()
    path.write_text("\n".join([*text[:2], "", *text[2:]]) + "\n" + text[-1][:17])
    assert [d.model_dump() for d in read_documents(path)] == [d.model_dump() for d in docs]


def test_a_bad_line_before_the_end_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "documents.jsonl"
    _write(path, 2)
    lines = path.read_text().splitlines()
    lines[2] = '{"kind": "nonsense"}'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StoreError, match=r"documents.jsonl:3: not a tapbot document"):
        list(read_documents(path))
    with pytest.raises(StoreError, match="no such documents file"):
        list(read_documents(tmp_path / "missing.jsonl"))


def test_reading_holds_one_line_at_a_time_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "documents.jsonl"
    _write(path, 4000)  # ~1.7 MB on disk
    size = path.stat().st_size
    gc.collect()
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_documents(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 8002
    assert peak < size / 4, f"peak {peak} bytes reading a {size}-byte file"
