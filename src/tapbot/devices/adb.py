"""Android over adb (through adbutils): screenshots, digitizer touches, crash/ANR logs, apps.

Touches come from ``getevent -lt`` on the touchscreen, mapped to screen px with the input
ranges the device reports in ``getevent -lp`` (Android's own mapping:
``px = (raw - min) * width / (max - min + 1)``). Crash and ANR lines come from
``logcat -v monotonic`` on the ``crash`` buffer (all lines) and the ``events`` buffer
(``am_crash`` / ``am_anr``); a main thread's stalls from the ``main`` buffer's
``Choreographer`` lines ("Skipped N frames!"), in a stream of their own filtered on the phone
(the main buffer is chatty). The streams are read by background threads; device times are
mapped to the rig clock by the earliest arrival seen (``ClockMap``), so they are known up to
the adb transport delay (a few ms). A device that goes offline mid-run raises
:class:`ConnectionLost`; ``reconnect()`` waits for it and restarts the streams, keeping
everything already read.

The adb conversation goes through a small :class:`AdbTransport`, so tests replay recorded
transcripts instead of a phone.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tapbot.core.clock import Clock
from tapbot.core.errors import ConnectionLost, HardwareError
from tapbot.devices.link import DeviceLink, TouchEvent

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- getevent -lp


@dataclass(frozen=True)
class AxisRange:
    minimum: int
    maximum: int

    def to_px(self, raw: int, size_px: int) -> float:
        """Android's mapping of a raw digitizer value onto ``size_px`` screen pixels."""
        return (raw - self.minimum) * size_px / (self.maximum - self.minimum + 1)


@dataclass(frozen=True)
class InputDevice:
    """One ``add device`` block of ``getevent -lp``."""

    path: str
    name: str
    axes: dict[str, AxisRange] = field(default_factory=dict)
    props: tuple[str, ...] = ()

    @property
    def is_touchscreen(self) -> bool:
        return "ABS_MT_POSITION_X" in self.axes and "ABS_MT_POSITION_Y" in self.axes


_ADD = re.compile(r"^add device \d+:\s*(\S+)")
_NAME = re.compile(r'^\s*name:\s*"(.*)"')
_AXIS = re.compile(r"(ABS_[A-Z_]+)\s*:\s*value -?\d+, min (-?\d+), max (-?\d+)")


def parse_input_devices(text: str) -> list[InputDevice]:
    """Parse ``getevent -lp``: every input device with its absolute axes' ranges."""
    devices: list[InputDevice] = []
    path = name = ""
    axes: dict[str, AxisRange] = {}
    props: list[str] = []
    in_props = False

    def flush() -> None:
        if path:
            devices.append(InputDevice(path, name, dict(axes), tuple(props)))

    for line in text.splitlines():
        m = _ADD.match(line)
        if m:
            flush()
            path, name, axes, props, in_props = m.group(1), "", {}, [], False
            continue
        m = _NAME.match(line)
        if m:
            name = m.group(1)
            continue
        if line.strip() == "input props:":
            in_props = True
            continue
        m = _AXIS.search(line)
        if m:
            axes[m.group(1)] = AxisRange(int(m.group(2)), int(m.group(3)))
            continue
        if in_props and line.strip().startswith("INPUT_PROP_"):
            props.append(line.strip())
    flush()
    return devices


def find_touchscreen(devices: list[InputDevice], name: str | None = None) -> InputDevice:
    """The touchscreen (by ``name`` if given), or a HardwareError saying what was found."""
    candidates = [d for d in devices if d.is_touchscreen and (name is None or d.name == name)]
    if not candidates:
        found = ", ".join(f"{d.path} ({d.name})" for d in devices) or "none"
        raise HardwareError(
            f"no touchscreen{f' named {name!r}' if name else ''} among the input devices: "
            f"{found}", hint="set touch_device_name in the rig config to one of them")
    return candidates[0]


# ---------------------------------------------------------------------------- getevent -lt

_EVENT = re.compile(r"^\[\s*(\d+\.\d+)\]\s+(?:(\S+):\s+)?(EV_\w+|\w+)\s+(\w+)\s+(\S+)\s*$")


@dataclass
class _Slot:
    tracking_id: int = -1
    x: int | None = None
    y: int | None = None
    changed: bool = False
    began: bool = False
    ended: bool = False


