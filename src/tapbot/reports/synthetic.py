"""A synthetic run folder written with the real document models, for benchmarks and tests.

It mimics a twin soak (the demo's three flows at the twin's step, touch and measurement rates,
incidents with an onset frame, a clip and before/after views) without running the twin, so a
24-hour run folder takes seconds to make. The values it drew are returned as ground truth.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from tapbot.core.documents import (
    FrameRef,
    Incident,
    Measurement,
    RunStart,
    RunStop,
    StepDoc,
    TouchDoc,
)
from tapbot.store.jsonl import JsonlWriter

logger = logging.getLogger(__name__)

# (step name, touches it, measured latency p50 in s or None, step length in s)
FLOWS: dict[str, list[tuple[str, bool, float | None, float]]] = {
    "counter": [("open Counter", True, 0.18, 0.9)]
    + [(f"tap + ({i})", True, 0.085, 0.5) for i in range(1, 6)] + [("home", True, 0.10, 0.6)],
    "video": [("open Video", True, 0.20, 0.8), ("watch", False, None, 3.2),
              ("pause", True, None, 0.3), ("paused", False, None, 0.5),
              ("resume", True, None, 0.3), ("watch again", False, None, 2.2),
              ("home", True, 0.19, 0.7)],
    "messages": [("open Messages", True, 0.18, 0.8), ("read", False, None, 0.5),
                 ("back", True, 0.10, 0.6)],
}
WEIGHTS = {"counter": 3.0, "video": 2.0, "messages": 1.0}
THRESHOLDS = {"unresponsive_after_s": 1.0, "frozen_frame_s": 0.7, "max_freeze_s": 60.0,
              "settle_quiet_s": 0.25, "settle_timeout_s": 3.0}
CLIP_FRAMES = 20


@dataclass
class SyntheticTruth:
    """What the generator drew: the independent truth reports are checked against."""

    run_id: str
    folder: Path
    values: dict[tuple[str, str, str], list[float]] = field(
        default_factory=lambda: defaultdict(list))
    iterations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed_iterations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    incidents: list[Incident] = field(default_factory=list)
    steps: int = 0
    touches: int = 0
    documents: int = 0
    t_end: float = 0.0


def make_run(folder: Path, duration_s: float, *, incidents: int = 4, seed: int = 1,
             run_id: str = "synthetic", device: str = "twin-phone", slowdown: float = 0.0,
             scale: dict[tuple[str, str], float] | None = None, complete: bool = True,
             image_px: tuple[int, int] = (640, 480)) -> SyntheticTruth:
    """Write ``folder/documents.jsonl`` and evidence images for a run of ``duration_s``.

    ``incidents`` crashes and freezes (alternating) are spread evenly over the run; each cuts
    its flow iteration short with a failed step. ``slowdown`` makes latencies grow linearly
    with uptime (0.5: 50 % slower at the end); ``scale`` multiplies one (flow, step)'s
    latencies. ``complete=False`` leaves out the run-stop document.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    truth = SyntheticTruth(run_id=run_id, folder=folder)
    writer = JsonlWriter(folder / "documents.jsonl")
    seq = 0

    def emit(doc) -> None:
        nonlocal seq
        seq += 1
        doc.seq = seq
        writer(doc)
        truth.documents += 1

    wall0 = 1.8e9
    emit(RunStart(run_id=run_id, t=0.0, wall=wall0, rig="twin", device=device, plan="synthetic",
                  seed=seed, duration_s=duration_s, thresholds=dict(THRESHOLDS),
                  config={"camera_fps": 60.0, "build": "synthetic-1"}))
    names = list(FLOWS)
    p = np.array([WEIGHTS[n] for n in names]) / sum(WEIGHTS.values())
    due = list(np.linspace(0, duration_s, incidents + 2)[1:-1]) if incidents else []
    t = 0.2
    n_incident = 0
    while t < duration_s:
        flow = names[int(rng.choice(len(names), p=p))]
        iteration = truth.iterations[flow]
        truth.iterations[flow] += 1
        for index, (step, touch, p50, length) in enumerate(FLOWS[flow]):
            t_start = t
            if touch:
                emit(TouchDoc(run_id=run_id, t=t + 0.1, wall=wall0 + t, gesture="tap",
                              x_px=540.0, y_px=1200.0, x_mm=60.0, y_mm=80.0, t_down=t + 0.04,
                              t_up=t + 0.1))
                truth.touches += 1
            if p50 is not None:
                factor = (1 + slowdown * t / duration_s) * (scale or {}).get((flow, step), 1.0)
                value = float(p50 * factor * rng.lognormal(0.0, 0.25))
                emit(Measurement(run_id=run_id, t=t + value + 0.05, wall=wall0 + t,
                                 name="response_latency", value=value, unit="s",
                                 t_start=t + 0.04, flow=flow, step=step))
                truth.values[("response_latency", flow, step)].append(value)
                settle = value + float(rng.uniform(0.25, 0.4))
                emit(Measurement(run_id=run_id, t=t + settle + 0.05, wall=wall0 + t,
                                 name="settle_time", value=settle, unit="s", t_start=t + 0.04,
                                 flow=flow, step=step))
                truth.values[("settle_time", flow, step)].append(settle)
            t += length
            failed = bool(due) and t >= due[0]
            if failed:
                due.pop(0)
                n_incident += 1
                t = _incident(emit, truth, n_incident, flow, step, t_start, t, wall0, image_px,
                              rng)
            emit(StepDoc(run_id=run_id, t=t, wall=wall0 + t, flow=flow, iteration=iteration,
                         index=index, step=step, status="failed" if failed else "ok",
                         t_start=t_start, message="incident" if failed else ""))
            truth.steps += 1
            if failed:
                truth.failed_iterations[flow] += 1
                break
            if t >= duration_s and index < len(FLOWS[flow]) - 1:
                break
    truth.t_end = t
    if complete:
        kinds = defaultdict(int)
        for inc in truth.incidents:
            kinds[inc.incident] += 1
        emit(RunStop(run_id=run_id, t=t, wall=wall0 + t, reason="completed",
                     verdict="FAIL" if truth.incidents else "PASS",
                     reasons=[f"{n} {k} incidents" for k, n in sorted(kinds.items())],
                     steps=truth.steps, incidents=len(truth.incidents)))
    writer.close()
    logger.info("synthetic run %s: %d documents, %d incidents", run_id, truth.documents,
                len(truth.incidents))
    return truth


