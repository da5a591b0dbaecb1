"""Score a run's incidents and measurements against the twin's ground truth (DESIGN rule 7).

Only scoring tools and tests read the truth; this is one. The rules, so figures are comparable:

* **Kinds.** An incident's kind is mapped to a truth fault kind by :data:`INCIDENT_TO_FAULT`
  (``app-exit`` is the runner's name for the ``close`` fault, ``unresponsive-touch`` for
  ``dead_zone``, ``pose-drift`` for ``bump``); other kinds map to themselves.
  Incident kinds with no fault of that kind in the truth can only be false.
* **Matching.** An incident matches a truth fault of the same kind when their time windows
  overlap once the fault's window is widened by ``tolerance_s`` on both sides (default
  :data:`DEFAULT_TOLERANCE_S` = 2 s: detectors see a fault a little after it starts, and a
  dismissal a little after it ends). An open window (no end) lasts until the run's stop.
  A fault of a :data:`LASTING_KINDS` kind (``bump``: the phone stays where it was knocked) is
  instantaneous in the truth but its window lasts until the next fault of its kind (or the
  run's stop): a detector may only notice the moved phone at the next check. An incident
  matches one when its *onset* lies in that window widened by ``tolerance_s`` (its end does
  not matter: the effect never ends by itself); of several, the latest that started before
  it (within the tolerance).
* **Observable faults only.** A ``dead_zone`` that no robot touch landed in changed nothing
  the phone did; no rig could see it. It is left out of the score and counted in
  ``unobserved`` instead (the phone's log of ignored touches says which zones were hit).
* **Recall** of a kind: truth faults matched by at least one incident / truth faults.
  **Precision**: incidents that match a fault / incidents (a fault reported twice counts both
  reports as correct; ``duplicates`` says how often that happened).
* **False incidents per simulated hour**: unmatched incidents / (run stop - run start) in hours.
* **Onset error**: for each matched fault, its earliest matching incident's ``t_onset`` minus
  the fault's ``t_start`` (signed, ms); median and 95th percentile of its absolute value.
* **Latency error**: each ``response_latency`` measurement is paired with the truth response
  whose ``t_touch`` equals its ``t_start`` (to 1 us); error = measured - true latency, ms.
  Median (signed) and 95th percentile of the absolute error; measurements without a truth
  response and truth responses without a measurement are counted.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from tapbot.core.documents import Incident, Measurement, RunStart, RunStop, StepDoc
from tapbot.sim.truth import GroundTruth, TruthFault

#: Runner incident kind -> truth fault kind, where the names differ.
INCIDENT_TO_FAULT: dict[str, str] = {"app-exit": "close", "unresponsive-touch": "dead_zone",
                                     "pose-drift": "bump"}
#: Truth fault kinds whose effect lasts after their instant, until the next one of the kind.
LASTING_KINDS = frozenset({"bump"})
DEFAULT_TOLERANCE_S = 2.0
LATENCY_NAME = "response_latency"


@dataclass
class KindScore:
    """How a run did on one kind of fault."""

    kind: str
    truth: int = 0
    incidents: int = 0
    detected: int = 0  # truth faults matched by at least one incident
    correct: int = 0  # incidents that match a truth fault
    duplicates: int = 0  # correct incidents beyond the first for the same fault
    onset_errors_s: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.detected / self.truth if self.truth else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.incidents if self.incidents else None

    @property
    def false(self) -> int:
        return self.incidents - self.correct

    def onset_error_ms(self, q: float) -> float | None:
        """Percentile ``q`` of this kind's absolute onset error, in ms."""
        return _percentile_ms([abs(e) for e in self.onset_errors_s], q)