class GeteventParser:
    """Turns ``getevent -lt`` lines into (device_t, action, x_px, y_px) of the first finger.

    Multi-touch protocol B (slots and tracking ids) is followed per slot and the contact in
    slot 0 is reported; devices that speak only ``BTN_TOUCH`` DOWN/UP are handled too.
    Lines of other input devices are ignored.
    """

    def __init__(self, device: InputDevice, screen_px: tuple[int, int]) -> None:
        self.device = device
        self.screen_px = screen_px
        self.x_range = device.axes["ABS_MT_POSITION_X"]
        self.y_range = device.axes["ABS_MT_POSITION_Y"]
        self._slots: dict[int, _Slot] = {0: _Slot()}
        self._slot = 0
        self._btn: str | None = None
        self._uses_ids = False

    def feed(self, line: str) -> list[tuple[float, str, float, float]]:
        m = _EVENT.match(line.strip())
        if not m:
            return []
        t_text, dev, etype, code, value = m.groups()
        if dev is not None and dev != self.device.path:
            return []
        t = float(t_text)
        slot = self._slots.setdefault(self._slot, _Slot())
        if etype == "EV_ABS":
            v = int(value, 16)
            if v >= 0x80000000:
                v -= 1 << 32
            if code == "ABS_MT_SLOT":
                self._slot = v
                self._slots.setdefault(v, _Slot())
            elif code == "ABS_MT_TRACKING_ID":
                self._uses_ids = True
                if v < 0:
                    slot.ended = slot.tracking_id >= 0
                    slot.tracking_id = -1
                else:
                    slot.began = slot.tracking_id < 0
                    slot.tracking_id = v
            elif code == "ABS_MT_POSITION_X":
                slot.x, slot.changed = v, True
            elif code == "ABS_MT_POSITION_Y":
                slot.y, slot.changed = v, True
        elif etype == "EV_KEY" and code == "BTN_TOUCH":
            self._btn = value
        elif etype == "EV_SYN" and code == "SYN_REPORT":
            return self._report(t)
        return []

    def _px(self, slot: _Slot) -> tuple[float, float]:
        w, h = self.screen_px
        return (self.x_range.to_px(slot.x or 0, w), self.y_range.to_px(slot.y or 0, h))

    def _report(self, t: float) -> list[tuple[float, str, float, float]]:
        out: list[tuple[float, str, float, float]] = []
        s = self._slots[0]
        if not self._uses_ids and self._btn is not None:
            s.began, s.ended = self._btn == "DOWN", self._btn == "UP"
            self._btn = None
        if s.began and s.x is not None and s.y is not None:
            out.append((t, "down", *self._px(s)))
        elif s.ended:
            out.append((t, "up", *self._px(s)))
        elif s.changed and (s.tracking_id >= 0 or not self._uses_ids) and s.x is not None \
                and s.y is not None:
            out.append((t, "move", *self._px(s)))
        for slot in self._slots.values():
            slot.changed = slot.began = slot.ended = False
        return out


# ---------------------------------------------------------------------------- logcat

_LOGCAT = re.compile(r"^\s*(\d+\.\d+)\s+(\d+)\s+(\d+)\s+([VDIWEFA])\s+(.+?)\s*:\s?(.*)$")
EVENT_TAGS = ("am_crash", "am_anr")
MAIN_TAGS = ("Choreographer",)  # the main buffer's tags kept: a main thread's stalls
LOGCAT_CRASH = "logcat -v monotonic -b crash -b events -T 1"
LOGCAT_MAIN = "logcat -v monotonic -b main -s Choreographer:I -T 1"


def parse_logcat_line(line: str, buffer: str | None = None) -> tuple[float, str] | None:
    """``(device_t, "E AndroidRuntime: FATAL EXCEPTION: main")`` for a crash or ANR line.

    Lines of ``-v monotonic`` format are kept when they come from the crash buffer
    (``buffer == "crash"``), carry an ``am_crash`` / ``am_anr`` event tag, or come from the
    main buffer with a tag of :data:`MAIN_TAGS` (Choreographer's skipped frames).
    """
    m = _LOGCAT.match(line)
    if not m:
        return None
    t, _pid, _tid, level, tag, message = m.groups()
    tag = tag.strip()
    if buffer != "crash" and tag not in EVENT_TAGS and \
            not (buffer == "main" and tag in MAIN_TAGS):
        return None
    return float(t), f"{level} {tag}: {message}"


class LogcatParser:
    """Follows the ``--------- beginning of <buffer>`` markers of a multi-buffer logcat
    (``buffer``: the one a stream of a single buffer reads, before any marker)."""

    def __init__(self, buffer: str | None = None) -> None:
        self.buffer = buffer

    def feed(self, line: str) -> tuple[float, str] | None:
        if line.startswith("--------- beginning of "):
            self.buffer = line.rsplit(" ", 1)[-1].strip()
            return None
        return parse_logcat_line(line, self.buffer)


