"""The run stream (DESIGN rule 5): typed documents and the dispatcher that hands them out.

A run emits run-start, then step, touch, frame-ref, measurement and incident documents as they
happen, then run-stop. Subscribers (the store, the progress display, reports) receive every
document in order; a subscriber that raises is logged and dropped from that document only, so it
never stops the robot.

``t`` fields are on the rig's clock (virtual on the twin); ``wall`` is the only wall-clock field
and is excluded when comparing runs for determinism.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tapbot.core.clock import wall_time

logger = logging.getLogger(__name__)

WALL_CLOCK_FIELDS = frozenset({"wall"})


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    seq: int = 0
    t: float
    wall: float = Field(default_factory=wall_time)


class RunStart(_Doc):
    kind: Literal["run-start"] = "run-start"
    rig: str
    device: str
    plan: str
    seed: int | None = None
    duration_s: float | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)


class StepDoc(_Doc):
    kind: Literal["step"] = "step"
    flow: str
    iteration: int
    index: int
    step: str
    status: Literal["ok", "failed", "skipped"]
    t_start: float
    message: str = ""
    slot: int | None = Field(None, description="index in the soak's seeded schedule")
    last: bool = Field(False, description="the last step of its flow (the iteration is done)")


class TouchDoc(_Doc):
    kind: Literal["touch"] = "touch"
    gesture: str
    finger: int = 0
    x_px: float
    y_px: float
    x_mm: float
    y_mm: float
    t_down: float
    t_up: float


class FrameRef(_Doc):
    kind: Literal["frame-ref"] = "frame-ref"
    path: str
    purpose: str
    t_capture: float


class Measurement(_Doc):
    kind: Literal["measurement"] = "measurement"
    name: str
    value: float
    unit: str
    t_start: float | None = Field(None, description="when the measured interval began")
    flow: str = ""
    step: str = ""


class Incident(_Doc):
    kind: Literal["incident"] = "incident"
    incident: str
    t_onset: float
    t_end: float | None = None
    flow: str = ""
    step: str = ""
    message: str
    evidence: list[str] = Field(default_factory=list)


#: Incident kinds that blame the rig, not the phone (the phone moved on the deck): the run
#: stops with reason ``rig-fault`` and is INCOMPLETE rather than a FAIL of the phone.
RIG_FAULT_INCIDENTS = frozenset({"pose-drift"})


class RunStop(_Doc):
    kind: Literal["run-stop"] = "run-stop"
    reason: Literal["completed", "stopped", "aborted", "error", "rig-fault"]
    verdict: Literal["PASS", "FAIL", "INCOMPLETE"]
    reasons: list[str] = Field(default_factory=list)
    steps: int = 0
    incidents: int = 0


Document = Annotated[
    RunStart | StepDoc | TouchDoc | FrameRef | Measurement | Incident | RunStop,
    Field(discriminator="kind"),
]
DOCUMENT_ADAPTER: TypeAdapter[Document] = TypeAdapter(Document)

Subscriber = Callable[[BaseModel], None]


def parse_document(data: str | bytes | dict[str, Any]) -> BaseModel:
    """Parse one document from a JSON line or a dict (raises pydantic's ValidationError)."""
    if isinstance(data, dict):
        return DOCUMENT_ADAPTER.validate_python(data)
    return DOCUMENT_ADAPTER.validate_json(data)


class Dispatcher:
    """Numbers documents and hands each to every subscriber, isolating their failures."""

    def __init__(self, start_seq: int = 0) -> None:
        """``start_seq``: the last sequence number already used (a resumed run goes on)."""
        self._subscribers: list[Subscriber] = []
        self._seq = start_seq
        self.failures = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def emit(self, doc: BaseModel) -> BaseModel:
        self._seq += 1
        doc.seq = self._seq  # type: ignore[attr-defined]
        for subscriber in self._subscribers:
            try:
                subscriber(doc)
            except Exception:  # a subscriber must never stop the robot
                self.failures += 1
                logger.exception("subscriber %r failed on %s", subscriber, doc.kind)  # type: ignore[attr-defined]
        return doc
