"""The real adbutils transport against a fake adb server speaking the adb host protocol.

The fake answers the smart-socket requests adbutils sends (``host:devices``,
``host:version``, ``host:tport:serial:``, ``shell:`` / ``shell,pty:``) with the recorded
transcripts, so the link's use of adbutils is exercised end to end without a phone.
"""

import socket
import socketserver
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from tapbot.core.clock import VirtualClock
from tapbot.core.errors import ConnectionLost
from tapbot.devices.adb import AdbDeviceLink, AdbLinkOptions

DATA = Path(__file__).parent.parent / "data" / "adb"
SERIAL = "0A1B2C3D"


class FakeAdbServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, pty=True):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pty = pty
        self.state = "device"
        self.services: list[str] = []
        self.gone = threading.Event()
        self.png = cv2.imencode(".png", np.full((8, 4, 3), 200, np.uint8))[1].tobytes()
        self.outputs = {"getevent -lp": (DATA / "getevent_lp.txt").read_bytes(),
                        "getprop sys.boot_completed": b"1\n",
                        "screencap -p": self.png}
        self.streams = {
            "getevent -lt /dev/input/event2": (DATA / "getevent_lt_tap_swipe.txt").read_bytes(),
            "logcat -v monotonic -b crash -b events -T 1":
                (DATA / "logcat_crash_anr.txt").read_bytes(),
            "logcat -v monotonic -b main -s Choreographer:I -T 1":
                (DATA / "logcat_main_choreographer.txt").read_bytes(),
        }

    @property
    def port(self):
        return self.server_address[1]


class _Handler(socketserver.BaseRequestHandler):
    def _read_command(self):
        head = self._recv(4)
        if not head:
            return None
        return self._recv(int(head, 16)).decode()

    def _recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                return data
            data += chunk
        return data

    def _block(self, text):
        self.request.sendall(b"OKAY" + f"{len(text):04x}".encode() + text.encode())

    def handle(self):
        srv: FakeAdbServer = self.server  # type: ignore[assignment]
        while True:
            cmd = self._read_command()
            if cmd is None:
                return
            if cmd == "host:devices":
                self._block(f"{SERIAL}\t{srv.state}\n")
                return
            if cmd == "host:version":
                self._block("0029")
                return
            if cmd == f"host:tport:serial:{SERIAL}":
                self.request.sendall(b"OKAY" + (1).to_bytes(8, "little"))
                continue
            if cmd.startswith(("shell:", "shell,pty:")):
                service, _, command = cmd.partition(":")
                if service == "shell,pty" and not srv.pty:
                    msg = "unknown service"
                    self.request.sendall(b"FAIL" + f"{len(msg):04x}".encode() + msg.encode())
                    return
                srv.services.append(f"{service}:{command}")
                self.request.sendall(b"OKAY")
                if command in srv.streams:
                    data = srv.streams[command]
                    if service == "shell,pty":
                        data = data.replace(b"\n", b"\r\n")  # what a pty does to newlines
                    self.request.sendall(data)
                    srv.gone.wait(10)  # the stream stays open until the phone goes away
                else:
                    self.request.sendall(srv.outputs.get(command, b""))
                return
            raise AssertionError(f"unexpected adb request {cmd!r}")


@pytest.fixture(params=[True, False], ids=["pty", "plain-shell"])
def server(request):
    srv = FakeAdbServer(pty=request.param)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.gone.set()
    srv.shutdown()
    srv.server_close()


def wait_for(cond):
    deadline = threading.Event()
    for _ in range(500):
        if cond():
            return
        deadline.wait(0.01)
    raise AssertionError("condition not reached")


def test_the_link_reads_touches_logs_and_screens_through_adbutils(server):
    clock = VirtualClock(100.0)
    link = AdbDeviceLink(AdbLinkOptions(port=server.port), clock, (1080, 2400))
    assert link.boot_state() == "booted"
    shot = link.screenshot()
    assert shot.shape == (8, 4, 3)
    link.start()
    assert link.touchscreen.path == "/dev/input/event2"
    wait_for(lambda: len(link.touch_events(-1e9)) == 7)
    events = link.touch_events(-1e9)
    assert [(e.action, e.x_px, e.y_px) for e in events][:2] == [("down", 540.0, 1200.0),
                                                               ("up", 540.0, 1200.0)]
    wait_for(lambda: len(link.log_lines(-1e9)) == 7)  # the crash, the ANR and a stall
    kind = "shell,pty" if server.pty else "shell"
    assert f"{kind}:getevent -lt /dev/input/event2" in server.services
    server.state = "offline"
    server.gone.set()
    wait_for(lambda: all(r.ended.is_set() for r in link._readers))
    with pytest.raises(ConnectionLost):
        link.touch_events(clock.now())
    assert link.boot_state() == "offline"


def test_no_adb_server_means_offline_not_a_crash():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # a port nobody listens on
    link = AdbDeviceLink(AdbLinkOptions(port=port, serial=SERIAL), VirtualClock(), (1080, 2400))
    assert link.boot_state() == "offline"
    with pytest.raises(ConnectionLost):
        link.start()
