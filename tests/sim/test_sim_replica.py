"""The twin's copy in a second process renders the camera's point samples exactly as the twin
does, follows it through robot commands, phone actions and the clock, and gives way (the
parent renders) when it cannot."""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from tapbot.core.documents import Dispatcher, Incident, StepDoc
from tapbot.flows.library import demo_mix
from tapbot.rig import build_rig
from tapbot.runner import Runner
from tapbot.sim import FaultOptions, replica
from tapbot.sim import camera as sim_camera
from tapbot.store import Artifacts, JsonlWriter, read_documents

pytestmark = pytest.mark.skipif(not replica.available(), reason="needs fork")

W, H = 1080, 2400


@pytest.fixture
def copy_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The camera copies the twin at its first pixels() call."""
    monkeypatch.setattr(sim_camera, "REPLICA_AFTER_CALLS", 1)


def _grid(camera) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    w, h = camera.size_px
    return rng.integers(0, h, 2000), rng.integers(0, w, 2000)


def _drive(rig, steps: int) -> None:
    """Robot taps around the screen, an app opened through the phone, the clock moving."""
    to_robot = rig.world.true_screen_to_robot()
    rng = np.random.default_rng(7)
    for i in range(steps):
        x, y = to_robot.apply_point(float(rng.uniform(100, W - 100)),
                                    float(rng.uniform(300, H - 300)))
        rig.robot.move_to(x, y, 250.0)
        rig.robot.finger_down(0, 0.0)
        rig.clock.sleep(0.05)
        rig.robot.finger_up(0, 5.0)
        if i % 3 == 1:
            rig.phone.open_app("Video", rig.clock.now())
        rig.clock.sleep(float(rng.uniform(0.05, 0.6)))


def test_the_copy_renders_what_the_twin_renders(make_rig, copy_at_once) -> None:
    rig = make_rig(noise_sigma=2.0, faults=FaultOptions(per_hour={"glitch": 600.0}))
    points = _grid(rig.camera)
    rig.clock.sleep(0.5)
    t = rig.clock.now()
    served = 0
    for _ in range(6):
        _drive(rig, 3)
        got = rig.camera.pixels(t, rig.clock.now(), points)
        here = rig.camera.pixels_here(t, rig.clock.now(), points)
        assert rig.camera._replica is not None and rig.camera._replica.alive
        assert [(s.t, s.index) for s in got] == [(s.t, s.index) for s in here]
        for a, b in zip(got, here, strict=True):
            np.testing.assert_array_equal(a.values, b.values)
        served += len(got)
        t = rig.clock.now()
    assert served > 300
    rig.camera.stop()
    assert rig.camera._replica is None


def test_samples_asked_ahead_are_those_of_the_frames_as_they_were_when_asked(
        make_rig, copy_at_once) -> None:
    """A batch asked for and collected after the twin moved on (and after a later batch) holds
    the frames as they were when it was asked for (the last one was still being exposed)."""
    rig = make_rig(noise_sigma=2.0, faults=FaultOptions(per_hour={"glitch": 600.0}))
    cam = rig.camera
    points = _grid(cam)
    rig.clock.sleep(0.5)
    asked = []
    t = 0.0
    for i in range(4):
        _drive(rig, 2)
        # the clock in the middle of the last frame's exposure
        k = int((rig.clock.now() - cam.phase_s) * cam.fps) + 1
        rig.clock.advance_to(cam.frame_time(k))
        expected = cam.pixels_here(t, rig.clock.now(), points)
        assert expected[-1].index == k  # exposed only up to now
        asked.append((cam.pixels_later(t, rig.clock.now(), points), expected))
        t = rig.clock.now()
        if i == 1:
            asked.reverse()  # collected out of order
    _drive(rig, 2)
    assert cam._replica is not None
    for collect, expected in asked:
        got = collect()
        assert [(s.t, s.index) for s in got] == [(s.t, s.index) for s in expected]
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a.values, b.values)
    assert cam._replica is not None and cam._replica.alive


def test_a_twin_changed_behind_the_copy_is_rendered_here(make_rig, copy_at_once, caplog) -> None:
    rig = make_rig(noise_sigma=2.0)
    points = _grid(rig.camera)
    rig.clock.sleep(0.5)
    rig.camera.pixels(0.0, rig.clock.now(), points)
    copy = rig.camera._replica
    assert copy is not None
    # a touch straight to the phone, not through the robot: the copy never sees it
    t = rig.clock.now()
    rig.phone.touch_down(t, 0.375 * W, 0.20 * H)  # the Video icon
    rig.clock.sleep(0.05)
    rig.phone.touch_up(rig.clock.now(), 0.375 * W, 0.20 * H)
    rig.clock.sleep(1.0)
    with caplog.at_level(logging.WARNING, logger="tapbot.sim.replica"):
        got = rig.camera.pixels(t, rig.clock.now(), points)
    assert not copy.alive and rig.camera._replica is None
    assert "differ" in caplog.text
    here = rig.camera.pixels_here(t, rig.clock.now(), points)
    for a, b in zip(got, here, strict=True):
        np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(got[0].values, got[-1].values)  # the video opened


def test_a_copy_that_died_is_replaced_by_rendering_here(make_rig, copy_at_once, caplog) -> None:
    rig = make_rig()
    points = _grid(rig.camera)
    rig.clock.sleep(0.5)
    rig.camera.pixels(0.0, rig.clock.now(), points)
    copy = rig.camera._replica
    copy._proc.kill()
    copy._proc.join()
    _drive(rig, 2)
    t0 = rig.clock.now() - 1.0
    with caplog.at_level(logging.WARNING, logger="tapbot.sim.replica"):
        got = rig.camera.pixels(t0, rig.clock.now(), points)
    assert not copy.alive and "twin copy stopped" in caplog.text
    here = rig.camera.pixels_here(t0, rig.clock.now(), points)
    assert len(got) == len(here) > 0
    for a, b in zip(got, here, strict=True):
        np.testing.assert_array_equal(a.values, b.values)


def _soak(out: Path, worker: bool) -> list[dict]:
    rig = build_rig(None, seed=3, overrides={
        "device": {"faults": {"per_hour": {"glitch": 40.0, "crash": 20.0, "freeze": 20.0}}},
        "camera": {"worker": worker}})
    dispatcher = Dispatcher()
    writer = JsonlWriter(out / "documents.jsonl")
    dispatcher.subscribe(writer)
    Runner(rig, dispatcher, run_id="same", artifacts=Artifacts(out)).run_soak(
        demo_mix(), duration_s=240.0, seed=3)
    writer.close()
    docs = []
    for doc in read_documents(out / "documents.jsonl"):
        d = doc.model_dump()
        d.pop("wall", None)
        docs.append(d)
    return docs


def test_a_soak_gives_the_same_documents_with_and_without_the_copy(copy_at_once,
                                                                   monkeypatch) -> None:
    used = []
    real = replica.TwinReplica._collect

    def counting(self, *args):
        got = real(self, *args)
        used.append(got is not None)
        return got

    monkeypatch.setattr(replica.TwinReplica, "_collect", counting)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        with_copy = _soak(Path(a), worker=True)
        assert len(used) > 100 and all(used)
        without = _soak(Path(b), worker=False)
    assert len(with_copy) > 200
    assert with_copy == without


class _Sent:
    """A stand-in for the child's end of the pipe: keeps what it is sent."""

    def __init__(self) -> None:
        self.sent: list[tuple] = []

    def send(self, msg: tuple) -> None:
        self.sent.append(msg)


