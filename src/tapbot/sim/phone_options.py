"""The simulated phone's options: device profile, seed, faults, latencies and system UI."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tapbot.devices.profile import DeviceProfile
from tapbot.sim.faults import FaultOptions
from tapbot.sim.profiles import load_profile

#: How far back screen_at can look: beyond the twin camera's own history (its
#: :data:`~tapbot.sim.camera.HISTORY_S`, which it derives from this).
HISTORY_S = 42.0


class Lognormal(BaseModel):
    """A response-latency distribution: lognormal with the given median (ms) and sigma."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    median_ms: float = Field(gt=0)
    sigma: float = Field(ge=0)


def _ln(median_ms: float, sigma: float) -> Lognormal:
    return Lognormal(median_ms=median_ms, sigma=sigma)


class LatencyOptions(BaseModel):
    """Response latency (touch to ready; visible at the next refresh) per kind of reaction.

    ``scroll`` is the lag of content following a finger; ``page_load`` is how long the browser
    takes to load a page (the progress bar's duration).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    counter: Lognormal = _ln(70.0, 0.3)
    launch: Lognormal = _ln(180.0, 0.25)
    nav: Lognormal = _ln(90.0, 0.25)
    video: Lognormal = _ln(80.0, 0.3)
    dismiss: Lognormal = _ln(90.0, 0.25)
    dialer: Lognormal = _ln(60.0, 0.25)
    keyboard: Lognormal = _ln(45.0, 0.2)
    messages: Lognormal = _ln(120.0, 0.3)
    browser: Lognormal = _ln(110.0, 0.35)
    music: Lognormal = _ln(90.0, 0.3)
    game: Lognormal = _ln(40.0, 0.2)
    settings: Lognormal = _ln(100.0, 0.3)
    scroll: Lognormal = _ln(25.0, 0.2)
    unlock: Lognormal = _ln(60.0, 0.2)
    page_load: Lognormal = _ln(900.0, 0.5)


class SystemUiOptions(BaseModel):
    """The system UI's realism switches.

    ``clock_ticks``: the status bar clock shows simulated time (from ``clock_start``) and the
    battery drains; when False both stay fixed. ``notifications_per_hour``: a notification
    slides in at random times (seeded). ``transitions``: apps open and close with an animation
    (``open_s``/``close_s``); when False they switch in one frame. ``start``: the phone begins
    unlocked on the launcher, on the lock screen, or booting. ``lock_after_reboot``: a boot
    ends on the lock screen (swipe up to unlock) or, when False, on the launcher.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    clock_ticks: bool = True
    clock_start: str = Field("12:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    battery_start_pct: int = Field(87, ge=1, le=100)
    battery_drain_pct_per_hour: float = Field(4.0, ge=0)
    notifications_per_hour: float = Field(0.0, ge=0)
    transitions: bool = True
    open_s: float = Field(0.30, gt=0, le=2)
    close_s: float = Field(0.28, gt=0, le=2)
    start: Literal["unlocked", "locked", "boot"] = "unlocked"
    lock_after_reboot: bool = True


class SimPhoneOptions(BaseModel):
    """Options of the simulated phone. ``profile`` is a profile name or a full profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: DeviceProfile = DeviceProfile()
    seed: int = Field(0, ge=0)
    faults: FaultOptions = FaultOptions()
    latency: LatencyOptions = LatencyOptions()
    system_ui: SystemUiOptions = SystemUiOptions()
    history_s: float = Field(HISTORY_S, gt=0, description="how far back screen_at can look")

    @field_validator("profile", mode="before")
    @classmethod
    def _named_profile(cls, v: Any) -> Any:
        if isinstance(v, str):
            return load_profile(v)
        return v
