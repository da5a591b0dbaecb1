"""A run's documents written by a process of their own, so the runner never waits on a disk or a
database.

Writing a document where it happens (a JSON line flushed, a row committed) cost the runner
~0.28 ms with the SQLite file in a soak, and costs a round trip per document with a database
across the network. On a real rig that is time the robot and the camera wait for; on the twin it
was ~6 % of the runner's work (handing a document over: ~0.05 ms, under 1 %).

:class:`DocumentWriter` is a dispatcher subscriber that sends each document, as JSON, down a
pipe to a writer process, which appends it to the JSON Lines file and commits it to
the database, in order. The documents are exactly those :class:`~tapbot.store.JsonlWriter` and
:class:`~tapbot.store.SqlStore` write: the line and the stored body are the JSON the runner
made. When the writer falls behind (a slow database), it writes what has piled up in one
transaction; a writer far behind fills the pipe, and the runner then waits for it, as it did
when it wrote itself.

What a crash loses:

* the runner's process killed or crashing: nothing it had handed over. The writer reads the
  pipe to its end, writes everything and exits;
* a document the database refuses (or the file): that document in that store, as with the
  in-process subscribers; the writer reports it and the runner logs it;
* the writer's process killed: what it had not written yet (at most the pipe's buffer, a few
  hundred documents). The runner says so in the log and writes every later document itself.

The writer opens the file and the database before the run starts: a bad path or
``TAPBOT_DATABASE_URL`` is a :class:`~tapbot.core.errors.StoreError` then, as before. Ctrl-C is
the runner's to handle; the writer ignores it and stops when the runner closes it (or is gone).
While it lives it holds a lock on the run's folder (``.writer.lock``, where the platform has
``flock``): resuming a run whose writer still drains what a killed runner left waits for it
(:func:`wait_for_writer`), so the resumed run starts from every document.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

try:  # (a lock on the run's folder while a writer lives: POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from pydantic import BaseModel

from tapbot.core.documents import parse_document
from tapbot.core.errors import StoreError, TapbotError
from tapbot.store.db import SqlStore
from tapbot.store.jsonl import JsonlWriter

logger = logging.getLogger(__name__)

#: Documents written in one transaction at most, when the writer has fallen behind.
BATCH = 200
#: After each write, the writer lets documents gather in the pipe this long (wall seconds) and
#: commits them together: ~20 % less of its CPU in a twin soak than a commit per document.
#: Once in the pipe, documents are safe from a kill of the runner.
PAUSE_S = 0.01
#: The runner looks for the writer's reports (documents a store refused) at every this many
#: documents (a look is a system call: ~20 us in a soak, a third of handing a document over).
REPORTS_EVERY = 64
_CLOSE = b""  # the runner's last message: write what is left, answer, exit
LOCK_NAME = ".writer.lock"


def wait_for_writer(run_dir: Path, timeout_s: float = 30.0) -> None:
    """Wait until no writer process holds ``run_dir``'s lock (one left by a killed runner
    finishing its documents); raises :class:`StoreError` after ``timeout_s``."""
    if fcntl is None or not (run_dir / LOCK_NAME).exists():
        return
    deadline = time.monotonic() + timeout_s
    with open(run_dir / LOCK_NAME, "a") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(f"{run_dir}: another process is still writing this run's "
                                     f"documents (after {timeout_s:g} s)",
                                     hint="wait for it to end (or stop it), then resume") \
                        from None
                time.sleep(0.05)


class DocumentWriter:
    """A subscriber handing each document to a writer process for ``docs_path`` (JSON Lines)
    and the database at ``url``; :meth:`close` waits until everything is written."""

    def __init__(self, docs_path: Path, url: str) -> None:
        self.docs_path = docs_path
        self.url = url
        self.failures = 0  # documents a store refused, as the writer reported them
        self._sent = 0
        self._closed = False
        self._local: tuple[JsonlWriter, SqlStore] | None = None  # after the writer is gone
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._conn, child_end = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(docs_path, url, child_end, self._conn),
                                 name="tapbot-documents", daemon=False)
        self._proc.start()
        child_end.close()
        try:
            ready = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._proc.join(timeout=5.0)
            raise StoreError(f"the document writer did not start (exit code "
                             f"{self._proc.exitcode})", hint="see the log above") from exc
        if ready[0] == "failed":
            self._proc.join(timeout=5.0)
            raise StoreError(ready[1], hint=ready[2])
        # a runner that exits without closing (an exception past it) still lets the writer
        # finish: multiprocessing joins the writer at exit, after this has ended its pipe
        atexit.register(self._conn.close)

    @property
    def pid(self) -> int | None:
        """The writer process's id."""
        return self._proc.pid

    def __enter__(self) -> DocumentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, doc: BaseModel) -> None:
        body = doc.model_dump_json()
        if self._local is None:
            try:
                self._conn.send_bytes(body.encode())
            except (OSError, ValueError) as exc:
                self._writer_gone(exc)  # (this one is written here)
            else:
                self._sent += 1
                try:
                    if self._sent % REPORTS_EVERY == 0 and self._conn.poll():
                        self._take_reports()
                except (OSError, EOFError) as exc:  # it died after this was sent
                    self._writer_gone(exc)
                return
        jsonl, store = self._local  # type: ignore[misc]
        jsonl.write_lines([body])
        store.write_batch([doc], [body])

    def _take_reports(self) -> None:
        """Take what the writer reported meanwhile."""
        while self._conn.poll():
            self._reported(*self._conn.recv())

    def _reported(self, kind: str, text: str) -> bool:
        """Log a report of the writer (a document a store refused); True for its goodbye."""
        if kind == "refused":
            self.failures += 1
            logger.error("the document writer: %s", text)
        return kind == "closed"

    def _writer_gone(self, exc: BaseException) -> None:
        """The writer process stopped: write here from now on (said once in the log)."""
        logger.error("the document writer stopped (%s, exit code %s): documents it had not "
                     "written are lost; writing them here from now on",
                     type(exc).__name__, self._proc.exitcode)
        self._conn.close()
        self._local = (JsonlWriter(self.docs_path), SqlStore(self.url))

    def close(self) -> None:
        """Wait until every document handed over is written, then stop the writer (once)."""
        if self._closed:
            return
        self._closed = True
        if self._local is not None:
            jsonl, store = self._local
            jsonl.close()
            store.close()
            atexit.unregister(self._conn.close)
            self._proc.join(timeout=5.0)
            return
        try:
            self._conn.send_bytes(_CLOSE)
            # reports, then the writer's goodbye (EOF if it died meanwhile)
            while not self._reported(*self._conn.recv()):
                pass
        except (OSError, EOFError) as exc:
            logger.error("the document writer stopped before the end (%s, exit code %s): "
                         "documents it had not written are lost", type(exc).__name__,
                         self._proc.exitcode)
        finally:
            self._conn.close()
            atexit.unregister(self._conn.close)
            self._proc.join()


