"""Helpers for runner tests on the twin."""

from dataclasses import dataclass

import pytest

from tapbot.core import Dispatcher
from tapbot.rig import build_rig
from tapbot.runner import Runner


@dataclass(frozen=True)
class FakeBox:
    """What a TextReader returns: text, score, box (x, y, w, h) in screen px."""

    text: str
    score: float
    box: tuple[int, int, int, int]

    @property
    def center(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


class FakeReader:
    """An OCR stand-in that 'reads' fixed labels (positions from the twin's layout)."""

    def __init__(self, labels: dict[str, tuple[int, int, int, int]]) -> None:
        self.labels = labels
        self.calls = 0

    def read(self, image, region=None):
        self.calls += 1
        return [FakeBox(t, 0.99, b) for t, b in self.labels.items()]

    def find(self, image, text, region=None, *, min_score=0.5):
        self.calls += 1
        box = self.labels.get(text)
        return None if box is None else FakeBox(text, 0.99, box)


@pytest.fixture
def twin():
    def make(schedule=(), seed=3, reader=None, **runner_kw):
        rig = build_rig(None, seed=seed, overrides={
            "device": {"faults": {"schedule": list(schedule)}}})
        docs = []
        dispatcher = Dispatcher()
        dispatcher.subscribe(docs.append)
        runner = Runner(rig, dispatcher, run_id="t", reader=reader, **runner_kw)
        return rig, runner, docs
    return make


def soak_flow(flow_name: str, schedule: list[dict], seconds: float, seed: int, run_id: str,
              link: bool = True, gap_s: float | None = None):
    """A soak of one library flow on the twin with a fixed fault ``schedule``: the rig (its
    truth is the reference) and the documents. ``link`` False: a rig with the camera alone
    (no device link: no logcat, no digitizer log). ``gap_s``: the twin's quiet time between
    two faults (a fault due during another or within it after waits)."""
    from tapbot.flows import FlowMix, Plan
    from tapbot.flows.library import library_flow

    faults: dict = {"schedule": schedule}
    if gap_s is not None:
        faults["gap_s"] = gap_s
    rig = build_rig(None, seed=seed, overrides={"device": {"faults": faults}})
    if not link:
        rig.link = None
    docs: list = []
    dispatcher = Dispatcher()
    dispatcher.subscribe(docs.append)
    Runner(rig, dispatcher, run_id=run_id).run_plan(
        Plan.from_mix([FlowMix(flow=library_flow(flow_name))], seed=seed, duration_s=seconds))
    return rig, docs