@dataclass
class ScoreReport:
    """The whole score of one run."""

    duration_s: float
    kinds: dict[str, KindScore]
    latency_errors_s: list[float]
    latency_unmatched: int  # measurements with no truth response at that touch
    responses_unmeasured: int  # truth responses to touches the run measured no latency for
    tolerance_s: float
    missed: list[TruthFault] = field(default_factory=list)  # faults no incident matched
    false_alarms: list[Incident] = field(default_factory=list)  # incidents matching no fault
    steps: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, "flow/step")
    unobserved: dict[str, int] = field(default_factory=dict)  # faults with no visible effect

    def step_at(self, t: float) -> str:
        """The flow and step the run was in at ``t`` ("-" between steps)."""
        i = bisect.bisect_right(self.steps, (t, math.inf, "")) - 1
        if i >= 0 and self.steps[i][0] <= t <= self.steps[i][1]:
            return self.steps[i][2]
        return "-"

    @property
    def false_incidents(self) -> int:
        return sum(k.false for k in self.kinds.values())

    @property
    def false_per_hour(self) -> float:
        return self.false_incidents / (self.duration_s / 3600.0) if self.duration_s > 0 else 0.0

    @property
    def onset_errors_s(self) -> list[float]:
        return [e for k in self.kinds.values() for e in k.onset_errors_s]

    def onset_error_ms(self, q: float) -> float | None:
        """Percentile ``q`` of the absolute onset error over all kinds, in ms."""
        return _percentile_ms([abs(e) for e in self.onset_errors_s], q)

    def latency_error_ms(self, stat: str) -> float | None:
        """``"median"``: median signed latency error; ``"p95"``: p95 of its absolute value."""
        errs = self.latency_errors_s
        if stat == "median":
            return _percentile_ms(errs, 50)
        if stat == "p95":
            return _percentile_ms([abs(e) for e in errs], 95)
        raise ValueError(f"stat must be 'median' or 'p95', got {stat!r}")


def _percentile_ms(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) * 1000.0 if values else None


def fault_kind(incident_kind: str) -> str:
    """The truth fault kind an incident kind is scored against."""
    return INCIDENT_TO_FAULT.get(incident_kind, incident_kind)


def _overlaps(inc: Incident, f: TruthFault, f_end: float, t_stop: float, tol: float) -> bool:
    if f.kind in LASTING_KINDS:
        return f.t_start - tol <= inc.t_onset <= f_end + tol
    i_end = inc.t_end if inc.t_end is not None else t_stop
    return inc.t_onset <= f_end + tol and i_end >= f.t_start - tol


def _windows_end(faults: list[TruthFault], t_stop: float) -> list[float]:
    """Each fault's window end for matching: its ``t_end`` (the run's stop while open), or for
    a lasting kind the start of the next fault of that kind (the run's stop for the last)."""
    ends = [f.t_end if f.t_end is not None else t_stop for f in faults]
    following: dict[str, float] = {}
    for i in range(len(faults) - 1, -1, -1):
        f = faults[i]
        if f.kind in LASTING_KINDS:
            ends[i] = max(ends[i], following.get(f.kind, t_stop))
            following[f.kind] = f.t_start
    return ends


def _best(hits: list[int], faults: list[TruthFault], inc: Incident, tol: float) -> int:
    """The fault an incident that matches ``hits`` is counted for: the nearest start, or for
    a lasting kind the latest one that started before the incident (within ``tol``)."""
    if faults[hits[0]].kind in LASTING_KINDS:
        before = [i for i in hits if faults[i].t_start - tol <= inc.t_onset]
        if before:
            return max(before, key=lambda i: faults[i].t_start)
    return min(hits, key=lambda i: abs(faults[i].t_start - inc.t_onset))


