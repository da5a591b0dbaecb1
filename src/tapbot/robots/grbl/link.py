"""The serial conversation with a GRBL controller: lines out, replies in, never an overrun.

:class:`GrblLink` owns one open port (anything with pyserial's ``read``/``write``/
``in_waiting``/``close``) and the rig clock. It sends lines under one of two flow controls:

* ``send-response``: one line at a time, the next only after the controller's ``ok``;
* ``char-count``: lines stream while the bytes not yet acknowledged fit the controller's
  128-byte receive buffer (GRBL's recommended streaming method).

Every wait is bounded by a deadline on the rig clock; port failures become
:class:`ConnectionLost`, ``error:N`` becomes :class:`GrblError` and ``ALARM:N`` (or an
``Alarm`` state) becomes :class:`GrblAlarm`.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Literal, Protocol

from tapbot.core.clock import Clock
from tapbot.core.errors import ConnectionLost, HardwareError
from tapbot.robots.grbl.protocol import (
    RX_BUFFER_BYTES,
    SOFT_RESET,
    STATUS_QUERY,
    GrblAlarm,
    GrblError,
    Reply,
    Status,
    classify,
    parse_banner,
    parse_status,
)

logger = logging.getLogger(__name__)

FlowControl = Literal["send-response", "char-count"]


class SerialPort(Protocol):
    """The part of ``serial.Serial`` the link uses (a test double implements the same)."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


