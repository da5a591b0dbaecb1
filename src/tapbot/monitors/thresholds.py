"""Thresholds that turn observations into incidents, with published anchors as defaults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Thresholds(BaseModel):
    """When an observation becomes an incident; settable per plan, per flow and per step.

    Defaults come from published anchors: a response slower than 1 s is a stall (the 1 s
    limit for the flow of thought, Card/Nielsen: ``response_budget_s``); an animation static
    for 700 ms is a frozen frame (Android vitals); an app not answering for 5 s is an ANR
    (Android's input-dispatch timeout); 100 ms is the limit for a response to feel
    instantaneous (reported as a measurement, not an incident, and the smallest latency rise
    that counts as a slowdown: ``slowdown_min_s``).

    A touch's response is awaited for ``stall_max_s`` (or the budget, if longer): a response
    over the budget is a stall. A touch still unanswered then is explained if it can be (a
    crash dialog, a touch the digitizer never reported, a touch it reported off target) or
    the phone is probed with the same touch, each probe waiting ``unresponsive_after_s``, and
    the silence until it answers is a freeze.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    unresponsive_after_s: float = Field(1.0, gt=0, le=30)
    stall_max_s: float = Field(2.0, gt=0, le=60, description="how long a touch's response "
                               "is awaited: a response over the budget but within this is a "
                               "stall; a touch still unanswered is probed (a freeze)")
    frozen_frame_s: float = Field(0.7, gt=0, le=30)
    anr_s: float = Field(5.0, gt=0, le=60)
    instant_response_s: float = Field(0.1, gt=0, le=5)
    response_budget_s: float | None = Field(1.0, gt=0, le=60, description="a response later "
                                            "than this is a stall (None: only stall_max_s)")
    max_freeze_s: float = Field(60.0, gt=0)
    settle_quiet_s: float = Field(0.25, gt=0)
    settle_timeout_s: float = Field(3.0, gt=0)
    glitch_max_s: float = Field(0.25, gt=0, le=5, description="a change that reverts within "
                                "this long, with no touch, is a glitch")
    status_bar_frac: float = Field(0.13, ge=0, lt=0.5, description="top fraction of the screen "
                                   "(status bar clock, notification banners) ignored by the "
                                   "monitors")
    reboot_wait_s: float = Field(120.0, gt=0, description="how long recovery waits out a reboot")
    drift_max_mm: float = Field(1.5, gt=0, le=50, description="a touch the digitizer reports "
                                "farther than this from where the finger was is off target "
                                "(touch drift); a touch panel is accurate to about 1 mm")
    pose_drift_max_mm: float = Field(1.0, gt=0, le=20, description="the phone moved on the "
                                     "deck by more than this (at a screen corner or its centre) "
                                     "since calibration: the robot's touches cannot be trusted "
                                     "(a rig fault; the run stops)")
    slowdown_min_s: float = Field(0.1, gt=0, le=10, description="responses slower than their "
                                  "step's usual latency by this much, touch after touch and "
                                  "growing, are a slowdown")

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.model_dump().items() if v is not None}

    def merged(self, **changes: Any) -> Thresholds:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        data = self.model_dump()
        data.update({k: v for k, v in changes.items() if v is not None})
        return Thresholds(**data)