def _serve(docs_path: Path, url: str, conn: Connection, parent_end: Connection) -> None:
    """The writer process: open both stores, then write what comes until the runner closes the
    pipe or says it is done."""
    parent_end.close()  # so that the runner going away ends the pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    try:
        jsonl = JsonlWriter(docs_path)
        store = SqlStore(url)
        _hold_lock(docs_path.parent)
    except TapbotError as exc:
        conn.send(("failed", exc.message, exc.hint))
        return
    except OSError as exc:
        conn.send(("failed", f"cannot write {docs_path}: {exc.strerror or exc}",
                   "check the --out folder"))
        return
    conn.send(("ready",))
    try:
        _write_until_closed(conn, jsonl, store)
    finally:
        jsonl.close()
        store.close()


def _hold_lock(run_dir: Path) -> None:
    """Lock ``run_dir`` for as long as this process lives (the system drops the lock when
    the process ends, however it ends)."""
    if fcntl is not None:
        fh = open(run_dir / LOCK_NAME, "a")  # noqa: SIM115 (held open until the process ends)
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise StoreError(f"{run_dir}: another process is writing this run's documents",
                             hint="wait for it to end (or stop it)") from None
        _held.append(fh)


_held: list = []  # the lock's file, kept open in the writer process


def _write_until_closed(conn: Connection, jsonl: JsonlWriter, store: SqlStore) -> None:
    while True:
        batch, end = _receive(conn)
        _write(conn, batch, jsonl, store)
        if end == "gone":
            return  # the runner is gone: everything it sent has been read and written
        if end == "closed":
            conn.send(("closed", ""))
            return
        time.sleep(PAUSE_S)


def _receive(conn: Connection) -> tuple[list[bytes], str | None]:
    """The next document (waiting for it) and those already waiting behind it, at most
    :data:`BATCH`; with ``"closed"`` when the runner said it is done, ``"gone"`` when the pipe
    ended (the runner exited or was killed)."""
    batch: list[bytes] = []
    try:
        while not batch or (len(batch) < BATCH and conn.poll()):
            data = conn.recv_bytes()
            if data == _CLOSE:
                return batch, "closed"
            batch.append(data)
    except (EOFError, OSError):
        return batch, "gone"
    return batch, None


def _write(conn: Connection, batch: list[bytes], jsonl: JsonlWriter, store: SqlStore) -> None:
    """Write a batch to both stores. A store's failure does not lose the other's documents;
    a batch the database refuses is written again one document at a time, so only the
    documents it refuses are lost there (as when each is committed where it happens)."""
    if not batch:
        return
    bodies = [b.decode() for b in batch]
    docs = [parse_document(b) for b in batch]
    try:
        jsonl.write_lines(bodies)
    except Exception as exc:
        _report(conn, f"the JSON Lines file refused {len(docs)} document(s) ({_why(exc)})")
    try:
        store.write_batch(docs, bodies)
        return
    except Exception as exc:
        if len(docs) == 1:
            _report(conn, f"the database refused document {_name(docs[0])} ({_why(exc)})")
            return
    for doc, body in zip(docs, bodies, strict=True):
        try:
            store.write_batch([doc], [body])
        except Exception as exc:
            _report(conn, f"the database refused document {_name(doc)} ({_why(exc)})")


def _name(doc: BaseModel) -> str:
    return f"{getattr(doc, 'seq', '?')} ({getattr(doc, 'kind', type(doc).__name__)})"


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _report(conn: Connection, text: str) -> None:
    with contextlib.suppress(OSError):  # (the runner is gone: nobody to tell)
        conn.send(("refused", text))
