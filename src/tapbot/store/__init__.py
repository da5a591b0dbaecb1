"""Run documents persisted as they happen (JSON Lines and SQL), and the run's artifacts."""

from tapbot.store.artifacts import Artifacts
from tapbot.store.db import SqlStore, database_url, list_runs, load_run_documents, open_engine
from tapbot.store.jsonl import JsonlWriter, read_documents

__all__ = ["Artifacts", "JsonlWriter", "SqlStore", "database_url", "list_runs",
           "load_run_documents", "open_engine", "read_documents"]
