"""GRBL link figures on the pty emulator: streaming rate per flow control, and the cost of
one tap's round trips (status polls included). Prints its figures.

    .venv/bin/python bench/grbl_stream.py
"""

from __future__ import annotations

from tapbot.core.clock import MonotonicClock, wall_perf
from tapbot.core.geometry import PointMm
from tapbot.core.paths import TouchPath
from tapbot.robots import Robot, RobotSettings
from tapbot.robots.grbl import GrblOptions, GrblRobot
from tapbot.robots.grbl.emulator import GrblEmulator
from tapbot.robots.grbl.link import FlowControl

LINES = 2000


def stream(flow: FlowControl) -> tuple[float, int, int]:
    with GrblEmulator(instant=True) as emu:
        b = GrblRobot(GrblOptions(port=emu.path, flow_control=flow), MonotonicClock())
        b.setup()
        t0 = wall_perf()
        for i in range(LINES):
            b.link.send(f"G1 X{i % 100}.000 Y{i % 50}.000 F6000")
        b.link.wait_idle(30.0)
        dt = wall_perf() - t0
        b.stop()
        return LINES / dt, emu.overruns, emu.max_rx_fill


def taps(n: int = 50) -> float:
    with GrblEmulator(instant=True) as emu:
        b = GrblRobot(GrblOptions(port=emu.path), MonotonicClock())
        robot = Robot(b, b.clock, RobotSettings(), contact_z_mm=5.0)
        robot.setup()
        path = TouchPath(points=((0.0, PointMm(50, 60)), (0.0, PointMm(50, 60))))
        t0 = wall_perf()
        for _ in range(n):
            robot.perform(path)
        dt = wall_perf() - t0
        robot.close()
        return dt / n


def main() -> None:
    flows: tuple[FlowControl, ...] = ("char-count", "send-response")
    for flow in flows:
        rate, overruns, fill = stream(flow)
        print(f"{flow:14s}: {rate:7.0f} lines/s over the pty, overruns {overruns}, "
              f"max receive-buffer fill {fill}/128 bytes")
    print(f"one zero-hold tap (move, down, up; each waits for Idle): "
          f"{taps() * 1000:.1f} ms of driver overhead")


if __name__ == "__main__":
    main()
