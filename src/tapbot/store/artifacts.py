"""The artifact folder of a run: frames, clips and screen views saved as evidence.

Encoding a camera frame as PNG takes ~10-20 ms; an incident saves two dozen (its clip), and a
runner that waited for them would stop watching the phone for a third of a second or more.
Images are therefore encoded and written by one background thread (OpenCV releases the GIL
while it encodes), in the order they were saved; :meth:`Artifacts.flush` waits for them, and
the runner flushes at the end of every run. Only a few images are ever in flight: saving more
waits for the oldest.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from tapbot.core.errors import StoreError

logger = logging.getLogger(__name__)

#: Images being written at most; one more waits for the oldest (bounds the memory they hold).
MAX_PENDING = 32


class Artifacts:
    """Writes evidence images under ``root`` and returns paths relative to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[None]] = deque()
        self._lock = threading.Lock()
        self.failed: list[str] = []  # what could not be written (logged as it happened)

    def save_image(self, name: str, image: np.ndarray, folder: str = "frames") -> str:
        """Save ``image`` as ``folder/name.png`` (written in the background: the caller must
        not change ``image`` afterwards); returns the path relative to the run.

        Raises :class:`StoreError` when the folder cannot be made; a write that fails later
        is logged and listed in :attr:`failed`."""
        rel = Path(folder) / f"{name}.png"
        path = self.root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path.parent}: cannot make the folder ({exc.strerror}); "
                             f"check the run folder's disk and permissions") from exc
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="tapbot-artifacts")
        while len(self._pending) >= MAX_PENDING:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._write, path, image))
        return str(rel)

    def _write(self, path: Path, image: np.ndarray) -> None:
        try:
            ok = cv2.imwrite(str(path), image)
        except cv2.error:
            ok = False
        if not ok:
            logger.error("%s: could not write the image (disk full or not writable?)", path)
            with self._lock:
                self.failed.append(str(path))

    def flush(self) -> None:
        """Wait until every image saved so far is on disk (or has failed: :attr:`failed`)."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """:meth:`flush`, then stop the writer thread (a later save starts another)."""
        self.flush()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
