"""Thresholds that turn observations into incidents, with published anchors as defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Thresholds(BaseModel):
    """When an observation becomes an incident; settable per run.

    Defaults: a touch that gets no visible response within 1 s is unresponsive (the 1 s
    limit of flow of thought); an animation static for 700 ms is a frozen frame (Android
    vitals' frozen-frame limit).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    unresponsive_after_s: float = Field(1.0, gt=0, le=30)
    frozen_frame_s: float = Field(0.7, gt=0, le=30)
    max_freeze_s: float = Field(60.0, gt=0)
    settle_quiet_s: float = Field(0.25, gt=0)
    settle_timeout_s: float = Field(3.0, gt=0)

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.model_dump().items()}
