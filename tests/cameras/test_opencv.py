"""The OpenCV camera: capture thread, ring buffer, dropped frames, loss and reconnect.

A scripted capture stands in for cv2.VideoCapture; it advances a virtual clock by one frame
period per grab, so capture times are exact and the expected indices can be written down.
"""

import threading

import cv2
import numpy as np
import pytest

from tapbot.cameras.opencv import OpenCvCamera, OpenCvCameraOptions
from tapbot.core.clock import MonotonicClock, VirtualClock
from tapbot.core.errors import ConnectionLost, HardwareError

FPS = 50.0


class ScriptedCapture:
    """Delivers ``n`` frames (frame k is gray level k), then either fails at once like an
    unplugged camera (``then="fail"``) or waits for a next frame that does not come."""

    def __init__(self, clock, n, first=0, gaps=None, opened=True, refuse=(), then="wait"):
        self.clock, self.n, self.k, self.first = clock, n, 0, first
        self.then = then
        self._idle = threading.Event()
        self.gaps = gaps or {}  # frame number -> extra periods before it (lost frames)
        self.opened, self.refuse = opened, set(refuse)
        self.props = {}
        self.released = False

    def isOpened(self):  # OpenCV spells it so
        return self.opened

    def grab(self):
        if self.k >= self.n:
            if self.then == "fail":
                self.clock.sleep(0.001)
            else:
                self._idle.wait(0.05)  # a real wait: no virtual time passes in the camera
            return False
        self.clock.sleep((1 + self.gaps.get(self.k, 0)) / FPS)
        return True

    def retrieve(self):
        img = np.full((4, 4, 3), self.first + self.k, np.uint8)
        self.k += 1
        return True, img

    def set(self, prop, value):
        if prop in self.refuse:
            return False
        self.props[prop] = value
        return True

    def get(self, prop):
        return self.props.get(prop, 0.0)

    def release(self):
        self.released = True


def wait_until(cond, timeout=5.0):
    wall = MonotonicClock()
    while not cond():
        assert wall.now() < timeout, "condition not reached"
        wall.sleep(0.005)


@pytest.fixture
def started():
    """Cameras a test starts; their capture threads are always stopped afterwards."""
    cams = []
    yield cams
    for cam in cams:
        cam.stop()


def options(**kw):
    return OpenCvCameraOptions(**{"fps": FPS, "size_px": (4, 4), "no_frame_timeout_s": 0.5,
                                  "reopen_interval_s": 0.1, **kw})


def test_frames_are_stamped_on_the_rig_clock_and_skipped_ones_are_counted(started):
    clock = VirtualClock()
    cap = ScriptedCapture(clock, n=20, gaps={5: 2})  # two frames lost before the 6th
    cam = OpenCvCamera(options(), clock, opener=lambda _o: cap)
    started.append(cam)
    cam.setup()
    wait_until(lambda: cam.ring.received == 20)
    cam.setup()  # running and healthy: nothing happens
    assert cam.reconnects == 0
    frames = cam.frames(-1.0, clock.now())
    assert [f.index for f in frames] == [*range(0, 5), *range(7, 22)]
    assert [int(f.image[0, 0, 0]) for f in frames] == list(range(20))
    assert frames[0].t == pytest.approx(1 / FPS)
    assert frames[5].t == pytest.approx(8 / FPS)
    assert cam.dropped == 2
    thinned = cam.frames(-1.0, clock.now(), min_interval_s=0.1)  # every 5th index
    assert [f.index for f in thinned] == [0, 10, 15, 20]
    cam.stop()
    assert cap.released


def test_a_camera_that_stops_is_connection_lost_then_resumes_keeping_old_frames(started):
    clock = VirtualClock()
    back = threading.Event()
    first = ScriptedCapture(clock, n=10, then="fail")
    calls = []

    def opener(_o):
        calls.append(1)
        if len(calls) == 1:
            return first
        if not back.is_set():
            return ScriptedCapture(clock, n=0, opened=False)
        return ScriptedCapture(clock, n=10, first=100)

    cam = OpenCvCamera(options(), clock, opener=opener)
    started.append(cam)
    cam.setup()
    wait_until(lambda: cam._lost)
    with pytest.raises(ConnectionLost, match="returns no frames"):
        cam.frames(0.0, clock.now())
    with pytest.raises(ConnectionLost):
        cam.setup()  # what a suspended run calls until the camera is back
    with pytest.raises(ConnectionLost):
        cam.latest()
    back.set()
    wait_until(lambda: cam.ring.received == 20)
    wait_until(lambda: not cam._lost)
    levels = [int(f.image[0, 0, 0]) for f in cam.frames(-1.0, clock.now())]
    assert levels == [*range(10), *range(100, 110)]  # nothing recorded was lost
    assert cam.reconnects == 1
    cam.stop()


def test_fixed_exposure_is_asked_for_and_refusals_are_listed(started):
    clock = VirtualClock()
    cap = ScriptedCapture(clock, n=3, refuse={cv2.CAP_PROP_WB_TEMPERATURE})
    cam = OpenCvCamera(options(exposure=120, gain=4, white_balance_k=4500), clock,
                       opener=lambda _o: cap)
    started.append(cam)
    cam.setup()
    assert cap.props[cv2.CAP_PROP_AUTO_EXPOSURE] == 1
    assert cap.props[cv2.CAP_PROP_EXPOSURE] == 120
    assert cap.props[cv2.CAP_PROP_GAIN] == 4
    assert cam.unsupported == ["white balance"]
    cam.stop()


def test_a_camera_that_does_not_open_or_gives_no_frames_says_what_to_do():
    clock = VirtualClock()
    cam = OpenCvCamera(options(), clock,
                       opener=lambda _o: ScriptedCapture(clock, n=0, opened=False))
    with pytest.raises(HardwareError, match="cannot open camera") as info:
        cam.setup()
    assert "tapbot doctor" in str(info.value)
    mute = OpenCvCamera(options(first_frame_timeout_s=0.2), clock,
                        opener=lambda _o: ScriptedCapture(clock, n=0))
    with pytest.raises(HardwareError, match="returned no frames"):
        mute.setup()


def test_the_default_opener_reads_through_opencv(tmp_path, started):
    path = tmp_path / "cam.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, (32, 24))
    for k in range(5):
        writer.write(np.full((24, 32, 3), 40 * k, np.uint8))
    writer.release()
    clock = MonotonicClock()
    cam = OpenCvCamera(options(device=str(path), api="any", fourcc=None, size_px=(32, 24)),
                       clock)
    started.append(cam)
    cam.setup()
    wait_until(lambda: cam.ring.received == 5)
    assert cam.latest().size_px == (32, 24)
    cam.stop()


def test_the_ring_holds_buffer_s_of_frames_but_never_more_than_max_buffer_mb():
    clock = VirtualClock()
    # a 1280 x 720 BGR frame is 2.7648 MB: 4 s at 60 fps = 240 frames = 664 MB fits 1024 MB
    assert OpenCvCamera(options(size_px=(1280, 720), fps=60, buffer_s=4), clock).ring.capacity \
        == 240
    # 100 MB holds floor(100 / 2.7648) = 36 frames
    small = OpenCvCamera(options(size_px=(1280, 720), fps=60, buffer_s=4, max_buffer_mb=100),
                         clock)
    assert small.ring.capacity == 36
