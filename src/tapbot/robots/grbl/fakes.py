"""A scripted stand-in for a GRBL serial port: answers every line ``ok`` at once.

For golden transcripts, dry runs and property tests, where the real emulator's timing is
not the point. It records the exact bytes written, keeps the commanded position (absolute
G0/G1 moves), reports ``Idle`` to ``?``, and advances a virtual clock on a read that finds
nothing (as a real read would have waited), so a missing answer times out.
"""

from __future__ import annotations

import re

from tapbot.core.clock import VirtualClock

_AXIS = re.compile(r"([XYZ])([-+]?\d*\.?\d+)")


class LoopbackGrblPort:
    """pyserial-shaped: ``write``/``read``/``in_waiting``/``reset_input_buffer``/``close``."""

    def __init__(self, clock: VirtualClock | None = None, read_timeout_s: float = 0.02,
                 banner: str = "Grbl 1.1h ['$' for help]", state: str = "Idle") -> None:
        self.clock = clock
        self.read_timeout_s = read_timeout_s
        self.banner = banner
        self.state = state
        self.written = bytearray()
        self.lines: list[str] = []
        self.pos = [0.0, 0.0, 0.0]
        self.replies: dict[str, str] = {}  # line -> reply instead of "ok" (e.g. "error:20")
        self.closed = False
        self._out = bytearray()

    @property
    def in_waiting(self) -> int:
        return len(self._out)

    def write(self, data: bytes) -> int:
        if self.closed:
            raise OSError("port closed")
        self.written.extend(data)
        if data == b"\x18":
            self._out.extend(f"\r\n{self.banner}\r\n".encode())
        elif data == b"?":
            pos = ",".join(f"{v:.3f}" for v in self.pos)
            self._out.extend(f"<{self.state}|MPos:{pos}|FS:0,0>\r\n".encode())
        elif len(data) == 1 and data in b"!~\x85":
            pass
        else:
            for raw in data.decode().splitlines():
                line = raw.strip()
                self.lines.append(line)
                if line == "$X" and self.state == "Alarm":
                    self.state = "Idle"
                if line.startswith(("G0", "G1", "G92")):
                    for axis, value in _AXIS.findall(line):
                        self.pos["XYZ".index(axis)] = float(value)
                self._out.extend((self.replies.get(line, "ok") + "\r\n").encode())
        return len(data)

    def read(self, size: int = 1) -> bytes:
        if self.closed:
            raise OSError("port closed")
        if not self._out:
            if self.clock is not None:
                self.clock.sleep(self.read_timeout_s)
            return b""
        chunk = bytes(self._out[:size])
        del self._out[:size]
        return chunk

    def reset_input_buffer(self) -> None:
        self._out.clear()

    def close(self) -> None:
        self.closed = True

    def line_bytes(self) -> bytes:
        """What was written, without the one-byte real-time commands (``?``, 0x18...)."""
        return b"".join(f"{line}\n".encode() for line in self.lines)