def test_the_copy_serves_frames_it_rendered_ahead_to_a_request_on_the_same_grid_of_frames(
        make_rig, monkeypatch: pytest.MonkeyPatch) -> None:
    # every frame (1/60 s apart at 60 fps) and no thinning (0 s) are one grid of frames: a
    # request of either kind is served from what the copy rendered ahead for the other
    rig = make_rig()
    camera = rig.camera
    points = _grid(camera)
    conn = _Sent()
    child = replica._Child(camera, conn)  # (in this process: only its bookkeeping is tested)
    rig.clock.sleep(0.1)
    child._pixels(rig.clock.now(), 0.0, rig.clock.now(), points, 1 / 60, False)
    _drive(rig, 2)
    while child._render_ahead():
        pass
    ahead = dict(child.ready)
    assert len(ahead) > 20
    rendered: list[tuple[float, float]] = []
    here = camera.pixels_here

    def counting(since, until, pts, min_interval_s=0.0):
        rendered.append((since, until))
        return here(since, until, pts, min_interval_s)

    monkeypatch.setattr(camera, "pixels_here", counting)
    ks = sorted(ahead)[-10:]
    child._pixels(rig.clock.now(), camera.frame_time(ks[0] - 1), camera.frame_time(ks[-1]),
                  None, 0.0, False)
    assert rendered == []
    for _ in range(500):  # the child's answers go out through a thread of their own
        if len(conn.sent) == 2:
            break
        threading.Event().wait(0.01)
    _, _, (_, served, values) = conn.sent[-1]
    assert served == ks
    for i, k in enumerate(ks):
        np.testing.assert_array_equal(values[i], ahead[k][1])


