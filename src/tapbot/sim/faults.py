"""Fault injection options for the simulated phone: scheduled and random freezes and crashes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Minimum quiet time between the end of one fault and the start of the next, in seconds.
FAULT_GAP_S = 10.0


class FaultEvent(BaseModel):
    """One scheduled fault: a freeze of ``duration_s`` or a crash, starting at ``at_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["freeze", "crash"]
    at_s: float = Field(ge=0)
    duration_s: float | None = None

    @model_validator(mode="after")
    def _check(self) -> FaultEvent:
        if self.kind == "freeze":
            if self.duration_s is None or not self.duration_s > 0:
                raise ValueError("duration_s: a freeze needs a duration_s > 0")
        elif self.duration_s is not None:
            raise ValueError("duration_s: a crash lasts until dismissed; leave duration_s unset")
        return self


class FaultOptions(BaseModel):
    """Explicit fault ``schedule`` plus random faults at the given rates per hour.

    Random faults arrive with exponential inter-arrival times; a freeze lasts a uniform time in
    ``freeze_duration_s``. Faults never overlap: a fault due less than 10 s after the previous
    one ended starts later.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule: list[FaultEvent] = Field(default_factory=list)
    freeze_per_hour: float = Field(0.0, ge=0)
    crash_per_hour: float = Field(0.0, ge=0)
    freeze_duration_s: tuple[float, float] = (3.0, 8.0)

    @model_validator(mode="after")
    def _check(self) -> FaultOptions:
        lo, hi = self.freeze_duration_s
        if not lo > 0:
            raise ValueError(f"freeze_duration_s: the minimum must be > 0, got {lo}")
        if lo > hi:
            raise ValueError(f"freeze_duration_s: min {lo} is greater than max {hi}")
        return self
