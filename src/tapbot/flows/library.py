"""Flows for the twin's apps, used by ``tapbot demo``.

Positions follow the twin phone's launcher grid (4 columns at 12.5/37.5/62.5/87.5 % of the
width, rows at 20 and 33 % of the height), as a tester would write them for any phone.
"""

from __future__ import annotations

from tapbot.flows.steps import (
    Flow,
    FlowMix,
    Point,
    PressKey,
    Region,
    Tap,
    Wait,
    WatchAnimation,
)


def _icon(column: int, row: int) -> Point:
    return Point(x=f"{12.5 + 25 * column}%", y=f"{20 + 13 * row}%")


COUNTER = Flow(
    name="counter",
    steps=[
        Tap(label="open Counter", at=_icon(0, 0)),
        *[Tap(label=f"tap + ({i + 1})", at=Point(x="50%", y="62%")) for i in range(5)],
        PressKey(label="home", key="home"),
    ],
)

# the playing video and its progress bar move by themselves
VIDEO_PLAYER = Region(x0="0%", y0="29%", x1="100%", y1="59%")

VIDEO = Flow(
    name="video",
    steps=[
        Tap(label="open Video", at=_icon(1, 0), settle=False),
        WatchAnimation(label="watch", seconds=3.0),
        Tap(label="pause", at=Point(x="50%", y="42%"), expect="none", settle=False),
        Wait(label="paused", seconds=0.5),
        Tap(label="resume", at=Point(x="50%", y="42%"), expect="none", settle=False),
        WatchAnimation(label="watch again", seconds=2.0),
        PressKey(label="home", key="home", animated=[VIDEO_PLAYER]),
    ],
)

MESSAGES = Flow(
    name="messages",
    steps=[
        Tap(label="open Messages", at=_icon(2, 0)),
        Wait(label="read", seconds=0.5),
        PressKey(label="back", key="back"),
    ],
)

DEMO_MIX: list[FlowMix] = [
    FlowMix(flow=COUNTER, weight=3.0),
    FlowMix(flow=VIDEO, weight=2.0),
    FlowMix(flow=MESSAGES, weight=1.0),
]