class ClockMap:
    """Device time -> rig time: ``rig = device + offset``, with the offset the smallest
    ``arrival - device_t`` seen (the transport delay can only make arrivals later)."""

    def __init__(self) -> None:
        self.offset: float | None = None

    def observe(self, arrival_rig_t: float, device_t: float) -> None:
        d = arrival_rig_t - device_t
        if self.offset is None or d < self.offset:
            self.offset = d

    def to_rig(self, device_t: float) -> float:
        if self.offset is None:
            raise HardwareError("no device time seen yet")
        return device_t + self.offset


# ---------------------------------------------------------------------------- transport


class AdbTransport(Protocol):
    """The adb conversation the link needs; adbutils on a rig, a transcript in tests."""

    def state(self) -> str:
        """``device``, ``offline``, ``unauthorized`` or ``absent``."""
        ...

    def shell(self, command: str, timeout_s: float) -> str: ...

    def shell_bytes(self, command: str, timeout_s: float) -> bytes: ...

    def stream(self, command: str) -> Iterator[str]:
        """Lines of a long-running command; ends when the command or the device ends."""
        ...


def adb_server_running(host: str = "127.0.0.1", port: int = 5037, timeout_s: float = 0.3) -> bool:
    """True when an adb server answers on ``host:port`` (never starts one)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class AdbutilsTransport:
    """adbutils over the local adb server; ``serial`` None picks the only attached device."""

    def __init__(self, serial: str | None, host: str = "127.0.0.1", port: int = 5037) -> None:
        import adbutils

        self._adbutils = adbutils
        self.host, self.port = host, port
        self._client = adbutils.AdbClient(host=host, port=port)
        self.serial = serial

    def _device(self) -> Any:
        if self.serial is None:
            if not adb_server_running(self.host, self.port):
                raise HardwareError("the adb server is not running",
                                    hint="start it with 'adb start-server', then run "
                                         "'tapbot doctor'")
            serials = [d.serial for d in self._client.list() if d.state == "device"]
            if len(serials) != 1:
                raise HardwareError(
                    f"{len(serials)} Android devices attached; cannot pick one",
                    hint="set serial: in the device section (see 'tapbot doctor')")
            self.serial = serials[0]
        return self._client.device(serial=self.serial)

    def state(self) -> str:
        if not adb_server_running(self.host, self.port):
            return "absent"
        try:
            for info in self._client.list():
                if self.serial is None or info.serial == self.serial:
                    return info.state
        except self._adbutils.AdbError:
            return "absent"
        return "absent"

    def shell(self, command: str, timeout_s: float) -> str:
        try:
            return str(self._device().shell(command, timeout=timeout_s))
        except self._adbutils.AdbError as exc:
            raise ConnectionLost(f"adb: '{command}' failed: {exc}") from exc

    def shell_bytes(self, command: str, timeout_s: float) -> bytes:
        try:
            return bytes(self._device().shell(command, timeout=timeout_s, encoding=None))
        except self._adbutils.AdbError as exc:
            raise ConnectionLost(f"adb: '{command}' failed: {exc}") from exc

    def _open_stream(self, command: str) -> Any:
        """A shell on a pty when adbd offers it (``shell,pty:``): a program writing to a pty
        flushes every line, where on a pipe ``getevent`` would hold events back in its
        buffer. Older adbd without service arguments gets a plain ``shell:``."""
        device = self._device()
        try:
            conn = device.open_transport()
            conn.send_command("shell,pty:" + command)
            conn.check_okay()
            return conn
        except self._adbutils.AdbError:
            logger.info("adb: no pty shell on this device; streaming over a plain shell")
        return device.shell(command, stream=True)

    def stream(self, command: str) -> Iterator[str]:
        try:
            conn = self._open_stream(command)
        except self._adbutils.AdbError as exc:
            raise ConnectionLost(f"adb: cannot start '{command}': {exc}") from exc
        buf = b""
        try:
            conn.conn.settimeout(None)
            while True:
                try:
                    chunk = conn.recv(4096)
                except (OSError, self._adbutils.AdbError):
                    return
                if not chunk:
                    return
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    yield raw.decode("utf-8", errors="replace").rstrip("\r")
        finally:
            conn.close()


# ---------------------------------------------------------------------------- the link


class AdbLinkOptions(BaseModel):
    """Device-link options of a ``type: adb`` device section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    serial: str | None = Field(None, description="adb serial; None: the only device attached")
    host: str = "127.0.0.1"
    port: int = 5037
    touch_device_name: str | None = Field(None, description="input device name if the phone "
                                                            "has several touch inputs")
    apps: dict[str, str] = Field(default_factory=dict, description="app name -> "
                                 "'package' or 'package/.Activity'")
    command_timeout_s: float = Field(10.0, gt=0)
    reconnect_timeout_s: float = Field(60.0, ge=0)
    history: int = Field(20000, ge=100, description="touch reports and log lines kept")


