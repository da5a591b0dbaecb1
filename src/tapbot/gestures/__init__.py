"""Strokes in screen coordinates (tap, long press, swipe) and their mapping to robot mm."""

from tapbot.gestures.strokes import (
    STROKE_KINDS,
    Stroke,
    inside_screen,
    long_press,
    swipe,
    tap,
    to_touch_path,
)

__all__ = [
    "STROKE_KINDS",
    "Stroke",
    "inside_screen",
    "long_press",
    "swipe",
    "tap",
    "to_touch_path",
]
