"""A GRBL 1.1 controller emulated on a pseudo-terminal, so the real driver runs unchanged.

The emulator opens a pty and answers the line protocol on it like a GRBL board on
``/dev/ttyUSB0``: a 128-byte receive buffer (bytes beyond it are dropped and counted, as
GRBL's serial interrupt does), a planner of ``planner_blocks`` blocks that executes moves at
their feed rate, ``ok`` / ``error:N`` / ``ALARM:N``, real-time ``?`` ``!`` ``~`` 0x85 and
soft reset (0x18) with the startup banner, ``$X``, ``$H``, dwell, spindle (servo) and digital
outputs. Time runs ``speedup`` times faster than the wall (``instant=True``: moves finish at
once), so tests stay fast.

Run it for a rig without hardware::

    python -m tapbot.robots.grbl.emulator --speedup 1   # prints the pty path to put in port:
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import re
import select
import threading
import tty
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from tapbot.core.clock import MonotonicClock

logger = logging.getLogger(__name__)

BANNER = "Grbl 1.1h ['$' for help]"
LINE_MAX = 80  # GRBL's line buffer
_WORD = re.compile(r"([A-Z])([-+]?(?:\d+\.?\d*|\.\d+))")


@dataclass
class _Block:
    start: tuple[float, float, float]
    target: tuple[float, float, float]
    feed_mm_min: float
    duration_s: float
    done_s: float = 0.0


class GrblEmulator:
    """One emulated controller; ``start()`` it, hand ``path`` to the driver, ``close()`` it."""

    def __init__(self, *, speedup: float = 1.0, instant: bool = False, homing: bool = False,
                 rx_buffer_bytes: int = 128, planner_blocks: int = 15,
                 rapid_mm_min: float = 6000.0, homing_s: float = 0.5,
                 travel_mm: tuple[float, float, float] | None = None,
                 link_path: Path | None = None) -> None:
        self.speedup = speedup
        self.instant = instant
        self.homing = homing
        self.rx_capacity = rx_buffer_bytes
        self.planner_blocks = planner_blocks
        self.rapid_mm_min = rapid_mm_min
        self.homing_s = homing_s
        self.travel_mm = travel_mm
        self.link_path = link_path
        self._clock = MonotonicClock()
        self._lock = threading.RLock()
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self.path = ""
        # observable by tests
        self.lines: list[str] = []  # every G-code/$ line received, in order
        self.overruns = 0  # bytes dropped because the receive buffer was full
        self.max_rx_fill = 0
        self.resets = 0
        self.drop_status = 0  # ignore this many coming '?' (a lost report)
        self._power_on()

    # -- machine state ---------------------------------------------------------------------
    def _power_on(self) -> None:
        self.mpos = [0.0, 0.0, 0.0]
        self.wco = (0.0, 0.0, 0.0)
        self._rx = bytearray()
        self._out = bytearray()
        self._planner: deque[_Block] = deque()
        self._current: str | None = None  # line taken from rx, waiting for room/sync
        self._timer_end: float | None = None  # dwell or homing in progress (machine s)
        self._timer_kind = ""
        self.alarm: int | None = None
        self.state = "Alarm" if self.homing else "Idle"
        self.hold = False
        self.feed = 0.0
        self.spindle = 0.0
        self.spindle_on = False
        self.outputs: set[int] = set()
        self.absolute = True
        self._status_count = 0
        self._machine_t = 0.0
        self._last_wall = self._clock.now()

    def _say(self, text: str) -> None:
        self._out.extend(text.encode("ascii") + b"\r\n")

    def _banner(self) -> None:
        self._out.extend(b"\r\n")
        self._say(BANNER)
        if self.state == "Alarm":
            self._say("[MSG:'$H'|'$X' to unlock]")

    # -- pty -------------------------------------------------------------------------------
    def start(self) -> GrblEmulator:
        """Open the pty and start answering; returns self (``path`` is the device)."""
        self._open_pty()
        self._banner()
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="grbl-emulator", daemon=True)
        self._thread.start()
        return self

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        tty.setraw(master)
        self._master, self._slave = master, slave
        self.path = os.ttyname(slave)
        if self.link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link_path.unlink()
            self.link_path.symlink_to(self.path)
        logger.info("GRBL emulator on %s", self.path)

    def _close_pty(self) -> None:
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = None

    def unplug(self) -> None:
        """The USB cable is pulled: the pty disappears under the driver."""
        self._close_pty()

    def replug(self) -> None:
        """Plugged back in: a fresh pty (``link_path`` follows it) and a rebooted board."""
        with self._lock:
            self._power_on()
            self._open_pty()
            self._banner()

    def close(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close_pty()
        if self.link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link_path.unlink()

    def __enter__(self) -> GrblEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- faults ----------------------------------------------------------------------------
    def trigger_alarm(self, number: int) -> None:
        """Raise ``ALARM:number`` now (1: hard limit), stopping all motion."""
        with self._lock:
            self._enter_alarm(number)

    def _enter_alarm(self, number: int) -> None:
        self._planner.clear()
        self._current = None
        self._timer_end = None
        self.state = "Alarm"
        self.alarm = number
        self._say(f"ALARM:{number}")

    # -- main loop -------------------------------------------------------------------------
    def _loop(self) -> None:
        while self._running:
            fd = self._master
            if fd is None:
                self._clock.sleep(0.005)
                continue
            try:
                readable, _, _ = select.select([fd], [], [], 0.002)
                data = os.read(fd, 4096) if readable else b""
            except OSError:
                self._clock.sleep(0.005)
                continue
            with self._lock:
                self._tick()  # a status report shows the machine as it is now
                for b in data:
                    self._receive_byte(b)
                self._process_lines()
                self._tick()
                if self._out and self._master is not None:
                    try:
                        n = os.write(self._master, bytes(self._out))
                        del self._out[:n]
                    except OSError:
                        self._out.clear()

    def _receive_byte(self, b: int) -> None:
        if b == 0x3F:  # ?
            if self.drop_status > 0:
                self.drop_status -= 1
            else:
                self._say(self._status())
        elif b == 0x21:  # !
            if self.state in ("Run", "Jog") or self._planner:
                self.hold = True
        elif b == 0x7E:  # ~
            self.hold = False
        elif b == 0x18:
            self._soft_reset()
        elif b == 0x85:  # jog cancel: only jog motions, which this emulator treats as moves
            if self.state == "Jog":
                self._planner.clear()
        elif b >= 0x80:
            pass  # other real-time overrides: accepted, ignored
        elif len(self._rx) >= self.rx_capacity:
            self.overruns += 1
        else:
            self._rx.append(b)
            self.max_rx_fill = max(self.max_rx_fill, len(self._rx))

    def _soft_reset(self) -> None:
        self.resets += 1
        moving = bool(self._planner) and not self.hold
        pos = list(self.mpos)
        homing = self.homing
        self._power_on()
        self.mpos = pos
        if moving:
            self.state = "Alarm"
            self._say("ALARM:3")
        elif not homing:
            self.state = "Idle"
        self._banner()

    def _status(self) -> str:
        self._status_count += 1
        if self.hold and (self._planner or self.state in ("Run", "Hold")):
            state = "Hold:0"
        elif self.state == "Alarm":
            state = "Alarm"
        elif self._timer_kind == "home" and self._timer_end is not None:
            state = "Home"
        elif self._planner:
            state = "Run"
        else:
            state = "Idle"
        pos = ",".join(f"{v:.3f}" for v in self.mpos)
        free_blocks = self.planner_blocks - len(self._planner)
        text = (f"<{state}|MPos:{pos}|Bf:{free_blocks},{self.rx_capacity - len(self._rx)}"
                f"|FS:{self.feed if self._planner else 0:.0f},{self.spindle:.0f}")
        if self._status_count % 10 == 1:
            text += "|WCO:" + ",".join(f"{v:.3f}" for v in self.wco)
        return text + ">"

    def _tick(self) -> None:
        now = self._clock.now()
        dt = (now - self._last_wall) * self.speedup
        self._last_wall = now
        if self.instant:
            dt = math.inf
        if self.hold:
            return
        while dt > 0 and self._planner:
            block = self._planner[0]
            step = min(dt, block.duration_s - block.done_s)
            block.done_s += step
            dt -= step
            f = 1.0 if block.duration_s <= 0 else block.done_s / block.duration_s
            self.mpos = [s + (t - s) * f for s, t in zip(block.start, block.target, strict=True)]
            if block.done_s >= block.duration_s - 1e-12:
                self.mpos = list(block.target)
                self._planner.popleft()
        if self._timer_end is not None and not self._planner:
            self._machine_t += dt if math.isfinite(dt) else 1e9
            if self._machine_t >= self._timer_end:
                if self._timer_kind == "home":
                    self.mpos = [0.0, 0.0, 0.0]
                    self.state = "Idle"
                    self.alarm = None
                self._timer_end = None
                self._timer_kind = ""
                self._say("ok")
                self._current = None

    # -- lines -----------------------------------------------------------------------------
    def _process_lines(self) -> None:
        while True:
            if self._current is None:
                nl = self._rx.find(b"\n")
                if nl < 0:
                    return
                raw = bytes(self._rx[:nl]).decode("ascii", errors="replace")
                del self._rx[: nl + 1]
                line = raw.strip().upper().replace(" ", "")
                if not line:
                    continue
                self.lines.append(raw.strip())
                if len(line) > LINE_MAX:
                    self._say("error:11")
                    continue
                self._current = line
            if self._timer_end is not None:
                return  # dwell/homing in progress
            if not self._execute(self._current):
                return  # blocked: planner full or waiting for motion to end
            if self._timer_end is None:
                self._current = None

    def _execute(self, line: str) -> bool:
        """Run one line; False when it must wait (it stays current)."""
        if line.startswith("$"):
            return self._system(line)
        if self.state == "Alarm":
            self._say("error:9")
            return True
        words: list[tuple[str, float]] = []
        pos = 0
        for m in _WORD.finditer(line):
            if m.start() != pos:
                self._say("error:1" if not line[pos].isalpha() else "error:2")
                return True
            words.append((m.group(1), float(m.group(2))))
            pos = m.end()
        if pos != len(line):
            self._say("error:2")
            return True
        g = [v for k, v in words if k == "G"]
        mcodes = [v for k, v in words if k == "M"]
        vals = {k: v for k, v in words if k not in "GM"}
        for code in g:
            if code not in (0, 1, 4, 17, 21, 90, 91, 92, 94):
                self._say("error:20")
                return True
        for code in mcodes:
            if code not in (3, 4, 5, 62, 63, 64, 65):
                self._say("error:20")
                return True
        synced = 4 in g or any(c in (3, 4, 5, 62, 63) for c in mcodes)
        if synced and self._planner:
            return False  # these wait for the planner to empty (buffer synchronize)
        if 90 in g:
            self.absolute = True
        if 91 in g:
            self.absolute = False
        if "F" in vals:
            if vals["F"] <= 0:
                self._say("error:4")
                return True
            self.feed = vals["F"]
        if any(c in (3, 4) for c in mcodes):
            self.spindle_on = True
            self.spindle = vals.get("S", self.spindle)
        elif "S" in vals:
            self.spindle = vals["S"]
        if 5 in mcodes:
            self.spindle_on = False
            self.spindle = 0.0
        for c in mcodes:
            if c in (62, 63, 64, 65):
                if "P" not in vals:
                    self._say("error:28")
                    return True
                (self.outputs.add if c in (62, 64) else self.outputs.discard)(int(vals["P"]))
        if 4 in g:
            if "P" not in vals:
                self._say("error:28")
                return True
            self._start_timer("dwell", vals["P"])
            return True
        axes = [vals.get(a) for a in "XYZ"]
        if 92 in g:  # work position := the given values (a coordinate offset)
            if self._planner:
                return False
            self.wco = tuple(m - v if v is not None else w for m, v, w in
                             zip(self.mpos, axes, self.wco, strict=True))
            self._say("ok")
            return True
        if any(v is not None for v in axes):
            motion = 1 if 1 in g else 0 if 0 in g else None
            if motion is None:
                self._say("error:31")
                return True
            if motion == 1 and self.feed <= 0:
                self._say("error:22")
                return True
            if len(self._planner) >= self.planner_blocks:
                return False
            last = self._planner[-1].target if self._planner else tuple(self.mpos)
            target = tuple(
                (v + self.wco[i] if self.absolute else last[i] + v) if v is not None
                else last[i] for i, v in enumerate(axes))
            if self.travel_mm is not None and any(
                    not 0.0 <= t <= lim for t, lim in zip(target, self.travel_mm, strict=True)):
                self._enter_alarm(2)
                return True
            feed = self.feed if motion == 1 else self.rapid_mm_min
            dist = math.dist(last, target)
            self._planner.append(_Block(start=last, target=target, feed_mm_min=feed,  # type: ignore[arg-type]
                                        duration_s=dist / (feed / 60.0)))
        self._say("ok")
        return True

    def _start_timer(self, kind: str, seconds: float) -> None:
        self._machine_t = 0.0
        self._timer_kind = kind
        self._timer_end = max(0.0, seconds)

    def _system(self, line: str) -> bool:
        if line == "$X":
            if self.state == "Alarm":
                self.state = "Idle"
                self.alarm = None
                self._say("[MSG:Caution: Unlocked]")
            self._say("ok")
        elif line == "$H":
            if not self.homing:
                self._say("error:5")
                return True
            if self._planner:
                return False
            self.state = "Home"
            self._start_timer("home", self.homing_s)
        elif line == "$I":
            self._say("[VER:1.1h.20190830:tapbot-emulator]")
            self._say("ok")
        elif line == "$$":
            self._say(f"$22={int(self.homing)}")
            self._say("$30=1000")
            self._say("ok")
        else:
            self._say("error:3")
        return True


def main(argv: list[str] | None = None) -> None:
    """Serve an emulated controller until interrupted; prints the device path."""
    parser = argparse.ArgumentParser(prog="python -m tapbot.robots.grbl.emulator",
                                     description="GRBL 1.1 emulator on a pseudo-terminal")
    parser.add_argument("--speedup", type=float, default=1.0, help="machine time per wall s")
    parser.add_argument("--instant", action="store_true", help="moves finish at once")
    parser.add_argument("--homing", action="store_true", help="boot in alarm; $H homes")
    parser.add_argument("--link", type=Path, default=None,
                        help="also make this symlink to the pty (a stable port name)")
    args = parser.parse_args(argv)
    emu = GrblEmulator(speedup=args.speedup, instant=args.instant, homing=args.homing,
                       link_path=args.link)
    emu.start()
    print(args.link or emu.path, flush=True)  # a command-line entry
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.close()


if __name__ == "__main__":
    main()
