"""A ring buffer of timestamped frames, shared by the real cameras.

A capture thread ``push``-es each image with its capture time on the rig clock; readers take
``frames(since, until, stride)`` and ``latest()`` from any thread. Frame indices follow the
camera's nominal frame grid: when the time since the previous frame shows that frames were
skipped (a gap over 1.5 frame periods), the index jumps by as many and the skipped frames are
counted in ``dropped``, so index-grid thinning (cameras/base.py) stays fixed to time.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from tapbot.core.frames import Frame


class FrameRing:
    """Thread-safe, bounded: keeps the newest ``capacity`` frames."""

    def __init__(self, capacity: int, fps: float) -> None:
        if capacity < 1 or fps <= 0:
            raise ValueError("capacity and fps must be positive")
        self.capacity = capacity
        self.fps = fps
        self._frames: deque[Frame] = deque(maxlen=capacity)
        self._cond = threading.Condition()
        self._next_index = 0
        self.dropped = 0  # frames the camera never delivered (gaps in the stream)
        self.evicted = 0  # frames pushed out of the ring by newer ones
        self.received = 0

    def push(self, image: np.ndarray, t: float) -> Frame:
        """Store one captured image taken at ``t``; returns the frame with its index."""
        with self._cond:
            if self._frames:
                last = self._frames[-1]
                if t <= last.t:
                    t = last.t + 1e-6  # a clock tick too coarse: keep times increasing
                gap = round((t - last.t) * self.fps)
                if (t - last.t) * self.fps > 1.5 and gap > 1:
                    self.dropped += gap - 1
                    self._next_index += gap - 1
            frame = Frame(image=image, t=t, index=self._next_index)
            self._next_index += 1
            if len(self._frames) == self.capacity:
                self.evicted += 1
            self._frames.append(frame)
            self.received += 1
            self._cond.notify_all()
            return frame

    def frames(self, since: float, until: float, stride: int = 1) -> list[Frame]:
        """Frames with ``since < t <= until`` and ``index % stride == 0``, oldest first."""
        with self._cond:
            return [f for f in self._frames
                    if since < f.t <= until and f.index % max(1, stride) == 0]

    def latest(self) -> Frame | None:
        with self._cond:
            return self._frames[-1] if self._frames else None

    @property
    def newest_t(self) -> float | None:
        with self._cond:
            return self._frames[-1].t if self._frames else None

    @property
    def oldest_t(self) -> float | None:
        with self._cond:
            return self._frames[0].t if self._frames else None

    def __len__(self) -> int:
        with self._cond:
            return len(self._frames)
