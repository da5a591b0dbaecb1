"""Fault injection options for the simulated phone: a schedule and random rates per kind.

Every fault kind can be injected at a fixed time (a :class:`FaultEvent` in ``schedule``) or at
random with a rate per hour (``per_hour``); random faults use the phone's seed. Faults never
overlap: a fault that comes due while another is active (or less than ``gap_s`` after it ended)
starts later, and the ground truth records when it really started.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tapbot.sim.apps import APP_NAMES

#: Minimum quiet time between the end of one fault and the start of the next, in seconds.
FAULT_GAP_S = 10.0

FaultKind = Literal[
    "stall", "freeze", "anr", "crash", "close", "reboot", "glitch", "ghost_touch",
    "dead_zone", "drift", "slowdown", "bump",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
GlitchStyle = Literal["black", "bars", "tear"]

#: Kinds that last a given time (``duration_s`` or ``end_s`` required when scheduled).
TIMED_KINDS = frozenset({"freeze", "dead_zone", "drift", "slowdown"})
#: Kinds that may name the app they hit (they wait until that app is in front).
APP_KINDS = frozenset({"stall", "anr", "crash", "close"})
#: What ``amount`` means per kind, and its default.
AMOUNT_DEFAULTS: dict[str, float] = {
    "stall": 1.0,  # extra seconds added to one response
    "drift": 4.0,  # px per second the reported touches drift away
    "slowdown": 120.0,  # ms of extra latency per minute of uptime since the leak began
    "bump": 2.0,  # mm the phone is shifted on the deck
}
#: The largest shift (mm) and rotation (degrees) a bump may be given.
BUMP_MAX_MM = 20.0
BUMP_MAX_DEG = 5.0
#: A bump's rotation, when not given, is drawn uniformly within +- this (degrees).
BUMP_RANDOM_DEG = 1.5


class FaultEvent(BaseModel):
    """One scheduled fault of ``kind`` starting at ``at_s`` (simulated seconds).

    - ``freeze``, ``dead_zone``, ``drift``, ``slowdown`` last ``duration_s`` (or until
      ``end_s``); the others end by themselves (``crash``/``anr``: when the dialog is dismissed;
      ``reboot``: when the lock screen shows; ``glitch``: after ``frames`` display frames;
      ``bump``: at once).
    - ``app`` (stall, anr, crash, close): the fault waits until that app is in front.
    - ``amount``: stall = extra response time in s; drift = px/s; slowdown = ms per minute;
      bump = shift in mm.
    - ``region``: the dead zone as fractions of the screen ``(x0, y0, x1, y1)``.
    - ``at``: where a ghost touch lands, fractions of the screen ``(x, y)``.
    - ``style``, ``frames``: a glitch's look (black flash, colour bars, tearing band) and
      length in display frames.
    - ``bump``: the phone is knocked on the deck and moves rigidly in the glass plane at
      ``at_s``: its screen centre shifts by ``amount`` mm (default 2, at most 20) in the
      direction ``direction_deg`` (deck axes; drawn from the seed if unset) and it turns by
      ``rotation_deg`` about that centre (at most +-5; drawn within +-1.5 if unset). A bump
      is instantaneous and stays: the phone does not go back.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    at_s: float = Field(ge=0)
    duration_s: float | None = None
    end_s: float | None = None
    app: str | None = None
    amount: float | None = Field(None, gt=0)
    region: tuple[float, float, float, float] | None = None
    at: tuple[float, float] | None = None
    style: GlitchStyle | None = None
    frames: int | None = Field(None, ge=1, le=120)
    direction_deg: float | None = None
    rotation_deg: float | None = None

    @field_validator("app")
    @classmethod
    def _known_app(cls, v: str | None) -> str | None:
        if v is not None and v not in APP_NAMES:
            raise ValueError(f"app: unknown app {v!r}; known: {', '.join(APP_NAMES)}")
        return v

    @model_validator(mode="after")
    def _check(self) -> FaultEvent:
        k = self.kind
        if self.end_s is not None:
            if self.duration_s is not None:
                raise ValueError("end_s: give duration_s or end_s, not both")
            if not self.end_s > self.at_s:
                raise ValueError(f"end_s: the fault ends ({self.end_s}) before it starts "
                                 f"(at_s={self.at_s})")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ValueError(f"duration_s: must be > 0, got {self.duration_s}")
        if k in TIMED_KINDS:
            if self.duration_s is None and self.end_s is None:
                raise ValueError(f"duration_s: a {k} needs a duration_s > 0 (or an end_s)")
        elif self.duration_s is not None or self.end_s is not None:
            raise ValueError(f"duration_s: a {k} ends by itself; leave duration_s/end_s unset")
        if self.app is not None and k not in APP_KINDS:
            raise ValueError(f"app: a {k} fault cannot target an app (only "
                             f"{', '.join(sorted(APP_KINDS))})")
        if self.amount is not None and k not in AMOUNT_DEFAULTS:
            raise ValueError(f"amount: a {k} fault has no amount")
        if self.region is not None:
            if k != "dead_zone":
                raise ValueError("region: only a dead_zone has a region")
            x0, y0, x1, y1 = self.region
            if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
                raise ValueError(f"region: need 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 "
                                 f"(fractions of the screen), got {self.region}")
        if self.at is not None:
            if k != "ghost_touch":
                raise ValueError("at: only a ghost_touch has a position")
            if not all(0 <= c < 1 for c in self.at):
                raise ValueError(f"at: fractions of the screen in [0, 1), got {self.at}")
        if (self.style is not None or self.frames is not None) and k != "glitch":
            raise ValueError("style: only a glitch has a style and frames")
        if k == "bump":
            if self.amount is not None and self.amount > BUMP_MAX_MM:
                raise ValueError(f"amount: a bump shifts the phone at most {BUMP_MAX_MM:g} mm, "
                                 f"got {self.amount}")
            if self.rotation_deg is not None and not abs(self.rotation_deg) <= BUMP_MAX_DEG:
                raise ValueError(f"rotation_deg: a bump turns the phone at most "
                                 f"+-{BUMP_MAX_DEG:g} degrees, got {self.rotation_deg}")
            if self.direction_deg is not None and not math.isfinite(self.direction_deg):
                raise ValueError(f"direction_deg: must be a finite angle in degrees, "
                                 f"got {self.direction_deg}")
        elif self.direction_deg is not None or self.rotation_deg is not None:
            raise ValueError("rotation_deg: only a bump has a rotation_deg and direction_deg")
        return self

    @property
    def length_s(self) -> float | None:
        """How long a timed fault lasts (None for faults that end by themselves)."""
        if self.end_s is not None:
            return self.end_s - self.at_s
        return self.duration_s