def score_run(documents: Iterable[BaseModel], truth: GroundTruth,
              tolerance_s: float = DEFAULT_TOLERANCE_S) -> ScoreReport:
    """Score one run's documents against the twin's ``truth`` (rules in the module doc)."""
    if tolerance_s < 0:
        raise ValueError(f"tolerance_s must be >= 0, got {tolerance_s}")
    incidents: list[Incident] = []
    latencies: list[Measurement] = []
    steps: list[tuple[float, float, str]] = []
    t_start: float | None = None
    t_stop: float | None = None
    t_last = 0.0
    for doc in documents:
        t_last = max(t_last, getattr(doc, "t", 0.0))
        if isinstance(doc, RunStart) and t_start is None:
            t_start = doc.t
        elif isinstance(doc, RunStop):
            t_stop = doc.t
        elif isinstance(doc, Incident):
            incidents.append(doc)
        elif isinstance(doc, Measurement) and doc.name == LATENCY_NAME:
            latencies.append(doc)
        elif isinstance(doc, StepDoc):
            steps.append((doc.t_start, doc.t, f"{doc.flow}/{doc.step}"))
    t0 = t_start if t_start is not None else 0.0
    t1 = t_stop if t_stop is not None else t_last
    ignored = [t.t_down for t in truth.touches if t.target == "ignored:dead_zone"
               and not t.ghost]
    faults, unobserved = [], defaultdict(int)
    for f in truth.faults:
        if f.t_start > t1:
            continue
        if f.kind == "dead_zone" and not any(
                f.t_start <= t <= (f.t_end if f.t_end is not None else t1) for t in ignored):
            unobserved[f.kind] += 1
            continue
        faults.append(f)
    ends = _windows_end(faults, t1)

    kinds: dict[str, KindScore] = {}

    def ks(kind: str) -> KindScore:
        if kind not in kinds:
            kinds[kind] = KindScore(kind)
        return kinds[kind]

    for f in faults:
        ks(f.kind).truth += 1
    matches: dict[int, list[Incident]] = defaultdict(list)  # fault index -> incidents
    false_alarms: list[Incident] = []
    for inc in incidents:
        kind = fault_kind(inc.incident)
        score = ks(kind)
        score.incidents += 1
        hits = [i for i, f in enumerate(faults)
                if f.kind == kind and _overlaps(inc, f, ends[i], t1, tolerance_s)]
        if hits:
            score.correct += 1
            matches[_best(hits, faults, inc, tolerance_s)].append(inc)
        else:
            false_alarms.append(inc)
    for i, found in matches.items():
        f = faults[i]
        score = kinds[f.kind]
        score.detected += 1
        score.duplicates += len(found) - 1
        first = min(found, key=lambda inc: inc.t_onset)
        score.onset_errors_s.append(first.t_onset - f.t_start)

    # the truth's columns, read without making a record per response (a 24 h run has ~70 000)
    touch_times = truth.responses.values("t_touch")
    by_touch = dict(zip((round(t, 6) for t in touch_times),
                        truth.responses.values("latency_s"), strict=True))
    errors, unmatched, measured = [], 0, set()
    for m in latencies:
        key = round(m.t_start, 6) if m.t_start is not None else None
        latency = by_touch.get(key) if key is not None else None
        if latency is None or m.unit != "s":
            unmatched += 1
            continue
        measured.add(key)
        errors.append(m.value - latency)
    unmeasured = sum(1 for t in truth.responses.values("t_touch")
                     if t0 <= t <= t1 and round(t, 6) not in measured)
    return ScoreReport(duration_s=max(0.0, t1 - t0), kinds=dict(sorted(kinds.items())),
                       latency_errors_s=errors, latency_unmatched=unmatched,
                       responses_unmeasured=unmeasured, tolerance_s=tolerance_s,
                       missed=[f for i, f in enumerate(faults) if i not in matches],
                       false_alarms=false_alarms, steps=sorted(steps),
                       unobserved=dict(unobserved))


def pool(reports: Sequence[ScoreReport]) -> ScoreReport:
    """Several runs' scores as one (seeds of one soak, say): per kind, the truth faults,
    incidents, detections and onset errors of every run together, so recall and precision are
    of all their faults and incidents; the durations add up. Which faults were missed and
    which incidents were false stays with each run's own report (their times and steps are
    the run's): the pooled report lists none."""
    if not reports:
        raise ValueError("pool: no reports")
    tolerances = {r.tolerance_s for r in reports}
    if len(tolerances) > 1:
        raise ValueError(f"pool: the runs were scored with different tolerances {tolerances}")
    kinds: dict[str, KindScore] = {}
    unobserved: dict[str, int] = defaultdict(int)
    for r in reports:
        for k in r.kinds.values():
            into = kinds.setdefault(k.kind, KindScore(k.kind))
            into.truth += k.truth
            into.incidents += k.incidents
            into.detected += k.detected
            into.correct += k.correct
            into.duplicates += k.duplicates
            into.onset_errors_s.extend(k.onset_errors_s)
        for kind, n in r.unobserved.items():
            unobserved[kind] += n
    return ScoreReport(
        duration_s=sum(r.duration_s for r in reports), kinds=dict(sorted(kinds.items())),
        latency_errors_s=[e for r in reports for e in r.latency_errors_s],
        latency_unmatched=sum(r.latency_unmatched for r in reports),
        responses_unmeasured=sum(r.responses_unmeasured for r in reports),
        tolerance_s=tolerances.pop(), unobserved=dict(unobserved))


def fmt_ratio(v: float | None) -> str:
    """A recall or precision for display: ``0.75`` or ``-`` when undefined."""
    return "-" if v is None or math.isnan(v) else f"{v:.2f}"
