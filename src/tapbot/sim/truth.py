"""Ground truth of the twin (DESIGN rule 7): what really happened on the simulated phone.

Only tests and scoring tools read it; monitors never do. These lists grow with the run (one
entry per touch, response and fault); everything else in the twin stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TruthTouch:
    """One touch the phone received.

    ``handled`` is False when the phone ignored the touch (frozen, or a crash dialog that does
    not react there); ``target`` names what was hit: ``"counter:+"``, ``"launcher:Video"``,
    ``"nav:home"``, ``"video:toggle"``, ``"dialog:close"``, ``"none"`` (nothing reactive),
    ``"ignored:freeze"``, ``"ignored:dialog"``.
    """

    t_down: float
    x_px: float
    y_px: float
    t_up: float | None
    handled: bool
    target: str


@dataclass
class TruthResponse:
    """A visible reaction to a touch: ready at ``t_ready``, on the display at ``t_visible``."""

    t_touch: float
    t_ready: float
    t_visible: float
    latency_s: float
    app: str
    what: str


@dataclass
class TruthFault:
    """An injected fault; ``t_end`` is None while a crash dialog is still up."""

    kind: str
    t_start: float
    t_end: float | None
    app: str


@dataclass
class GroundTruth:
    """Everything the twin knows happened, for scorers and tests."""

    touches: list[TruthTouch] = field(default_factory=list)
    responses: list[TruthResponse] = field(default_factory=list)
    faults: list[TruthFault] = field(default_factory=list)

    def faults_between(self, t0: float, t1: float) -> list[TruthFault]:
        """Faults whose window overlaps ``[t0, t1]`` (an open crash counts as still going)."""
        out = []
        for f in self.faults:
            end = f.t_end if f.t_end is not None else float("inf")
            if f.t_start <= t1 and end >= t0:
                out.append(f)
        return out

    def responses_between(self, t0: float, t1: float) -> list[TruthResponse]:
        """Responses to touches made in ``[t0, t1]``."""
        return [r for r in self.responses if t0 <= r.t_touch <= t1]
