"""Ground truth of the twin (DESIGN rule 7): what really happened on the simulated phone.

Only tests and scoring tools read it; monitors never do. These lists grow with the run (one
entry per touch, response and fault); everything else in the twin stays bounded. A run's truth
can be saved next to its documents (:meth:`GroundTruth.to_json`) and scored later.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

TRUTH_FORMAT = 1


@dataclass(slots=True)
class TruthTouch:
    """One touch the phone received (``x_px``, ``y_px``: where the finger really was).

    ``handled`` is False when the phone ignored the touch; ``target`` names what was hit:
    ``"counter:+"``, ``"launcher:Video"``, ``"nav:home"``, ``"video:toggle"``, ``"dialog:close"``,
    ``"key:a"``, ``"scroll"``, ``"none"`` (nothing reactive), or ``"ignored:<why>"`` with why one
    of ``freeze``, ``dialog``, ``boot``, ``dead_zone``. ``ghost`` marks a touch nobody made;
    ``reported_px`` is where the digitizer reported it (differs under touch offset drift).
    """

    t_down: float
    x_px: float
    y_px: float
    t_up: float | None
    handled: bool
    target: str
    ghost: bool = False
    reported_px: tuple[float, float] | None = None


@dataclass(slots=True)
class TruthResponse:
    """A visible reaction to a touch: ready at ``t_ready``, on the display at ``t_visible``."""

    t_touch: float
    t_ready: float
    t_visible: float
    latency_s: float
    app: str
    what: str


@dataclass(slots=True)
class TruthFault:
    """An injected fault; ``t_end`` is None while it lasts (e.g. a crash dialog still up)."""

    kind: str
    t_start: float
    t_end: float | None
    app: str
    details: dict[str, Any] = field(default_factory=dict)


def _num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@dataclass
class GroundTruth:
    """Everything the twin knows happened, for scorers and tests."""

    touches: list[TruthTouch] = field(default_factory=list)
    responses: list[TruthResponse] = field(default_factory=list)
    faults: list[TruthFault] = field(default_factory=list)

    def faults_between(self, t0: float, t1: float, kind: str | None = None) -> list[TruthFault]:
        """Faults (of ``kind``, if given) whose window overlaps ``[t0, t1]``.

        A fault still going (``t_end`` None) counts as lasting for ever.
        """
        out = []
        for f in self.faults:
            end = f.t_end if f.t_end is not None else math.inf
            if f.t_start <= t1 and end >= t0 and (kind is None or f.kind == kind):
                out.append(f)
        return out

    def responses_between(self, t0: float, t1: float) -> list[TruthResponse]:
        """Responses to touches made in ``[t0, t1]``."""
        return [r for r in self.responses if t0 <= r.t_touch <= t1]

    def to_json(self) -> str:
        """The whole truth as one JSON document (floats are exact: ``repr`` round trip)."""
        doc = {
            "format": TRUTH_FORMAT,
            "touches": [asdict(t) for t in self.touches],
            "responses": [asdict(r) for r in self.responses],
            "faults": [{**asdict(f), "t_end": _num(f.t_end)} for f in self.faults],
        }
        return json.dumps(doc, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        """Read what :meth:`to_json` wrote; raises ``ValueError`` naming what is wrong."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ground truth: not JSON ({exc.msg} at line {exc.lineno})") from exc
        if not isinstance(doc, dict) or doc.get("format") != TRUTH_FORMAT:
            raise ValueError(f"ground truth: expected format {TRUTH_FORMAT}, "
                             f"got {doc.get('format') if isinstance(doc, dict) else doc!r}")

        def build(kls: type, rows: Any, name: str) -> list:
            names = {f.name for f in fields(kls)}
            out = []
            for i, row in enumerate(rows or []):
                if not isinstance(row, dict) or not set(row) <= names:
                    raise ValueError(f"ground truth: {name}[{i}] has unexpected fields")
                try:
                    obj = kls(**row)
                except TypeError as exc:
                    raise ValueError(f"ground truth: {name}[{i}]: {exc}") from exc
                out.append(obj)
            return out

        touches = build(TruthTouch, doc.get("touches"), "touches")
        for t in touches:
            if t.reported_px is not None:
                t.reported_px = (float(t.reported_px[0]), float(t.reported_px[1]))
        return cls(touches=touches,
                   responses=build(TruthResponse, doc.get("responses"), "responses"),
                   faults=build(TruthFault, doc.get("faults"), "faults"))
