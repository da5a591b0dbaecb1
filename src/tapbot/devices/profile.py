"""Device profiles: what tapbot knows of a phone without talking to it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DeviceProfile(BaseModel):
    """A phone's screen in px and mm, its refresh rate and where its on-screen buttons are.

    ``buttons`` maps a name (``back``, ``home``, ``recents``) to a screen position in px.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "twin-phone"
    screen_px: tuple[int, int] = (1080, 2400)
    screen_mm: tuple[float, float] = (68.0, 151.0)
    refresh_hz: float = Field(60.0, gt=0, le=240)
    buttons: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="on-screen keys in px; default: Android's 3-button navigation bar",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_buttons(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("buttons"):
            w, h = data.get("screen_px", (1080, 2400))
            try:
                w, h = float(w), float(h)
            except (TypeError, ValueError):
                return data  # the field validator reports the bad screen_px
            y = round(0.975 * h, 1)
            data = {**data, "buttons": {"back": (0.25 * w, y), "home": (0.5 * w, y),
                                        "recents": (0.75 * w, y)}}
        return data

    @model_validator(mode="after")
    def _check(self) -> DeviceProfile:
        w, h = self.screen_px
        if w <= 0 or h <= 0:
            raise ValueError(f"screen_px must be positive, got {self.screen_px}")
        if self.screen_mm[0] <= 0 or self.screen_mm[1] <= 0:
            raise ValueError(f"screen_mm must be positive, got {self.screen_mm}")
        for name, (x, y) in self.buttons.items():
            if not (0 <= x < w and 0 <= y < h):
                raise ValueError(f"button '{name}' at ({x}, {y}) lies off the screen")
        return self

    @property
    def px_per_mm(self) -> tuple[float, float]:
        return self.screen_px[0] / self.screen_mm[0], self.screen_px[1] / self.screen_mm[1]