def _range(name: str, v: tuple[float, float]) -> tuple[float, float]:
    lo, hi = v
    if not lo > 0:
        raise ValueError(f"{name}: the minimum must be > 0, got {lo}")
    if lo > hi:
        raise ValueError(f"{name}: min {lo} is greater than max {hi}")
    return v


class FaultOptions(BaseModel):
    """Explicit fault ``schedule`` plus random faults at rates per hour (``per_hour``).

    Random faults arrive with exponential inter-arrival times; a random timed fault lasts a
    uniform time in its ``*_duration_s`` range. ``freeze_per_hour`` and ``crash_per_hour`` are
    shorthands for ``per_hour: {freeze: ..., crash: ...}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule: list[FaultEvent] = Field(default_factory=list)
    per_hour: dict[FaultKind, float] = Field(default_factory=dict)
    freeze_per_hour: float = Field(0.0, ge=0)
    crash_per_hour: float = Field(0.0, ge=0)
    freeze_duration_s: tuple[float, float] = (3.0, 8.0)
    dead_zone_duration_s: tuple[float, float] = (20.0, 60.0)
    drift_duration_s: tuple[float, float] = (30.0, 90.0)
    slowdown_duration_s: tuple[float, float] = (120.0, 300.0)
    gap_s: float = Field(FAULT_GAP_S, ge=0, description="quiet time between two faults")
    keeps_stopping_window_s: float = Field(
        60.0, ge=0, description="a second crash of the same app within this time keeps stopping")
    boot_s: float = Field(6.0, gt=0, le=120, description="reboot: black + boot animation")

    @field_validator("per_hour")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for kind, rate in v.items():
            if not rate >= 0:
                raise ValueError(f"per_hour.{kind}: a rate must be >= 0, got {rate}")
        return v

    @model_validator(mode="after")
    def _check(self) -> FaultOptions:
        for name in ("freeze_duration_s", "dead_zone_duration_s", "drift_duration_s",
                     "slowdown_duration_s"):
            _range(name, getattr(self, name))
        return self

    def rates(self) -> dict[str, float]:
        """The rate per hour of every kind with a rate > 0, in a fixed order."""
        merged = dict(self.per_hour)
        merged["freeze"] = merged.get("freeze", 0.0) + self.freeze_per_hour
        merged["crash"] = merged.get("crash", 0.0) + self.crash_per_hour
        return {k: merged[k] for k in FAULT_KINDS if merged.get(k, 0.0) > 0}

    def duration_range(self, kind: str) -> tuple[float, float]:
        """The range a random ``kind`` fault's duration is drawn from."""
        return getattr(self, f"{kind}_duration_s")
