"""A recorded video played back as a camera: re-analyse old runs, test monitors on real footage.

Each frame's time is its presentation time in the file (``CAP_PROP_POS_MSEC``) plus
``start_s`` on the rig clock (default: the clock's time at ``setup()``), so a replay on the
twin's virtual clock is deterministic and a replay on a real clock runs in real time. Frames
are decoded on demand, in order, and kept in a small ring; asking for frames before the ring
rewinds the file.
"""

from __future__ import annotations

import bisect
import logging
from pathlib import Path
from typing import Any

import cv2
from pydantic import BaseModel, ConfigDict, Field

from tapbot.cameras.base import Camera
from tapbot.core.clock import Clock
from tapbot.core.errors import ConfigError, HardwareError
from tapbot.core.frames import Frame

logger = logging.getLogger(__name__)

_EPS = 1e-9


class ReplayCameraOptions(BaseModel):
    """The ``camera:`` section for ``type: replay``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path = Field(description="a video file (relative to the rig file)")
    start_s: float | None = Field(None, description="rig time of the file's first frame "
                                                    "(default: the time of setup)")
    fps: float | None = Field(None, gt=0, description="override the file's frame rate")
    cache_frames: int = Field(240, ge=2)


class ReplayCamera(Camera):
    """Plays ``path`` as a camera on ``clock``."""

    def __init__(self, options: ReplayCameraOptions, clock: Clock) -> None:
        self.options = options
        self.clock = clock
        self._cap: Any = None
        self._cache: dict[int, Frame] = {}
        self._next = 0  # index of the next frame the decoder will return
        self._times: list[float] = []  # file time of each frame decoded so far
        self._ended_at: int | None = None  # number of frames, once the end was reached
        self.start_s = 0.0
        self.fps = options.fps or 30.0
        self.size_px = (0, 0)

    def setup(self) -> None:
        """Open the file (again: nothing changes, the timeline stays where it was)."""
        if self._cap is not None:
            return
        path = self.options.path
        if not path.is_file():
            raise ConfigError(f"replay video {path} does not exist",
                              hint="give the path of a recorded video (relative to the rig file)")
        self._cap = cv2.VideoCapture(str(path))
        if not self._cap.isOpened():
            raise HardwareError(f"cannot decode video {path}",
                                hint="use a format OpenCV reads (mp4/H.264, avi/MJPG)")
        file_fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = self.options.fps or (file_fps if file_fps and file_fps > 0 else 30.0)
        self.size_px = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                        int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.start_s = self.clock.now() if self.options.start_s is None else self.options.start_s
        self._rewind()
        if self._decode_next() is None:
            raise HardwareError(f"video {path} has no frames", hint="check the recording")

    def stop(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def _rewind(self) -> None:
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._next = 0

    def _decode_next(self) -> Frame | None:
        if self._cap is None:
            raise HardwareError("the replay camera is not set up", hint="call setup() first")
        if self._ended_at is not None and self._next >= self._ended_at:
            return None
        ok, image = self._cap.read()
        if not ok or image is None:
            self._ended_at = self._next
            return None
        k = self._next
        file_t = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if self.options.fps or (k > 0 and file_t <= 0):
            file_t = k / self.fps  # no usable timestamps (or overridden): the nominal grid
        if k == len(self._times):
            self._times.append(file_t)
        frame = Frame(image=image, t=self.start_s + self._times[k], index=k)
        self._cache[k] = frame
        if len(self._cache) > self.options.cache_frames:
            del self._cache[min(self._cache)]
        self._next += 1
        return frame

    def _frame(self, k: int) -> Frame | None:
        if k in self._cache:
            return self._cache[k]
        if k < self._next:
            self._rewind()
        while self._next <= k:
            if self._decode_next() is None:
                return None
        return self._cache.get(k)

    def _last_index_at_or_before(self, t: float) -> int:
        """The index of the last frame with rig time <= t (-1 if none)."""
        while self._ended_at is None and (
                not self._times or self.start_s + self._times[-1] <= t + _EPS):
            if self._frame(len(self._times)) is None:
                break
        return bisect.bisect_right(self._times, t - self.start_s + _EPS) - 1

    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        """Frames of the file whose rig time lies in ``(since, until]``."""
        now = self.clock.now()
        if self.interval_is_empty(since, until, now):
            return []
        first = self._last_index_at_or_before(since) + 1
        last = self._last_index_at_or_before(until)
        n = self.thinning_stride(min_interval_s) if min_interval_s > 0 else 1
        start = -(-first // n) * n
        out = []
        for k in range(start, last + 1, n):
            frame = self._frame(k)
            if frame is None:
                break
            out.append(frame)
        return out

    def latest(self) -> Frame:
        """The last frame shown at the current time (the final frame after the file ends)."""
        k = self._last_index_at_or_before(self.clock.now())
        frame = self._frame(max(0, k))
        if frame is None:
            raise HardwareError("the replay video has no frames")
        return frame
