"""A copy of the twin in a second process, rendering the camera's point samples as time goes.

The glitch watch looks at every camera frame through a grid of points
(:meth:`SimCamera.pixels <tapbot.sim.camera.SimCamera.pixels>`); on the twin, rendering them
is about a third of a soak's CPU, done while the runner waits. A rig has two cores.

:class:`TwinReplica` forks the process once: the child holds a copy of the whole twin (world,
phone, robot, camera) as it was at that instant. From then on the parent hands the child every
input of the twin (:mod:`tapbot.sim.mirror`: robot commands, phone actions) and every advance
of the clock, so the copy lives the same life. Between messages the child renders the samples of
every frame whose exposure has ended, so when the runner asks for a batch most are ready, and
it renders only the rest. A runner that asks ahead (:meth:`SimCamera.pixels_later
<tapbot.sim.camera.SimCamera.pixels_later>`) and collects at its next look does not wait at
all.

A monitor that looks at every frame through those points (the glitch watch: a
:class:`~tapbot.cameras.base.PixelSink`) can run in the copy too (:class:`TwinSinkLink`): the
copy feeds it the samples it rendered, with the monitor's other inputs as messages in the
order the runner gave them, and sends back only what it found. The runner then neither
receives nor looks at the samples of every frame, and a rig's two cores share the work.

Frames the parent renders itself at the copy's points, or whole (its views), go to the copy
with the next message (:meth:`TwinReplica.offer`): the copy takes them instead of rendering
them again. The parent tells the copy of an advance of the clock one step late, so that the
frames it renders just after an advance (the runner looks at the frames just past) reach the
copy before the copy gets to them.

The parent trusts nothing: it renders the last frame of every batch itself as it asks (a change
to the twin made outside its doors shows there, however early in the batch it was made), and
compares when it collects (the copy renders a batch's last frame itself even when the parent
had sent it). Any difference (the twin was changed outside its doors, as a test may do), a
child that died or fell silent, stops the copy; the parent renders everything itself from then
on and says so in the log. Frames, documents and incidents are the same with or without the
copy.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from tapbot.cameras.base import PixelSink, SinkLink
from tapbot.core.frames import PixelSample

if TYPE_CHECKING:
    from tapbot.sim.camera import SimCamera
    from tapbot.sim.world import SimWorld

logger = logging.getLogger(__name__)

#: Frames the child renders ahead between two looks at its messages.
PREFETCH_FRAMES = 12
#: A batch not answered within this (wall seconds) means the child is stuck.
ANSWER_TIMEOUT_S = 20.0

Points = tuple[np.ndarray, np.ndarray]


def available() -> bool:
    """Whether this platform can copy a process as it is (fork)."""
    return "fork" in multiprocessing.get_all_start_methods()


def can_copy(world: SimWorld) -> bool:
    """Whether ``world`` is worth copying now: the platform forks, this process may use two
    cores or more, and no other copy follows the world (two cameras on one world: the first
    one's copy serves only the first)."""
    return available() and len(os.sched_getaffinity(0)) >= 2 and \
        world.mirror.sink is None and getattr(world.clock, "listener", 0) is None


class TwinReplica:
    """The parent's side of the copy (see the module's doc); :meth:`pixels` returns ``None``
    once the copy is gone (the caller renders itself)."""

    def __init__(self, camera: SimCamera) -> None:
        self._camera = camera
        world = camera.world
        self._mirror = world.mirror
        self._clock = world.clock
        ctx = multiprocessing.get_context("fork")
        self._conn, child_end = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(camera, child_end, self._conn),
                                 name="tapbot-twin-copy", daemon=True)
        # OpenCV's worker threads do not survive a fork, and a child that finds its pool
        # half there hangs in it: fork with none. Both processes then stay on one OpenCV
        # thread while the copy lives (the copy takes the other core; frames this small gain
        # less from a second thread than the copy does); closing restores this process's.
        self._cv_threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            self._proc.start()
        except BaseException:
            cv2.setNumThreads(self._cv_threads)
            raise
        child_end.close()
        # the inputs go out through a thread of their own, in order: the runner never blocks
        # on a copy running behind (the socket's buffer holds a second or two of them)
        self._inputs: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
        self._unsent: str | None = None  # why the thread could not send (the copy is gone)
        self._sender = threading.Thread(target=self._send_inputs, daemon=True,
                                        name="tapbot-twin-copy-inputs")
        self._sender.start()
        self._points: Points | None = None
        self._points_from: Points | None = None  # the arrays _points was copied from
        # samples of the copy's points rendered here (frame, time, values), not sent yet
        self._offered: list[tuple[int, float, np.ndarray]] = []
        self._asked = 0  # batches asked for; the copy answers them in order
        self._fed = 0  # batches fed to a sink in the copy; answered in order too
        # answers received and not yet collected, by (kind, number): "px" batches (ts, ks,
        # values), "fed" findings
        self._answers: dict[tuple[str, int], Any] = {}
        #: The sinks the copy holds: those the camera had when it forked (their numbers).
        self.sinks_held = len(camera.sink_links)
        self._t_sent = self._t_seen = self._clock.now()
        self._step = PREFETCH_FRAMES / 2 / camera.fps
        # inputs not sent yet: they go with the next advance or request, in order (the copy
        # renders nothing past the last time it was told, so it cannot miss one)
        self._outbox: list[tuple] = []
        self.alive = True
        self._mirror.sink = self._command
        self._clock.listener = self._advanced
        logger.debug("twin copy started (pid %s)", self._proc.pid)

    @property
    def pid(self) -> int | None:
        """The copy's process id."""
        return self._proc.pid

    # -- inputs -----------------------------------------------------------------------------
    def _send(self, msg: tuple) -> None:
        """Send what waits in the outbox, then ``msg``, as one message."""
        if not self.alive:
            return
        if self._offered:  # (first: they are frames of the past)
            ks, ts, values = zip(*self._offered, strict=True)
            self._offered = []
            self._outbox.insert(0, ("have", ks, ts, np.stack(values)))
        self._outbox.append(msg)
        batch, self._outbox = self._outbox, []
        if self._unsent is not None:
            self.close(f"it could not be reached ({self._unsent})")
            return
        self._inputs.put(ForkingPickler.dumps(("batch", batch)))

    def _send_inputs(self) -> None:
        """Send the pickled inputs in order (ends at None, or when the copy is gone)."""
        while True:
            data = self._inputs.get()
            if data is None:
                return
            try:
                self._conn.send_bytes(data)
            except (OSError, ValueError) as exc:
                self._unsent = str(exc) or type(exc).__name__
                return

    def _command(self, actor: str, method: str, args: tuple, kwargs: dict) -> None:
        # a robot move or a phone action: the copy needs it before it renders past its time,
        # which it does only when told of a later time (an advance or a request)
        self._outbox.append(("cmd", self._clock.now(), actor, method, args, kwargs))

    def _advanced(self, t: float) -> None:
        # the child renders ahead in steps of PREFETCH_FRAMES: tell it no more often; and
        # of the time before this advance: this process looks at the frames up to it first
        # (what it renders goes to the copy, which need not render it again)
        before, self._t_seen = self._t_seen, t
        if before - self._t_sent >= self._step:
            self._t_sent = before
            self._send(("adv", before))

    # -- samples ----------------------------------------------------------------------------
    def request(self, since: float, until: float, points: Points, min_interval_s: float
                ) -> Callable[[], list[PixelSample] | None] | None:
        """Ask the copy for the samples of :meth:`SimCamera.pixels` and return how to collect
        them (in any order of requests; each once): checked against the last frame, rendered
        here now; None when there is no copy (any more), from either call (the caller
        renders itself)."""
        asked = self._ask(since, until, points, min_interval_s, keep=False)
        if not isinstance(asked, tuple):
            return None if asked is None else lambda: []
        ticket, checks = asked
        return lambda: self._collect(ticket, checks)

    def request_kept(self, since: float, until: float, points: Points, min_interval_s: float
                     ) -> tuple[int, dict[int, list[PixelSample]]] | list[PixelSample] | None:
        """Ask the copy to render the samples of :meth:`SimCamera.pixels` and keep them for a
        sink (:meth:`feed`): the ticket, and the last frame rendered here to check the copy's
        against; an empty batch as it is; None when there is no copy (any more)."""
        return self._ask(since, until, points, min_interval_s, keep=True)

    def _ask(self, since: float, until: float, points: Points, min_interval_s: float,
             keep: bool
             ) -> tuple[int, dict[int, list[PixelSample]]] | list[PixelSample] | None:
        """Send the request: its ticket and the check; ``[]`` when it holds no frame; None
        when there is no copy."""
        if not self.alive:
            return None
        cam = self._camera
        now = self._clock.now()
        if cam.interval_is_empty(since, until, now):
            return []
        ks = cam.frame_indices(since, until, min_interval_s)
        if not ks:
            return []
        send_points = None
        if self._points is None or not (np.array_equal(self._points[0], points[0])
                                        and np.array_equal(self._points[1], points[1])):
            send_points = self._points = (np.asarray(points[0]).copy(),
                                          np.asarray(points[1]).copy())
            self._offered = []
        self._points_from = points
        self._t_sent = now
        self._send(("pixels", now, since, until, send_points, min_interval_s, keep))
        ticket = self._asked
        self._asked += 1
        # the last frame, rendered here as the copy renders it: as of now (not offered: the
        # copy renders it, to be checked)
        k = ks[-1]
        offered = len(self._offered)
        checks = {k: cam.pixels_here(cam.frame_time(k - 1), cam.frame_time(k), points,
                                     min_interval_s)}
        del self._offered[offered:]
        return ticket, checks

    def _collect(self, ticket: int, checks: dict[int, list[PixelSample]]
                 ) -> list[PixelSample] | None:
        answer = self._answer(("px", ticket))
        if answer is None:
            return None
        ts, ks, values = answer
        got = [PixelSample(values[i], t, k) for i, (t, k) in enumerate(zip(ts, ks, strict=True))]
        if not _agrees(got, checks):
            self.close("its frames differ from this process's (the twin was changed outside "
                       "its robot, phone and clock)")
            return None
        return got

    # -- samples rendered here ---------------------------------------------------------------
    def holds(self, points: Points) -> bool:
        """Whether ``points`` are the points the copy renders (those last asked for)."""
        known = self._points_from
        if known is not None and points[0] is known[0] and points[1] is known[1]:
            return True
        return self._points is not None and np.array_equal(self._points[0], points[0]) \
            and np.array_equal(self._points[1], points[1])

    def offer(self, index: int, t: float, values: np.ndarray) -> None:
        """The samples at the copy's points of frame ``index`` (captured at ``t``, its
        exposure ended), rendered here: sent with the next message, so the copy need not
        render them itself (it has not yet, most of the time: it runs behind this process).
        """
        if self.alive and self._points is not None:
            self._offered.append((index, t, values))

    # -- sinks ------------------------------------------------------------------------------
    def sink_call(self, sink: int, method: str, args: tuple) -> None:
        """Call the method of a sink the copy holds, in order with the twin's inputs."""
        self._outbox.append(("sink", sink, method, args))

    def feed(self, sink: int, batch: int | list[PixelSample],
             checks: dict[int, list[PixelSample]] | None = None
             ) -> Callable[[], list[Any] | None]:
        """Feed a sink the copy holds a batch it kept (:meth:`request_kept`: its ticket and
        checks) or ``batch``'s samples; returns how to collect what the sink found (None when
        the copy is gone, or its frames differ from this process's: the caller feeds the sink
        itself)."""
        fed = self._fed
        self._fed += 1
        self._send(("feed", sink, batch, fed))

        def collect() -> list[Any] | None:
            if isinstance(batch, int):
                assert checks is not None
                if self._collect(batch, checks) is None:  # the last frame, checked
                    return None
            return self._answer(("fed", fed))

        return collect

    def _answer(self, key: tuple[str, int]) -> Any:
        """The answer ``key``, received (None: the copy stopped)."""
        while self.alive and key not in self._answers:
            self._receive()
        return self._answers.pop(key) if self.alive else None

    def _receive(self) -> None:
        try:
            if not self._conn.poll(ANSWER_TIMEOUT_S):
                self.close(f"it did not answer within {ANSWER_TIMEOUT_S:.0f} s")
                return
            kind, number, payload = self._conn.recv()
        except (OSError, EOFError) as exc:
            self.close(f"it is gone ({exc!r})")
            return
        if kind == "err":
            self.close(f"it failed: {payload}")
            return
        self._answers[kind, number] = payload

    def close(self, why: str | None = None) -> None:
        """Stop the copy (``why``: it went wrong; logged, and this process renders from now
        on)."""
        if not self.alive:
            return
        self.alive = False
        if self._mirror.sink == self._command:
            self._mirror.sink = None
        if self._clock.listener == self._advanced:
            self._clock.listener = None
        if why is not None:
            logger.warning("twin copy stopped: %s; rendering the frame samples here", why)
        self._inputs.put(ForkingPickler.dumps(("stop",)))
        self._inputs.put(None)
        self._proc.join(timeout=5.0)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=5.0)
        self._sender.join(timeout=5.0)  # (done: the copy read all, or is gone)
        self._conn.close()
        self._offered = []
        cv2.setNumThreads(self._cv_threads)


