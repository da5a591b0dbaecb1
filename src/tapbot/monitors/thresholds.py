"""Thresholds that turn observations into incidents, with published anchors as defaults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Thresholds(BaseModel):
    """When an observation becomes an incident; settable per plan, per flow and per step.

    Defaults come from published anchors: a touch with no visible response within 1 s is
    unresponsive (the 1 s limit for the flow of thought; the phone is then probed and a long
    silence is a freeze); an animation static for 700 ms is a frozen frame (Android vitals);
    an app not answering for 5 s is an ANR (Android's input-dispatch timeout); 100 ms is the
    limit for a response to feel instantaneous (reported as a measurement, not an incident).
    ``response_budget_s`` (None: off) makes a slower response a stall incident; a response
    that comes only after the phone was probed, but within ``stall_max_s``, is a stall, and a
    longer silence a freeze.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    unresponsive_after_s: float = Field(1.0, gt=0, le=30)
    stall_max_s: float = Field(2.0, gt=0, le=60, description="a response later than "
                               "unresponsive_after_s but within this is a stall; later, a "
                               "freeze")
    frozen_frame_s: float = Field(0.7, gt=0, le=30)
    anr_s: float = Field(5.0, gt=0, le=60)
    instant_response_s: float = Field(0.1, gt=0, le=5)
    response_budget_s: float | None = Field(None, gt=0, le=60)
    max_freeze_s: float = Field(60.0, gt=0)
    settle_quiet_s: float = Field(0.25, gt=0)
    settle_timeout_s: float = Field(3.0, gt=0)
    glitch_max_s: float = Field(0.25, gt=0, le=5, description="a change that reverts within "
                                "this long, with no touch, is a glitch")
    status_bar_frac: float = Field(0.13, ge=0, lt=0.5, description="top fraction of the screen "
                                   "(status bar clock, notification banners) ignored by the "
                                   "monitors")
    reboot_wait_s: float = Field(120.0, gt=0, description="how long recovery waits out a reboot")

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.model_dump().items() if v is not None}

    def merged(self, **changes: Any) -> Thresholds:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        data = self.model_dump()
        data.update({k: v for k, v in changes.items() if v is not None})
        return Thresholds(**data)
