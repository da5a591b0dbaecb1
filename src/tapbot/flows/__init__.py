"""Flows are data: typed steps, compiled and validated before anything moves."""

from tapbot.flows.library import COUNTER, DEMO_MIX, MESSAGES, VIDEO
from tapbot.flows.steps import (
    Flow,
    FlowMix,
    LongPress,
    Point,
    PressKey,
    Region,
    Step,
    Swipe,
    Tap,
    Wait,
    WatchAnimation,
)

__all__ = [
    "COUNTER",
    "DEMO_MIX",
    "MESSAGES",
    "VIDEO",
    "Flow",
    "FlowMix",
    "LongPress",
    "Point",
    "PressKey",
    "Region",
    "Step",
    "Swipe",
    "Tap",
    "Wait",
    "WatchAnimation",
]