class GrblLink:
    """Line protocol over one open port; see the module docstring."""

    def __init__(self, port: SerialPort, clock: Clock, *, flow_control: FlowControl =
                 "char-count", rx_buffer_bytes: int = RX_BUFFER_BYTES,
                 response_timeout_s: float = 5.0, status_timeout_s: float = 0.25,
                 status_retries: int = 4, name: str = "grbl") -> None:
        self.port = port
        self.clock = clock
        self.flow_control = flow_control
        self.rx_buffer_bytes = rx_buffer_bytes
        self.response_timeout_s = response_timeout_s
        self.status_timeout_s = status_timeout_s
        self.status_retries = status_retries
        self.name = name
        self._rx = bytearray()
        self._pending: deque[tuple[str, int]] = deque()
        self._error: GrblError | None = None
        self._alarm: int | None = None
        self._alarm_seen = False
        self._wco: tuple[float, ...] | None = None
        self.last_status: Status | None = None
        self.messages: list[str] = []
        self.written: list[bytes] = []  # every byte string written, in order (for transcripts)
        self.max_unacked_bytes = 0

    # -- raw I/O ---------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except OSError as exc:  # serial.SerialException is an OSError
            raise ConnectionLost(f"{self.name}: the serial port went away while writing ({exc})",
                                 hint="check the USB cable; the run resumes when it is back"
                                 ) from exc
        self.written.append(data)

    def _read_line(self, deadline: float) -> str | None:
        """The next complete line, or ``None`` when ``deadline`` (rig clock) passes."""
        while True:
            nl = self._rx.find(b"\n")
            if nl >= 0:
                raw = bytes(self._rx[:nl])
                del self._rx[: nl + 1]
                text = raw.decode("ascii", errors="replace").strip()
                if text:
                    return text
                continue
            if self.clock.now() >= deadline:
                return None
            try:
                chunk = self.port.read(max(1, self.port.in_waiting))
            except OSError as exc:
                raise ConnectionLost(
                    f"{self.name}: the serial port went away while reading ({exc})",
                    hint="check the USB cable; the run resumes when it is back") from exc
            self._rx.extend(chunk)

    def _handle(self, reply: Reply) -> None:
        """Book-keeping for one classified line (does not raise for ok/error)."""
        if reply.kind in ("ok", "error"):
            if not self._pending:
                logger.warning("%s: '%s' with no line outstanding", self.name, reply.text)
                return
            line, _ = self._pending.popleft()
            if reply.kind == "error" and reply.number == 9:
                self._alarm_seen = True  # locked out: the machine is (still) in alarm
            elif reply.kind == "error" and self._error is None:
                self._error = GrblError(reply.number or 0, line)
        elif reply.kind == "alarm":
            self._alarm = reply.number
            self._alarm_seen = True
            logger.error("%s: %s", self.name, reply.text)
        elif reply.kind == "status":
            status = parse_status(reply.text)
            if status.wco is not None:
                self._wco = status.wco
            self.last_status = status
        elif reply.kind == "banner":
            logger.warning("%s: controller restarted (%s)", self.name, reply.text)
            self._pending.clear()
        else:
            self.messages.append(reply.text)
            logger.info("%s says: %s", self.name, reply.text)

    def _raise_pending_faults(self) -> None:
        if self._alarm_seen:
            number = self._alarm
            self._alarm_seen = False
            raise GrblAlarm(number)
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def _read_reply(self, timeout_s: float, what: str) -> Reply:
        line = self._read_line(self.clock.now() + timeout_s)
        if line is None:
            raise ConnectionLost(
                f"{self.name}: no answer from the controller within {timeout_s:g} s ({what})",
                hint="check power and cable; run 'tapbot doctor' to see the port")
        reply = classify(line)
        self._handle(reply)
        return reply

    # -- lines -----------------------------------------------------------------------------
    @property
    def unacked_bytes(self) -> int:
        return sum(n for _, n in self._pending)

    def send(self, line: str) -> None:
        """Queue one G-code or ``$`` line under the configured flow control."""
        data = (line.strip() + "\n").encode("ascii")
        if len(data) > self.rx_buffer_bytes:
            raise HardwareError(f"line longer than the controller's buffer: {line!r}")
        limit = 0 if self.flow_control == "send-response" else self.rx_buffer_bytes - len(data)
        while self._pending and self.unacked_bytes > limit:
            self._read_reply(self.response_timeout_s, f"waiting for 'ok' to '{line.strip()}'")
            self._raise_pending_faults()
        self._raise_pending_faults()
        self._write(data)
        self._pending.append((line.strip(), len(data)))
        self.max_unacked_bytes = max(self.max_unacked_bytes, self.unacked_bytes)

    def drain(self, timeout_s: float | None = None) -> None:
        """Wait until every sent line was answered; raise the first error or alarm."""
        timeout = self.response_timeout_s if timeout_s is None else timeout_s
        while self._pending:
            self._read_reply(timeout, f"waiting for 'ok' to '{self._pending[0][0]}'")
            self._raise_pending_faults()
        self._raise_pending_faults()

    def command(self, line: str, timeout_s: float | None = None) -> None:
        """Send one line and wait for its answer (``$H`` may take long: give a timeout)."""
        self.send(line)
        self.drain(timeout_s)

    # -- real-time -------------------------------------------------------------------------
    def realtime(self, byte: bytes) -> None:
        """Send a real-time command byte (``?``, ``!``, ``~``, 0x85, 0x18)."""
        self._write(byte)

    def request_status(self) -> Status:
        """Poll ``?`` and return the report; re-poll when a report is lost."""
        for attempt in range(self.status_retries):
            before = self.last_status
            self.last_status = None
            self._write(STATUS_QUERY)
            deadline = self.clock.now() + self.status_timeout_s
            while self.last_status is None:
                line = self._read_line(deadline)
                if line is None:
                    break
                self._handle(classify(line))
            if self.last_status is not None:
                self._raise_pending_faults()
                return self.last_status
            self.last_status = before
            logger.warning("%s: status report lost (attempt %d); polling again", self.name,
                           attempt + 1)
        raise ConnectionLost(
            f"{self.name}: no status report after {self.status_retries} polls",
            hint="check power and cable; run 'tapbot doctor' to see the port")

    def work_position(self, status: Status) -> tuple[float, ...]:
        pos = status.work_position(self._wco)
        if pos is None:
            raise HardwareError(f"{self.name}: status report has no position: {status.fields}")
        return pos

    def wait_idle(self, timeout_s: float, poll_s: float = 0.01) -> Status:
        """Drain, then poll until the machine reports ``Idle`` (motion finished)."""
        self.drain()
        deadline = self.clock.now() + timeout_s
        while True:
            status = self.request_status()
            if status.state == "Idle":
                return status
            if status.state == "Alarm":
                raise GrblAlarm(self._alarm)
            if self.clock.now() >= deadline:
                raise HardwareError(
                    f"{self.name}: motion did not finish within {timeout_s:g} s "
                    f"(state {status.state})",
                    hint="a feed hold or safety door may be active; resume ('~') or check")
            self.clock.sleep(poll_s)

    def reset(self, banner_timeout_s: float) -> tuple[str, str]:
        """Soft reset (0x18) and wait for the startup banner; returns (firmware, version)."""
        try:
            self.port.reset_input_buffer()
        except OSError as exc:
            raise ConnectionLost(f"{self.name}: port unusable ({exc})") from exc
        self._rx.clear()
        self._pending.clear()
        self._error = None
        self._alarm_seen = False
        self._write(SOFT_RESET)
        deadline = self.clock.now() + banner_timeout_s
        while True:
            line = self._read_line(deadline)
            if line is None:
                raise HardwareError(
                    f"{self.name}: no GRBL banner within {banner_timeout_s:g} s of a reset",
                    hint="is this the controller's port and the right baud rate? "
                         "run 'tapbot doctor'")
            banner = parse_banner(line)
            if banner is not None:
                logger.info("%s: connected to %s %s", self.name, *banner)
                self._alarm_seen = False
                return banner
