"""tapbot's flow library: YAML flows for the twin's apps (package data in ``library/``),
used by ``tapbot demo`` and by plans (``- library: counter``).

Positions follow the twin phone's launcher grid (4 columns at 12.5/37.5/62.5/87.5 % of the
width, rows at 20 and 33 % of the height), as a tester would write them for any phone.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tapbot.flows.steps import Flow, FlowMix
from tapbot.flows.yamlflow import compile_flow_file

LIBRARY_DIR = Path(__file__).parent / "library"

#: ``tapbot demo``'s weighted mix: a flow for every app of the twin.
DEMO_WEIGHTS: dict[str, float] = {
    "counter": 2.0, "video": 2.0, "messages": 1.0, "message": 1.0, "call": 1.0,
    "browse": 1.0, "music": 1.0, "game": 1.0, "settings": 1.0,
}
#: The basic mix (counter, video, messages) the runner's end-to-end tests are written for.
BASIC_WEIGHTS: dict[str, float] = {"counter": 3.0, "video": 2.0, "messages": 1.0}


@cache
def library_flow(name: str) -> Flow:
    """The compiled library flow ``name`` (``library/<name>.yaml``)."""
    return compile_flow_file(LIBRARY_DIR / f"{name}.yaml")


def demo_mix() -> list[FlowMix]:
    """The demo soak's mix: library flows with :data:`DEMO_WEIGHTS`."""
    return [FlowMix(flow=library_flow(n), weight=w) for n, w in DEMO_WEIGHTS.items()]


def basic_mix() -> list[FlowMix]:
    """Counter, video and messages with :data:`BASIC_WEIGHTS`."""
    return [FlowMix(flow=library_flow(n), weight=w) for n, w in BASIC_WEIGHTS.items()]


COUNTER = library_flow("counter")
VIDEO = library_flow("video")
MESSAGES = library_flow("messages")
#: The basic mix as a constant (tests and benchmarks that need a fixed, short mix use it).
DEMO_MIX: list[FlowMix] = basic_mix()
