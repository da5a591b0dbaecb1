"""Record a soak's glitch-watch input once; replay the glitch watch over it offline in seconds.

    python bench/glitch_replay.py record FOLDER [--duration 3h] [--seed 1] [--faults all|none]
                                               [--rate KIND=PER_HOUR ...]
    python bench/glitch_replay.py replay FOLDER [FOLDER ...] [--misses]
    python bench/glitch_replay.py rows FOLDER T [--before 0.1] [--after 0.25]

``record`` runs the soak of ``bench/detection_score.py`` (same rig, mix and fault rates) with
the runner's :class:`~tapbot.monitors.glitch.GlitchWatch` wrapped by a recording subclass: it
keeps every call the runner makes (``feed_many`` with its frame times and grid samples,
``touched``, ``responded``, ``reset``, and ``glitch_max_s`` as it was at each batch), in
order, in FOLDER (``samples.u8``: the samples as raw uint8, frames x points x channels;
``record.pkl``: the calls, the grid's rows, the truth's glitch windows, the run's steps and
its glitch incidents). About 2.2 GB per simulated 3 h at 60 fps. The twin renders in this
process only (no copy), so recording takes longer than the soak.

``replay`` feeds a fresh watch (the code as it is now) the same calls in the same order and
scores its sightings, taken as the run's glitch incidents, against the truth's glitch
windows with :func:`tapbot.sim.score.score_run` itself (what ``tapbot twin score`` gives: a
sighting matches a glitch when their windows overlap once the glitch's is widened by 2 s on
each side): recall, precision and, with ``--misses``, each missed glitch and false sighting
with its step (as ``tapbot twin score --misses`` prints them). Since a glitch incident
changes nothing the runner does next, this is the figure the soak would give with the same
code, as long as the rest of the runner is unchanged; it also says whether the replay's
sightings equal the recorded run's incidents (they should, with the code the recording was
made with).

``rows`` prints, for frames around time T, each grid row's mean change from the frame
before (0-765 per point) and the fraction of its points changed by ``BAND_LEVEL``: what a
tear looks like to the watch. Recording hooks the runner here only; nothing in the package
knows about it. Ground truth is read only to score and label (DESIGN rule 7).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tapbot.cli.durations import parse_duration
from tapbot.cli.twin import miss_lines
from tapbot.core.clock import wall_perf
from tapbot.core.documents import Dispatcher, Incident, RunStart, RunStop, StepDoc
from tapbot.flows import Plan
from tapbot.flows.library import demo_mix
from tapbot.monitors.glitch import BAND_LEVEL, GlitchSighting, GlitchWatch
from tapbot.rig import build_rig
from tapbot.runner import Runner, RunSummary
from tapbot.sim.score import DEFAULT_TOLERANCE_S, KindScore, ScoreReport, fmt_ratio, score_run
from tapbot.sim.truth import GroundTruth, TruthFault
from tapbot.store import Artifacts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detection_score import parse_rates

SAMPLES_FILE = "samples.u8"
RECORD_FILE = "record.pkl"
RUN_ID = "bench-glitch-replay"


class RecordingWatch(GlitchWatch):
    """A :class:`GlitchWatch` that also writes down every call the runner makes to it."""

    def __init__(self, glitch_max_s: float, rows: int, out) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.frames = 0
        self.shape: tuple[int, ...] | None = None
        self._out = out
        super().__init__(glitch_max_s, rows)

    def reset(self) -> None:
        if hasattr(self, "calls"):
            self.calls.append(("reset",))
        super().reset()

    def touched(self, t_down: float, t_up: float, rows: tuple[int, int] | None = None
                ) -> None:
        self.calls.append(("touched", t_down, t_up, rows))
        super().touched(t_down, t_up, rows)

    def responded(self, t: float, anywhere: bool = False) -> None:
        self.calls.append(("responded", t, anywhere))
        super().responded(t, anywhere)

    def feed_many(self, ts, samples: np.ndarray) -> list[GlitchSighting]:
        ts = [float(t) for t in ts]
        if ts:
            if samples.min() < 0 or samples.max() > 255:
                raise ValueError("grid samples outside 0-255: cannot keep them as uint8")
            self.shape = samples.shape[1:]
            self._out.write(np.ascontiguousarray(samples, np.uint8).tobytes())
            self.calls.append(("feed", self.glitch_max_s, self.frames,
                               self.frames + len(ts), np.array(ts)))
            self.frames += len(ts)
        return super().feed_many(ts, samples)


def record(args: argparse.Namespace) -> None:
    folder: Path = args.folder
    folder.mkdir(parents=True, exist_ok=True)
    duration_s = parse_duration(args.duration)
    rates = parse_rates(args.rate) if args.faults == "all" else {}
    # no copy of the twin: the watch must run in this process to be recorded (the copy would
    # run it; the run is the same either way)
    rig = build_rig(None, seed=args.seed, overrides={"device": {"faults": {"per_hour": rates}},
                                                     "camera": {"worker": False}})
    plan = Plan.from_mix(demo_mix(), name=RUN_ID, seed=args.seed, duration_s=duration_s)
    docs: list[Any] = []
    dispatcher = Dispatcher()
    summary = RunSummary()
    dispatcher.subscribe(summary)
    dispatcher.subscribe(docs.append)
    t0 = wall_perf()
    with tempfile.TemporaryDirectory() as tmp, open(folder / SAMPLES_FILE, "wb") as out:
        # evidence saved as detection_score.py does, so the run is the same
        runner = Runner(rig, dispatcher, run_id=RUN_ID, artifacts=Artifacts(Path(tmp) / RUN_ID))
        watch = RecordingWatch(runner.glitch_watch.glitch_max_s, runner.glitch_watch.rows, out)
        runner.glitch_watch = watch
        stop = runner.run_plan(plan)
    assert rig.truth is not None
    glitches = [(f.t_start, f.t_end, f.app, dict(f.details)) for f in rig.truth.faults
                if f.kind == "glitch"]
    incidents = [(d.t_onset, d.t_end, d.flow, d.step, d.message) for d in docs
                 if isinstance(d, Incident) and d.incident == "glitch"]
    t_stop = max((d.t for d in docs if isinstance(d, RunStop)), default=summary.sim_time_s)
    steps = [(d.t_start, d.t, f"{d.flow}/{d.step}") for d in docs if isinstance(d, StepDoc)]
    meta = {"rows": watch.rows, "shape": watch.shape, "frames": watch.frames,
            "calls": watch.calls, "glitches": glitches, "incidents": incidents,
            "steps": steps, "t_stop": t_stop, "args": vars(args) | {"folder": str(
                folder)}, "verdict": stop.verdict}
    with open(folder / RECORD_FILE, "wb") as f:
        pickle.dump(meta, f)
    print(f"recorded {watch.frames} frames, {len(watch.calls)} calls, {len(glitches)} truth "
          f"glitches, {len(incidents)} glitch incidents in {wall_perf() - t0:.0f} s wall "
          f"into {folder}")


def load(folder: Path) -> tuple[dict[str, Any], np.ndarray]:
    with open(folder / RECORD_FILE, "rb") as f:
        meta = pickle.load(f)
    samples = np.memmap(folder / SAMPLES_FILE, np.uint8, "r",
                        shape=(meta["frames"], *meta["shape"]))
    return meta, samples


def run_watch(meta: dict[str, Any], samples: np.ndarray, window_s: float | None = None
              ) -> list[GlitchSighting]:
    """The sightings of a fresh watch fed the recorded calls (with ``window_s``: only the
    batches within that many seconds of a truth glitch, the watch reset before each run of
    them: a quick look at recall, not precision)."""
    watch = GlitchWatch(0.25, rows=meta["rows"])
    out: list[GlitchSighting] = []
    starts = np.array(sorted(g[0] for g in meta["glitches"]))
    was_in = True
    for call in meta["calls"]:
        if window_s is not None and len(starts):
            t = float(call[4][0]) if call[0] == "feed" else float(call[1]) \
                if len(call) > 1 else None
            if t is not None:
                near = bool(np.abs(starts - t).min() <= window_s)
                if near and not was_in:
                    watch.reset()
                was_in = near
            if not was_in:
                continue
        if call[0] == "feed":
            _, watch.glitch_max_s, a, b, ts = call
            out += watch.feed_many(ts, samples[a:b].astype(np.int16))
        elif call[0] == "reset":
            watch.reset()
        elif call[0] == "touched":
            watch.touched(*call[1:])
        else:
            watch.responded(*call[1:])
    return out


def step_at(meta: dict[str, Any], t: float) -> str:
    for t0, t1, name in meta["steps"]:
        if t0 <= t <= t1:
            return name
    return "-"


def score(meta: dict[str, Any], sightings: list[GlitchSighting], tol: float) -> ScoreReport:
    """The glitch part of :func:`tapbot.sim.score.score_run` (what ``tapbot twin score``
    gives) for ``sightings`` taken as the run's glitch incidents: the truth is the recorded
    glitch windows, the documents the steps, the incidents and the run's stop."""
    truth = GroundTruth(faults=[TruthFault("glitch", a, b, app, det)
                                for a, b, app, det in meta["glitches"]])
    t_stop = meta["t_stop"]
    docs: list[Any] = [RunStart(run_id=RUN_ID, t=0.0, rig="twin", device="twin", plan=RUN_ID)]
    docs += [StepDoc(run_id=RUN_ID, t=t1, flow=name.partition("/")[0], iteration=0, index=0,
                     step=name.partition("/")[2], status="ok", t_start=t0)
             for t0, t1, name in meta["steps"]]
    for s in sightings:
        flow, _, step = step_at(meta, s.t_start).partition("/")
        docs.append(Incident(run_id=RUN_ID, t=s.t_end, incident="glitch", t_onset=s.t_start,
                             t_end=s.t_end, flow=flow, step=step,
                             message=f"{s.how}, {s.frac:.0%} of the screen"))
    docs.append(RunStop(run_id=RUN_ID, t=t_stop, reason="completed", verdict="PASS"))
    return score_run(docs, truth, tol)