class _Reader:
    """A thread that reads one stream into a deque of (arrival_rig_t, line)."""

    def __init__(self, name: str, lines: Iterator[str], clock: Clock,
                 sink: deque[tuple[float, str]], lock: threading.Lock) -> None:
        self.ended = threading.Event()
        self._lines, self._clock, self._sink, self._lock = lines, clock, sink, lock
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for line in self._lines:
                t = self._clock.now()
                with self._lock:
                    self._sink.append((t, line))
        except Exception:
            logger.warning("adb stream failed", exc_info=True)
        finally:
            self.ended.set()


class AdbDeviceLink(DeviceLink):
    """A phone over adb; the streams start on first use (or ``start()``)."""

    def __init__(self, options: AdbLinkOptions, clock: Clock, screen_px: tuple[int, int],
                 transport: AdbTransport | None = None) -> None:
        self.options = options
        self.clock = clock
        self.screen_px = screen_px
        self._transport = transport
        self._lock = threading.Lock()
        self._raw_touch: deque[tuple[float, str]] = deque(maxlen=options.history)
        self._raw_log: deque[tuple[float, str]] = deque(maxlen=options.history)
        self._raw_main: deque[tuple[float, str]] = deque(maxlen=options.history)
        self._touches: deque[tuple[float, str, float, float]] = deque(maxlen=options.history)
        self._logs: deque[tuple[float, str]] = deque(maxlen=options.history)
        self._touch_clock = ClockMap()
        self._log_clock = ClockMap()
        self._parser: GeteventParser | None = None
        self._logcat = LogcatParser()
        self._logcat_main = LogcatParser("main")
        self._readers: list[_Reader] = []
        self.touchscreen: InputDevice | None = None

    @property
    def transport(self) -> AdbTransport:
        if self._transport is None:
            self._transport = AdbutilsTransport(self.options.serial, self.options.host,
                                                self.options.port)
        return self._transport

    # -- lifecycle -------------------------------------------------------------------------
    def _require_online(self) -> None:
        state = self.transport.state()
        if state == "unauthorized":
            raise HardwareError("the phone has not authorised this computer for adb",
                                hint="unlock the phone and accept the USB debugging prompt")
        if state != "device":
            raise ConnectionLost(f"the phone is {state}",
                                 hint="check its USB cable; the run resumes when it is back")

    def start(self) -> None:
        """Find the touchscreen and start reading touches and crash logs."""
        if self._readers:
            return
        self._require_online()
        devices = parse_input_devices(self.transport.shell("getevent -lp",
                                                           self.options.command_timeout_s))
        self.touchscreen = find_touchscreen(devices, self.options.touch_device_name)
        self._parser = GeteventParser(self.touchscreen, self.screen_px)
        self._logcat = LogcatParser()
        self._logcat_main = LogcatParser("main")
        self._readers = [
            _Reader("adb-getevent", self.transport.stream(f"getevent -lt {self.touchscreen.path}"),
                    self.clock, self._raw_touch, self._lock),
            _Reader("adb-logcat", self.transport.stream(LOGCAT_CRASH), self.clock,
                    self._raw_log, self._lock),
            _Reader("adb-logcat-main", self.transport.stream(LOGCAT_MAIN), self.clock,
                    self._raw_main, self._lock),
        ]
        logger.info("adb: touchscreen %s (%s)", self.touchscreen.path, self.touchscreen.name)

    def close(self) -> None:
        """Forget the streams (their threads end with the adb connection)."""
        self._readers = []

    def reconnect(self) -> None:
        """Wait (up to ``reconnect_timeout_s``) for the phone, then restart the streams."""
        deadline = self.clock.now() + self.options.reconnect_timeout_s
        while self.transport.state() != "device":
            if self.clock.now() >= deadline:
                raise ConnectionLost("the phone did not come back",
                                     hint="reconnect it (check 'adb devices') and resume")
            self.clock.sleep(0.5)
        self._readers = []
        self.start()
        logger.warning("adb: phone reconnected")

    def _streams_alive(self, have_news: bool) -> None:
        """After a stream ended: restart it when the phone is back, else ConnectionLost
        (unless there is still something read before the loss to hand out first)."""
        if not any(r.ended.is_set() for r in self._readers):
            return
        state = self.transport.state()
        if state == "device":
            logger.warning("adb: a stream ended while the phone is online; restarting it")
            self._readers = []
            self.start()
            return
        if not have_news:
            raise ConnectionLost(f"the phone's event stream ended (phone is {state})",
                                 hint="check its USB cable; the run resumes when it is back")

    # -- draining --------------------------------------------------------------------------
    def _drain(self) -> None:
        with self._lock:
            raw_touch = list(self._raw_touch)
            self._raw_touch.clear()
            raw_log = list(self._raw_log)
            self._raw_log.clear()
            raw_main = list(self._raw_main)
            self._raw_main.clear()
        assert self._parser is not None
        for arrival, line in raw_touch:
            for device_t, action, x, y in self._parser.feed(line):
                self._touch_clock.observe(arrival, device_t)
                self._touches.append((device_t, action, x, y))
        parsed_lines = [(arrival, self._logcat.feed(line)) for arrival, line in raw_log] + \
            [(arrival, self._logcat_main.feed(line)) for arrival, line in raw_main]
        for arrival, parsed in parsed_lines:
            if parsed is not None:
                self._log_clock.observe(arrival, parsed[0])
                self._logs.append(parsed)

    # -- DeviceLink ------------------------------------------------------------------------
    def touch_events(self, since: float) -> list[TouchEvent]:
        """Digitizer reports (first finger) after ``since`` on the rig clock."""
        self.start()
        self._drain()
        out = []
        for device_t, action, x, y in self._touches:
            t = self._touch_clock.to_rig(device_t)
            if t > since:
                out.append(TouchEvent(t=t, action=action, x_px=x, y_px=y))
        self._streams_alive(bool(out))
        return out

    def log_lines(self, since: float) -> list[tuple[float, str]]:
        """Crash-buffer lines, am_crash/am_anr events and Choreographer's skipped frames
        after ``since`` (rig clock), in time order."""
        self.start()
        self._drain()
        out = sorted(((self._log_clock.to_rig(t), text) for t, text in self._logs),
                     key=lambda line: line[0])  # (stable: a crash's lines share a time)
        out = [(t, text) for t, text in out if t > since]
        self._streams_alive(bool(out))
        return out

    def screenshot(self) -> np.ndarray:
        self._require_online()
        data = self.transport.shell_bytes("screencap -p", self.options.command_timeout_s)
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise HardwareError("the phone's screenshot could not be decoded",
                                hint="is the screen on and unlocked? (secure windows are black)")
        return image

    def _package(self, name: str) -> str:
        target = self.options.apps.get(name, name)
        if not re.fullmatch(r"[\w.]+(/[\w.$]+)?", target):
            raise HardwareError(f"app {name!r} maps to {target!r}, not a package[/activity]",
                                hint="fix the apps: section of the device in the rig config")
        return target

    def launch_app(self, name: str) -> None:
        """Start an app by its name in ``apps`` (or by package name)."""
        self._require_online()
        target = self._package(name)
        if "/" in target:
            out = self.transport.shell(f"am start -W -n {target}", self.options.command_timeout_s)
        else:
            out = self.transport.shell(
                f"monkey -p {target} -c android.intent.category.LAUNCHER 1",
                self.options.command_timeout_s)
        if "Error" in out or "No activities found" in out or "aborted" in out.lower():
            raise HardwareError(f"could not launch {name!r}: {out.strip().splitlines()[-1]}",
                                hint="check the package/activity in the apps: section")

    def force_stop(self, name: str) -> None:
        """Stop an app (``am force-stop``)."""
        self._require_online()
        package = self._package(name).split("/")[0]
        self.transport.shell(f"am force-stop {package}", self.options.command_timeout_s)

    def boot_state(self) -> str:
        state = self.transport.state()
        if state != "device":
            return "offline"
        try:
            done = self.transport.shell("getprop sys.boot_completed",
                                        self.options.command_timeout_s).strip()
        except ConnectionLost:
            return "offline"
        return "booted" if done == "1" else "booting"

    def set_show_touches(self, on: bool) -> None:
        """Android's 'show taps' developer overlay."""
        self._require_online()
        self.transport.shell(f"settings put system show_touches {1 if on else 0}",
                             self.options.command_timeout_s)


__all__ = [
    "AdbDeviceLink",
    "AdbLinkOptions",
    "AdbTransport",
    "AdbutilsTransport",
    "AxisRange",
    "ClockMap",
    "GeteventParser",
    "InputDevice",
    "LogcatParser",
    "adb_server_running",
    "find_touchscreen",
    "parse_input_devices",
    "parse_logcat_line",
]
