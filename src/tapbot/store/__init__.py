"""Run documents persisted as they happen, and the run's artifacts."""

from tapbot.store.artifacts import Artifacts
from tapbot.store.jsonl import JsonlWriter, read_documents

__all__ = ["Artifacts", "JsonlWriter", "read_documents"]