def replay(args: argparse.Namespace) -> None:
    total_truth = total_missed = total_seen = total_false = 0
    for folder in args.folders:
        meta, samples = load(folder)
        t0 = wall_perf()
        sightings = run_watch(meta, samples, args.window)
        wall = wall_perf() - t0
        report = score(meta, sightings, args.tolerance)
        ks = report.kinds.get("glitch", KindScore("glitch"))
        seen = [(s.t_start, s.t_end) for s in sightings]
        same = seen == [(a, b) for a, b, *_ in meta["incidents"]]
        print(f"{folder}: {meta['frames']} frames, {wall:.1f} s wall "
              f"({1e6 * wall / max(meta['frames'], 1):.1f} us a frame); truth {ks.truth}, "
              f"sightings {ks.incidents}; recall {fmt_ratio(ks.recall)} "
              f"({ks.detected}/{ks.truth}), precision {fmt_ratio(ks.precision)}, false "
              f"{ks.false}; {'same as' if same else 'differs from'} the recorded run's "
              f"{len(meta['incidents'])} incidents")
        if args.misses:
            for line in miss_lines(report):
                print(f"  {line}")
        n, k, missed = ks.truth, ks.incidents, ks.truth - ks.detected
        total_truth += n
        total_missed += missed
        total_seen += k
        total_false += ks.false
    if len(args.folders) > 1:
        print(f"all: recall {total_truth - total_missed}/{total_truth}, false "
              f"{total_false}/{total_seen}")


