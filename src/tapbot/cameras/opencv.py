"""A USB camera through OpenCV (``cv2.VideoCapture``; V4L2 on Linux).

A capture thread grabs frames as the camera delivers them, stamps each on the rig clock the
moment ``grab()`` returns (minus a configured transport latency) and fills a
:class:`FrameRing`. Exposure, gain and white balance are fixed when the camera allows it
(a soak must not see the picture drift with auto-exposure); settings the driver refuses are
logged and listed in ``unsupported``. When the camera stops delivering, the thread keeps
trying to reopen it; readers get :class:`ConnectionLost` until frames flow again, and the
frames already in the ring stay readable.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from collections.abc import Callable
from typing import Any, Literal, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tapbot.cameras.base import Camera
from tapbot.cameras.ring import FrameRing
from tapbot.core.clock import Clock
from tapbot.core.errors import ConnectionLost, HardwareError
from tapbot.core.frames import Frame

logger = logging.getLogger(__name__)



class OpenCvCameraOptions(BaseModel):
    """The ``camera:`` section for ``type: opencv``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: int | str = Field(0, description="index (0 = /dev/video0) or a device path")
    api: Literal["auto", "v4l2", "any"] = "auto"
    size_px: tuple[int, int] = (1280, 720)
    fps: float = Field(60.0, gt=0, le=1000)
    fourcc: str | None = Field("MJPG", description="pixel format, e.g. MJPG or YUYV")
    exposure: float | None = Field(None, description="fixed exposure (driver units); "
                                                     "None keeps auto exposure")
    gain: float | None = None
    white_balance_k: float | None = Field(None, description="fixed white balance in kelvin")
    latency_s: float = Field(0.0, ge=0, description="capture-to-grab delay to subtract")
    buffer_s: float = Field(4.0, gt=0, description="seconds of frames kept in memory")
    max_buffer_mb: float = Field(1024.0, gt=0, description="cap on the ring's memory (a 720p "
                                                           "BGR frame is 2.8 MB)")
    first_frame_timeout_s: float = Field(5.0, gt=0)
    no_frame_timeout_s: float = Field(2.0, gt=0, description="silence before the camera "
                                                             "counts as lost")
    reopen_interval_s: float = Field(1.0, gt=0)


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` the camera uses (test doubles implement the same)."""

    def isOpened(self) -> bool: ...  # OpenCV's own name

    def grab(self) -> bool: ...

    def retrieve(self) -> tuple[bool, np.ndarray | None]: ...

    def set(self, prop: int, value: float) -> bool: ...

    def get(self, prop: int) -> float: ...

    def release(self) -> None: ...


CaptureOpener = Callable[[OpenCvCameraOptions], Capture]


def open_video_capture(options: OpenCvCameraOptions) -> Capture:
    """``cv2.VideoCapture`` on the configured device with the configured API."""
    api = options.api
    if api == "auto":
        api = "v4l2" if sys.platform.startswith("linux") else "any"
    pref = cv2.CAP_V4L2 if api == "v4l2" else cv2.CAP_ANY
    cap: Any = cv2.VideoCapture(options.device, pref)
    return cap


class OpenCvCamera(Camera):
    """A camera behind ``cv2.VideoCapture``, captured by a thread into a ring buffer."""

    def __init__(self, options: OpenCvCameraOptions, clock: Clock,
                 opener: CaptureOpener = open_video_capture) -> None:
        self.options = options
        self.clock = clock
        self.fps = options.fps
        self.size_px = options.size_px
        self._opener = opener
        self._cap: Capture | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        frame_mb = options.size_px[0] * options.size_px[1] * 3 / 1e6
        capacity = min(math.ceil(options.buffer_s * options.fps),
                       math.floor(options.max_buffer_mb / frame_mb))
        self.ring = FrameRing(max(2, capacity), options.fps)
        self.history_s = max(2, capacity) / options.fps
        self.unsupported: list[str] = []
        self.reconnects = 0
        self._last_frame_clock: float | None = None
        self._lost = False

    # -- lifecycle -------------------------------------------------------------------------
    def _open(self) -> Capture:
        cap = self._opener(self.options)
        if not cap.isOpened():
            cap.release()
            raise HardwareError(
                f"cannot open camera {self.options.device!r}",
                hint="run 'tapbot doctor' to list cameras; check that no other program uses it")
        self._configure(cap)
        return cap

    def _configure(self, cap: Capture) -> None:
        o = self.options
        wanted: list[tuple[str, int, float]] = []
        if o.fourcc:
            wanted.append(("fourcc", cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*o.fourcc)))
        wanted += [("width", cv2.CAP_PROP_FRAME_WIDTH, o.size_px[0]),
                   ("height", cv2.CAP_PROP_FRAME_HEIGHT, o.size_px[1]),
                   ("fps", cv2.CAP_PROP_FPS, o.fps)]
        if o.exposure is not None:
            # V4L2 through OpenCV: 1 = manual exposure, 3 = aperture priority (auto)
            wanted += [("manual exposure", cv2.CAP_PROP_AUTO_EXPOSURE, 1),
                       ("exposure", cv2.CAP_PROP_EXPOSURE, o.exposure)]
        if o.gain is not None:
            wanted.append(("gain", cv2.CAP_PROP_GAIN, o.gain))
        if o.white_balance_k is not None:
            wanted += [("manual white balance", cv2.CAP_PROP_AUTO_WB, 0),
                       ("white balance", cv2.CAP_PROP_WB_TEMPERATURE, o.white_balance_k)]
        self.unsupported = []
        for name, prop, value in wanted:
            if not cap.set(prop, value):
                self.unsupported.append(name)
                logger.warning("camera %r does not allow setting %s", o.device, name)
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if (w, h) != tuple(o.size_px) and w > 0 and h > 0:
            logger.warning("camera %r delivers %dx%d, not the %dx%d asked for", o.device, w, h,
                           *o.size_px)
            self.size_px = (w, h)

    def setup(self) -> None:
        """Open the camera, start the capture thread and wait for the first frame.

        Calling it again while capturing does nothing, or raises :class:`ConnectionLost`
        while the camera is away (the capture thread keeps reopening it by itself).
        """
        if self._thread is not None and self._thread.is_alive():
            self._check_alive()
            return
        self._cap = self._open()
        self._stop.clear()
        self._last_frame_clock = self.clock.now()
        self._thread = threading.Thread(target=self._capture_loop, name="camera-capture",
                                        daemon=True)
        self._thread.start()
        deadline = self.clock.now() + self.options.first_frame_timeout_s
        while self.ring.latest() is None:
            if self.clock.now() >= deadline:
                self.stop()
                raise HardwareError(
                    f"camera {self.options.device!r} opened but returned no frames within "
                    f"{self.options.first_frame_timeout_s:g} s",
                    hint="check the pixel format/resolution (try fourcc: YUYV or a lower "
                         "size_px) and the USB bandwidth")
            self.clock.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    # -- capture thread --------------------------------------------------------------------
    def _capture_loop(self) -> None:
        next_reopen = 0.0
        while not self._stop.is_set():
            cap = self._cap
            ok = False
            image: np.ndarray | None = None
            t = 0.0
            if cap is not None:
                try:
                    ok = cap.grab()
                    t = self.clock.now() - self.options.latency_s
                    if ok:
                        ok, image = cap.retrieve()
                except cv2.error:
                    logger.debug("camera grab failed", exc_info=True)
                    ok = False
            if ok and image is not None:
                self.ring.push(image, t)
                self._last_frame_clock = self.clock.now()
                if self._lost:
                    logger.warning("camera %r delivers frames again", self.options.device)
                    self._lost = False
                continue
            now = self.clock.now()
            silent = now - (self._last_frame_clock or now)
            if silent >= self.options.no_frame_timeout_s:
                if not self._lost:
                    logger.error("camera %r delivered no frame for %.1f s", self.options.device,
                                 silent)
                    self._lost = True
                if now >= next_reopen:
                    next_reopen = now + self.options.reopen_interval_s
                    self._reopen()
            self.clock.sleep(0.002)

    def _reopen(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        try:
            self._cap = self._open()
            self.reconnects += 1
            logger.info("camera %r reopened", self.options.device)
        except HardwareError as exc:
            logger.info("camera not back yet: %s", exc)

    # -- reading ---------------------------------------------------------------------------
    @property
    def dropped(self) -> int:
        """Frames the camera skipped (gaps in its stream) since setup."""
        return self.ring.dropped

    def _check_alive(self) -> None:
        if self._lost:
            raise ConnectionLost(
                f"camera {self.options.device!r} returns no frames",
                hint="check the camera's USB cable; the run resumes when frames flow again")

    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        """Frames captured in ``(since, until]``, waiting briefly for ones still in flight."""
        now = self.clock.now()
        if self.interval_is_empty(since, until, now):
            return []
        self._check_alive()
        # a frame taken at <= until may still be on its way: wait up to two frame periods
        deadline = now + 2.0 / self.fps
        while (self.ring.newest_t or -math.inf) < until - 0.5 / self.fps:
            if self.clock.now() >= deadline:
                break
            self.clock.sleep(0.001)
        oldest = self.ring.oldest_t
        if oldest is not None and since < oldest - 1.0 / self.fps and self.ring.evicted:
            logger.warning("frames before %.3f s were already dropped from the ring buffer "
                           "(buffer_s %.1f)", oldest, self.options.buffer_s)
        stride = self.thinning_stride(min_interval_s) if min_interval_s > 0 else 1
        return self.ring.frames(since, until, stride)

    def latest(self) -> Frame:
        self._check_alive()
        frame = self.ring.latest()
        if frame is None:
            raise HardwareError("the camera has not delivered a frame yet",
                                hint="call setup() first")
        return frame
