"""Resuming an interrupted run from its stored documents, losing at most the step in flight."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel

from tapbot.core.documents import Incident, RunStart, RunStop, StepDoc
from tapbot.core.errors import StoreError
from tapbot.runner.runner import ResumePoint


def resume_point(docs: Iterable[BaseModel]) -> tuple[RunStart, ResumePoint, int, float]:
    """From a run's documents: its first run-start, where to go on, the last sequence number
    and the last time stamp. The iteration that was in flight starts over (its recorded steps
    stay); a run that already stopped cannot be resumed."""
    start: RunStart | None = None
    last_step: StepDoc | None = None
    steps = 0
    incidents: Counter[str] = Counter()
    last_seq, last_t = 0, 0.0
    stopped = False
    for doc in docs:
        last_seq = max(last_seq, doc.seq)  # type: ignore[attr-defined]
        last_t = max(last_t, doc.t)  # type: ignore[attr-defined]
        if isinstance(doc, RunStart) and start is None:
            start = doc
        elif isinstance(doc, StepDoc):
            steps += 1
            last_step = doc
        elif isinstance(doc, Incident):
            incidents[doc.incident] += 1
        elif isinstance(doc, RunStop):
            stopped = doc.reason == "completed"
    if start is None:
        raise StoreError("the run has no run-start document; it cannot be resumed")
    if stopped:
        raise StoreError(f"run '{start.run_id}' already completed; nothing to resume")
    slot = 0
    if last_step is not None and last_step.slot is not None:
        slot = last_step.slot + 1 if last_step.last else last_step.slot
    point = ResumePoint(slot=slot, steps_done=steps, incidents=dict(incidents),
                        elapsed_s=max(0.0, last_t - start.t))
    return start, point, last_seq, last_t