def rows(args: argparse.Namespace) -> None:
    meta, samples = load(args.folder)
    ts = np.concatenate([c[4] for c in meta["calls"] if c[0] == "feed"])
    a = int(np.searchsorted(ts, args.t - args.before))
    b = int(np.searchsorted(ts, args.t + args.after))
    r = meta["rows"]
    for c in meta["calls"]:
        if c[0] in ("touched", "responded") and args.t - 2 <= c[1] <= args.t + args.after:
            print(c)
    x = samples[max(0, a - 1):b].astype(np.int16)
    lv = np.abs(np.diff(x, axis=0)).sum(axis=2).reshape(len(x) - 1, r, -1)
    print("t        | row mean change (0-765 /10) ; then % of points >= BAND_LEVEL /10")
    for k in range(len(lv)):
        rate = " ".join(f"{min(99, int(v / 10)):2d}" for v in lv[k].mean(axis=1))
        frac = "".join(f"{min(9, int(v * 10))}" for v in (lv[k] >= BAND_LEVEL).mean(axis=1))
        print(f"{ts[max(0, a - 1) + k + 1]:.3f} | {rate} | {frac}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("record")
    p.add_argument("folder", type=Path)
    p.add_argument("--duration", default="3h")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", choices=("all", "none"), default="all")
    p.add_argument("--rate", action="append", default=[], metavar="KIND=PER_HOUR")
    p = sub.add_parser("replay")
    p.add_argument("folders", type=Path, nargs="+")
    p.add_argument("--misses", action="store_true")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE_S)
    p.add_argument("--window", type=float, default=None, metavar="S",
                   help="only the frames within S s of a truth glitch (recall only, quick)")
    p = sub.add_parser("rows")
    p.add_argument("folder", type=Path)
    p.add_argument("t", type=float)
    p.add_argument("--before", type=float, default=0.1)
    p.add_argument("--after", type=float, default=0.25)
    args = parser.parse_args()
    {"record": record, "replay": replay, "rows": rows}[args.cmd](args)


if __name__ == "__main__":
    main()