def _incident(emit, truth: SyntheticTruth, n: int, flow: str, step: str, t_start: float,
              t: float, wall0: float, image_px: tuple[int, int],
              rng: np.random.Generator) -> float:
    """Write one incident (crash for odd, freeze for even numbers) with its evidence."""
    kind = "crash" if n % 2 else "freeze"
    onset = t_start + 0.3
    duration = 1.5 + 0.5 * (n % 5)
    end = onset + duration
    name = f"incident-{n:04d}-{kind}"
    evidence = []
    folder = truth.folder
    shots = [("frames", name, f"{kind} onset", onset)]
    shots += [(f"clips/{name}", f"{i:03d}", f"{kind} clip", onset - 1.0 + 0.1 * i)
              for i in range(CLIP_FRAMES)]
    shots += [("views", f"{name}-before", f"{kind} before", onset - 1.0),
              ("views", f"{name}-after", f"{kind} after", end)]
    for sub, stem, purpose, t_capture in shots:
        rel = f"{sub}/{stem}.png"
        (folder / sub).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / rel), _frame(image_px, n, t_capture - onset, kind, rng))
        evidence.append(rel)
        emit(FrameRef(run_id=truth.run_id, t=end, wall=wall0 + end, path=rel, purpose=purpose,
                      t_capture=t_capture))
    message = ("an app-stopped dialog appeared; dismissed with home" if kind == "crash"
               else f"no response to touch for {duration:.2f} s")
    doc = Incident(run_id=truth.run_id, t=end, wall=wall0 + end, incident=kind, t_onset=onset,
                   t_end=end, flow=flow, step=step, message=message, evidence=evidence)
    emit(doc)
    truth.incidents.append(doc)
    return end + 0.5


def _frame(size: tuple[int, int], n: int, dt: float, kind: str,
           rng: np.random.Generator) -> np.ndarray:
    """A camera-like frame: a phone on a grey deck, its screen showing the incident's state."""
    w, h = size
    image = np.full((h, w, 3), (88, 96, 90), np.uint8)
    pw, ph = int(h * 0.45), int(h * 0.9)
    x0, y0 = (w - pw) // 2, (h - ph) // 2
    cv2.rectangle(image, (x0, y0), (x0 + pw, y0 + ph), (30, 30, 30), -1)
    colour = (40, 40, 150) if kind == "crash" else (150, 60, 40)
    level = int(np.clip(120 + 100 * dt, 0, 255))
    cv2.rectangle(image, (x0 + 8, y0 + 20), (x0 + pw - 8, y0 + ph - 30), (level, 70, 40), -1)
    if dt >= 0:
        cv2.rectangle(image, (x0 + 20, y0 + ph // 3), (x0 + pw - 20, y0 + ph // 2), colour, -1)
    cv2.putText(image, f"#{n} {dt:+.1f}s", (x0 + 12, y0 + ph - 40), cv2.FONT_HERSHEY_SIMPLEX,
                0.5, (255, 255, 255), 1)
    noise = rng.integers(0, 6, (h, w, 1), dtype=np.uint8)
    return cv2.add(image, np.repeat(noise, 3, axis=2))