def _agrees(got: list[PixelSample], checks: dict[int, list[PixelSample]]) -> bool:
    """The copy's batch holds the frames ``checks`` rendered here, with the same values."""
    by_index = {got[-1].index: got[-1]} if got else {}
    for k, mine in checks.items():
        sample = by_index.get(k)
        if sample is None or len(mine) != 1 or mine[0].index != k or \
                not np.array_equal(mine[0].values, sample.values):
            return False
    return True


# -- the child ----------------------------------------------------------------------------------

def _serve(camera: SimCamera, conn: Connection, parent_end: Connection) -> None:
    """The child's loop: replay inputs, render ahead, answer batches."""
    parent_end.close()  # so that the parent going away ends the pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    logging.disable(logging.CRITICAL)  # the parent logs; a copy would log everything twice
    _Child(camera, conn).run()


class _Child:
    """The copy's side. Its answers go out through a thread of their own: the parent may be
    sending (inputs, advances of the clock) while an answer waits for it to read, and with
    both processes blocked writing into a full pipe neither would read again (a long batch's
    answer is megabytes; seed 2 hung so). The loop that reads the parent never blocks on a
    send."""

    def __init__(self, camera: SimCamera, conn: Connection) -> None:
        self.camera = camera
        self.conn = conn
        self.outbox: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        threading.Thread(target=self._send_answers, name="tapbot-twin-copy-answers",
                         daemon=True).start()
        self.clock = camera.world.clock
        self.mirror = camera.world.mirror
        self.points: Points | None = None
        self.interval = 0.0
        self.next_k: int | None = None  # the next frame to render ahead
        self.ready: dict[int, tuple[float, np.ndarray]] = {}
        self.offered: set[int] = set()  # frames in ready the parent rendered (_have)
        # frames rendered ahead are kept until asked for; no more than the camera keeps
        self.max_ready = round(camera.history_s * camera.fps) + PREFETCH_FRAMES
        self.sinks = [link.sink for link in camera.sink_links]
        self.asked = 0  # batches asked for, numbered as the parent numbers them
        self.kept: dict[int, tuple[list[float], list[int], np.ndarray]] = {}  # for a sink
        self.handlers: dict[str, Callable[..., Any]] = {
            "cmd": self._command, "adv": self.clock.advance_to, "pixels": self._pixels,
            "sink": self._sink_call, "feed": self._feed, "have": self._have}

    def run(self) -> None:
        while True:
            try:
                if not self.conn.poll(0) and self._render_ahead():
                    continue
                msg = self.conn.recv()
            except (EOFError, OSError):
                return
            if msg[0] == "stop":
                return
            for part in msg[1]:  # a batch: inputs and advances, in order
                self._handle(part)

    def _send_answers(self) -> None:
        """The answers, in order, as the parent reads them (ends with the pipe)."""
        while True:
            try:
                self.conn.send(self.outbox.get())
            except (OSError, ValueError):
                return

    def _handle(self, msg: tuple) -> None:
        try:
            self.handlers[msg[0]](*msg[1:])
        except Exception as exc:  # reported to the parent, which renders itself then
            if msg[0] != "cmd":
                self.outbox.put(("err", -1, f"{type(exc).__name__}: {exc}"))
            # a command fails here exactly as it failed in the parent: nothing to say

    def _sink_call(self, sink: int, method: str, args: tuple) -> None:
        getattr(self.sinks[sink], method)(*args)

    def _feed(self, sink: int, batch: int | list[PixelSample], fed: int) -> None:
        if isinstance(batch, int):
            ts, ks, values = self.kept.pop(batch)
            batch = [PixelSample(values[i], t, k) for i, (t, k) in enumerate(zip(ts, ks,
                                                                                 strict=True))]
        self.outbox.put(("fed", fed, self.sinks[sink].feed_pixels(batch)))

    def _command(self, t: float, actor: str, method: str, args: tuple, kwargs: dict) -> None:
        self.clock.advance_to(t)
        self.mirror.replay(actor, method, args, kwargs)

    def _render_ahead(self) -> bool:
        """Render up to PREFETCH_FRAMES frames whose exposure has ended; False if none is
        due."""
        if self.points is None or self.next_k is None:
            return False
        self._forget_oldest()
        cam = self.camera
        n = cam.thinning_stride(self.interval)
        half = cam.exposure_s / 2
        now = self.clock.now()
        last = math.floor((now - half - cam.phase_s) * cam.fps + 1e-9)  # exposure ended
        k1 = min(last, self.next_k + (PREFETCH_FRAMES - 1) * n)
        k1 -= k1 % n
        if k1 < self.next_k:
            return False
        self._render_missing(range(self.next_k, k1 + 1, n))
        self.next_k = k1 + n
        return True

    def _render_missing(self, ks: range) -> None:
        """Render the frames ``ks`` (a grid of the thinning stride) not ready yet, in runs."""
        cam = self.camera
        assert self.points is not None
        runs: list[list[int]] = []
        for k in ks:
            if k in self.ready:
                continue
            if runs and k == runs[-1][-1] + ks.step:
                runs[-1].append(k)
            else:
                runs.append([k])
        for run in runs:
            for s in cam.pixels_here(cam.frame_time(run[0] - 1), cam.frame_time(run[-1]),
                                     self.points, self.interval):
                self.ready[s.index] = (s.t, s.values)

    def _have(self, ks: tuple[int, ...], ts: tuple[float, ...], values: np.ndarray) -> None:
        """Frames the parent rendered at these points (their exposures ended): ready, where
        they are on the grid and not rendered here yet."""
        n = self.camera.thinning_stride(self.interval)
        floor = self.next_k if self.next_k is not None else 0
        for k, t, v in zip(ks, ts, values, strict=True):
            if k >= floor and k % n == 0 and k not in self.ready:
                self.ready[k] = (t, v)
                self.offered.add(k)

    def _pixels(self, now: float, since: float, until: float, points: Points | None,
                interval: float, keep: bool) -> None:
        number = self.asked
        self.asked += 1
        self.clock.advance_to(now)
        cam = self.camera
        if points is not None:
            self.points = points
            self.ready.clear()
        if cam.thinning_stride(interval) != cam.thinning_stride(self.interval):
            self.ready.clear()  # (another grid of frames: what is ready is not on it)
        self.offered &= self.ready.keys()
        self.interval = interval
        assert self.points is not None
        frames = cam.frame_indices(since, until, interval)
        ks = list(frames)
        if ks and ks[-1] in self.offered:  # the last frame is rendered here: the check
            self.offered.discard(ks[-1])
            del self.ready[ks[-1]]
        self._render_missing(frames)
        values = np.stack([self.ready[k][1] for k in ks]) if ks else \
            np.zeros((0, len(self.points[0]), 3), np.uint8)
        ts = [self.ready[k][0] for k in ks]
        if keep:  # for a sink, fed later: the parent gets the last frame, to check
            self.kept[number] = (ts, ks, values)
            self.outbox.put(("px", number, (ts[-1:], ks[-1:], values[-1:])))
        else:
            self.outbox.put(("px", number, (ts, ks, values)))
        after = ks[-1] + frames.step if ks else frames.start  # the next frame of the grid
        # a frame whose exposure had not ended is served as it was so far, and not kept
        ended = math.floor((now - cam.exposure_s / 2 - cam.phase_s) * cam.fps + 1e-9)
        for k in [k for k in ks if k > ended]:
            del self.ready[k]
            self.offered.discard(k)
        self.next_k = max(self.next_k or 0, min(after, ended + 1))
        self._forget_oldest()

    def _forget_oldest(self) -> None:
        """Keep at most ``max_ready`` frames: a batch served stays until it is old, since a
        later batch may ask for some of it again (the runner's own look back at a change)."""
        if len(self.ready) > self.max_ready:
            # down to an eighth below the bound: one sort of the ~2 400 kept per few seconds
            # of frames, not one per batch rendered ahead (a frame forgotten early and asked
            # for again is rendered again, the same)
            drop = len(self.ready) - self.max_ready + max(PREFETCH_FRAMES, self.max_ready // 8)
            for k in sorted(self.ready)[:drop]:
                del self.ready[k]
                self.offered.discard(k)


# -- a sink in the copy -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Kept:
    """A batch the copy renders and keeps for a sink: its ticket there, the last frame
    rendered here (to check the copy's against), and what was asked (to render it here if the
    copy goes)."""

    copy: TwinReplica
    ticket: int
    checks: dict[int, list[PixelSample]]
    asked: tuple[float, float, Points, float]


class TwinSinkLink(SinkLink):
    """A :class:`~tapbot.cameras.base.SinkLink` that runs the sink in the twin's copy once
    the copy holds it (the copy forked after the sink was given to the camera), and in this
    process before that, or when there is no copy.

    The sink in this process stops at the fork: the copy's goes on from the same state. If
    the copy goes away after it was told anything, the one here is behind: it is reset (a gap
    in what it saw, said in the log), and goes on here."""

    camera: SimCamera
    #: The copy's work is the same every simulated second, the runner's is not: a touch and
    #: its answer cost it much, a wait (a video watched, a call held) little, and a flow of
    #: waits may run for tens of seconds. The copy may fall this far behind and catch up
    #: without the runner waiting for it (with 3 s, the runner waited for it ~6 % of a soak's
    #: wall time). Capped by the camera's history (:data:`tapbot.sim.camera.HISTORY_S`), so a
    #: glitch's clip is still there when it is reported. (The same whether or not a copy
    #: holds the sink: the documents do not depend on it.)
    collect_after_s = 30.0

    def __init__(self, camera: SimCamera, sink: PixelSink, number: int) -> None:
        super().__init__(camera, sink)
        self.number = number  # the sink's number in the camera, and in the copy
        self._diverged = False  # a copy's sink has been told what this one was not
        self._in_use: TwinReplica | None = None  # the copy last found holding the sink

    def _copy(self) -> TwinReplica | None:
        """The copy holding the sink, if it is alive."""
        copy = self.camera.replica
        if copy is None or not copy.alive or self.number >= copy.sinks_held:
            return None
        if copy is not self._in_use:
            self._in_use = copy
            if self._diverged:  # it forked from this process's sink, which is behind
                logger.warning("the twin's copy that ran a frame monitor went away; the "
                               "monitor starts afresh in the new copy")
                copy.sink_call(self.number, "reset", ())
        return copy

    def _here(self) -> PixelSink:
        """The sink in this process, up to date."""
        if self._diverged:
            self._diverged = False
            logger.warning("the twin's copy went away with the frame monitor it ran; that "
                           "monitor starts afresh here")
            self.sink.reset()
        return self.sink

    def call(self, method: str, *args: Any) -> None:
        copy = self._copy()
        if copy is not None:
            self._diverged = True
            copy.sink_call(self.number, method, args)
        else:
            getattr(self._here(), method)(*args)

    def ask(self, since: float, until: float, points: Points, min_interval_s: float = 0.0
            ) -> Any:
        copy = self._copy()
        if copy is not None:
            got = copy.request_kept(since, until, points, min_interval_s)
            if isinstance(got, tuple):
                return _Kept(copy, got[0], got[1], (since, until, points, min_interval_s))
            if got is not None:
                return got  # (no frames)
        return self.camera.pixels_later(since, until, points, min_interval_s)

    def feed(self, ticket: Any) -> Callable[[], list[Any]]:
        copy = self._copy()
        if isinstance(ticket, _Kept):
            if copy is ticket.copy:
                self._diverged = True
                return self._fallback(copy.feed(self.number, ticket.ticket, ticket.checks),
                                      lambda: self.camera.pixels_here(*ticket.asked))
            samples = self.camera.pixels_here(*ticket.asked)  # (the copy went meanwhile)
        else:
            samples = ticket if isinstance(ticket, list) else ticket()
        if copy is not None:
            self._diverged = True
            return self._fallback(copy.feed(self.number, samples), lambda: samples)
        found = self._here().feed_pixels(samples)
        return lambda: found

    def _fallback(self, pending: Callable[[], list[Any] | None],
                  samples: Callable[[], list[PixelSample]]) -> Callable[[], list[Any]]:
        """Collect ``pending``; if the copy went away meanwhile, feed the sink here."""

        def collect() -> list[Any]:
            found = pending()
            if found is None:
                found = self._here().feed_pixels(samples())
            return found

        return collect
