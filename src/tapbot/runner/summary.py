"""A subscriber that keeps what the end-of-run summary needs."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from tapbot.core.documents import Incident, Measurement, RunStart, RunStop, StepDoc


@dataclass
class RunSummary:
    """Counts steps and incidents and keeps latencies; subscribe it to a dispatcher."""

    start: RunStart | None = None
    stop: RunStop | None = None
    steps: int = 0
    failed_steps: int = 0
    incidents: list[Incident] = field(default_factory=list)
    #: every response latency (s), packed: a 24-hour soak measures ~60 000
    latencies_s: array = field(default_factory=lambda: array("d"))
    sim_time_s: float = 0.0

    def __call__(self, doc: BaseModel) -> None:
        if isinstance(doc, RunStart):
            self.start = doc
        elif isinstance(doc, StepDoc):
            self.steps += 1
            self.failed_steps += doc.status == "failed"
        elif isinstance(doc, Incident):
            self.incidents.append(doc)
        elif isinstance(doc, Measurement) and doc.name == "response_latency":
            self.latencies_s.append(doc.value)
        elif isinstance(doc, RunStop):
            self.stop = doc
        t0 = self.start.t if self.start else 0.0
        self.sim_time_s = doc.t - t0  # type: ignore[attr-defined]

    def incidents_by_kind(self) -> Counter[str]:
        return Counter(i.incident for i in self.incidents)

    def latency_percentile_ms(self, q: float) -> float | None:
        if not self.latencies_s:
            return None
        return float(np.percentile(np.frombuffer(self.latencies_s), q) * 1000.0)