def test_frames_the_parent_rendered_are_not_rendered_again_by_the_copy(
        make_rig, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(noise_sigma=2.0)
    camera = rig.camera
    points = _grid(camera)
    child = replica._Child(camera, _Sent())  # (in this process: only its bookkeeping)
    rig.clock.sleep(0.1)
    child._pixels(rig.clock.now(), 0.0, rig.clock.now(), points, 0.0, False)
    start = child.next_k
    _drive(rig, 2)
    # the parent's offer: frames it rendered, of which the copy has rendered none yet, but
    # for one it has served (older than what it renders next: left alone)
    offered = [*range(start + 3, start + 9), start - 2]
    sent = camera.pixels_here(camera.frame_time(start - 3), camera.frame_time(start + 8),
                              points)
    by_index = {s.index: s for s in sent}
    marked = {k: (by_index[k].values ^ np.uint8(1)) for k in offered}  # not the real ones
    child._have(tuple(offered), tuple(by_index[k].t for k in offered),
                np.stack([marked[k] for k in offered]))
    rendered: list[int] = []
    here = camera.pixels_here

    def counting(since, until, pts, min_interval_s=0.0):
        got = here(since, until, pts, min_interval_s)
        rendered.extend(s.index for s in got)
        return got

    monkeypatch.setattr(camera, "pixels_here", counting)
    while child._render_ahead():
        pass
    assert rendered and not set(rendered) & set(offered[:-1])  # every other frame, in runs
    assert set(range(start, max(rendered) + 1)) == set(rendered) | set(offered[:-1])
    for k in offered[:-1]:
        np.testing.assert_array_equal(child.ready[k][1], marked[k])  # served as offered
    assert start - 2 not in child.ready or \
        not np.array_equal(child.ready[start - 2][1], marked[start - 2])
    # a batch's last frame is the copy's own render (the parent checks it against its own)
    monkeypatch.setattr(camera, "pixels_here", here)
    last = offered[-2]
    child._pixels(rig.clock.now(), camera.frame_time(start), camera.frame_time(last), None,
                  0.0, False)
    for _ in range(500):  # (the answers go out through a thread of their own)
        if len(child.conn.sent) == 2:
            break
        threading.Event().wait(0.01)
    _, _, (_, served, values) = child.conn.sent[-1]
    assert served == list(range(start + 1, last + 1))
    np.testing.assert_array_equal(values[-1], by_index[last].values)
    np.testing.assert_array_equal(values[-2], marked[last - 1])


def test_the_parent_offers_the_copy_the_ended_frames_it_renders(make_rig,
                                                               copy_at_once) -> None:
    rig = make_rig(noise_sigma=2.0)
    cam = rig.camera
    points = _grid(cam)
    _drive(rig, 2)
    cam.pixels(0.0, rig.clock.now(), points)
    copy = cam._replica
    assert copy is not None and copy.alive
    copy._send(("adv", rig.clock.now()))  # (sends what waits)
    assert copy._offered == []
    _drive(rig, 1)
    # the clock in the middle of the last frame's exposure: that frame is not offered
    k = int((rig.clock.now() - cam.phase_s) * cam.fps) + 1
    rig.clock.advance_to(cam.frame_time(k))
    # a frame rendered for a view (its luma plane only) is not offered: the copy renders it
    whole = cam.render(k - 5)
    samples = cam.pixels_here(cam.frame_time(k - 3), rig.clock.now(), points)
    assert [s.index for s in samples] == [k - 2, k - 1, k]
    assert [i for i, _, _ in copy._offered] == [k - 2, k - 1]
    for (_, t, values), s in zip(copy._offered, samples, strict=False):
        assert t == s.t
        np.testing.assert_array_equal(values, s.values)
    # the same frames from the copy, which took the offered ones
    got = cam.pixels_later(cam.frame_time(k - 6), cam.frame_time(k - 1), points)()
    assert copy._offered == []
    assert [s.index for s in got] == [k - 5, k - 4, k - 3, k - 2, k - 1]
    np.testing.assert_array_equal(got[0].values, whole.image[points])
    assert copy.alive
    # other points than the copy's: nothing to offer
    cam.pixels_here(cam.frame_time(k - 3), rig.clock.now(),
                    tuple(a[::-1].copy() for a in _grid(cam)))
    assert copy._offered == []


def test_a_large_answer_left_unread_while_the_parent_keeps_asking_does_not_hang(
        make_rig, copy_at_once) -> None:
    """Seed 2 hung: the copy blocked sending a long batch's answer (megabytes) that the
    runner had not collected yet, while the runner blocked sending it more requests (each
    with its points) into a pipe the copy no longer read. The copy's loop must keep reading
    while an answer waits."""
    rig = make_rig(noise_sigma=2.0)
    cam = rig.camera
    grids = [_grid(cam), tuple(a[::-1].copy() for a in _grid(cam))]  # two sets of points
    rig.clock.sleep(8.0)
    asked = [(cam.pixels_later(0.0, rig.clock.now(), grids[0]), rig.clock.now())]
    done = threading.Event()

    def keep_asking() -> None:
        t = rig.clock.now()
        for i in range(60):  # each request carries its points (~32 KB): the pipe fills
            rig.clock.sleep(0.05)
            asked.append((cam.pixels_later(t, rig.clock.now(), grids[(i + 1) % 2]),
                          rig.clock.now()))
            t = rig.clock.now()
        done.set()

    worker = threading.Thread(target=keep_asking, daemon=True)
    worker.start()
    assert done.wait(120.0), "the runner's side blocked: the copy stopped reading"
    assert cam._replica is not None and cam._replica.alive
    first = asked[0][0]()
    assert len(first) == int(8.0 * cam.fps)  # every frame of the long batch
    assert all(collect() for collect, _ in asked[1:])
    assert cam._replica is not None and cam._replica.alive


class _Tally:
    """A pixel sink: what it was told since the last batch, and each frame's index and sum."""

    def __init__(self) -> None:
        self.told: list[object] = []
        self.fed = 0

    def note(self, what: object) -> None:
        self.told.append(what)

    def reset(self) -> None:
        self.told.append("reset")

    def feed_pixels(self, samples) -> list[tuple]:
        self.fed += len(samples)
        found = [(s.index, int(s.values.astype(np.int64).sum()), tuple(self.told))
                 for s in samples]
        self.told = []
        return found


def _feed_in_turn(rig, link, points, rounds: int) -> list[tuple[float, float, list]]:
    """Ask, tell, feed and collect as the runner does (fed a round late, collected a round
    after that); the intervals asked for and what was found in each."""
    asked: list[tuple] = []
    found = []
    pending = None
    t = rig.clock.now()
    for i in range(rounds):
        _drive(rig, 2)
        ticket = link.ask(t, rig.clock.now(), points)
        asked.append((t, rig.clock.now()))
        t = rig.clock.now()
        link.call("note", i)
        if pending is not None:
            found.append(pending())
        pending = link.feed(ticket)
    found.append(pending())
    return [(a, b, f) for (a, b), f in zip(asked, found, strict=True)]


def test_a_sink_runs_in_the_copy_and_finds_what_it_would_find_here(make_rig,
                                                                    copy_at_once) -> None:
    rig = make_rig(noise_sigma=2.0)
    points = _grid(rig.camera)
    rig.clock.sleep(0.5)
    sink = _Tally()
    link = rig.camera.pixel_sink(sink)
    assert rig.camera.pixel_sink(sink) is link  # one link per sink
    got = _feed_in_turn(rig, link, points, 6)
    copy = rig.camera.replica
    assert copy is not None and copy.alive and sink.fed == 0  # the copy's sink was fed
    here = _Tally()
    for i, (t0, t1, found) in enumerate(got):
        here.note(i)  # told before its batch was fed
        assert found == here.feed_pixels(rig.camera.pixels_here(t0, t1, points))
    assert sum(len(f) for _, _, f in got) > 100


def test_a_sink_whose_copy_died_starts_afresh_here(make_rig, copy_at_once, caplog) -> None:
    rig = make_rig()
    points = _grid(rig.camera)
    rig.clock.sleep(0.5)
    sink = _Tally()
    link = rig.camera.pixel_sink(sink)
    _feed_in_turn(rig, link, points, 2)
    copy = rig.camera.replica
    assert copy is not None and sink.fed == 0
    copy._proc.kill()
    copy._proc.join()
    with caplog.at_level(logging.WARNING, logger="tapbot.sim.replica"):
        got = _feed_in_turn(rig, link, points, 3)
    assert not copy.alive and "starts afresh here" in caplog.text
    assert sink.fed > 0
    # the sink here was behind (the copy's had been told and fed since the fork): reset once
    assert got[0][2][0][2][0] == "reset"
    for t0, t1, found in got:
        assert [f[:2] for f in found] == [(s.index, int(s.values.astype(np.int64).sum()))
                                          for s in rig.camera.pixels_here(t0, t1, points)]


def test_a_soak_whose_copy_dies_goes_on_watching_for_glitches_here(copy_at_once,
                                                                   caplog) -> None:
    """The copy, running the glitch watch, is killed mid-soak: the run ends as it should, says
    so once, and the watch (afresh in the runner) still reports the glitches injected after."""
    rig = build_rig(None, seed=3, overrides={"device": {"faults": {"per_hour": {"glitch": 90.0}}}})
    docs: list = []
    killed: list[float] = []

    def kill_at_40s(doc) -> None:
        docs.append(doc)
        copy = rig.camera.replica
        if not killed and isinstance(doc, StepDoc) and doc.t > 40.0 and copy is not None:
            killed.append(doc.t)
            copy._proc.kill()
            copy._proc.join()

    dispatcher = Dispatcher()
    dispatcher.subscribe(kill_at_40s)
    with tempfile.TemporaryDirectory() as tmp, \
            caplog.at_level(logging.WARNING, logger="tapbot.sim.replica"):
        stop = Runner(rig, dispatcher, run_id="killed", artifacts=Artifacts(Path(tmp))) \
            .run_soak(demo_mix(), duration_s=150.0, seed=3)
    assert killed and stop.reason == "completed"
    assert "twin copy stopped" in caplog.text
    assert "starts afresh here" in caplog.text
    truth = [f for f in rig.truth.faults if f.kind == "glitch" and f.t_start > killed[0] + 2.0]
    seen = [d for d in docs if isinstance(d, Incident) and d.incident == "glitch"
            and d.t_onset > killed[0] + 2.0]
    assert truth and seen, (len(truth), len(seen))
    assert all(any(f.t_start - 2.0 <= d.t_onset <= f.t_end + 2.0 for f in truth) for d in seen)
