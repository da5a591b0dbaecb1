"""The real GRBL driver (pyserial on a pty) against the GRBL emulator: no hardware needed."""

import os
import threading
from pathlib import Path

import pytest
import serial

from tapbot.core.clock import MonotonicClock
from tapbot.core.errors import ConnectionLost, HardwareError
from tapbot.core.geometry import PointMm
from tapbot.core.paths import TouchPath
from tapbot.robots import Robot, RobotSettings
from tapbot.robots.grbl import GrblAlarm, GrblError, GrblOptions, GrblRobot
from tapbot.robots.grbl.emulator import GrblEmulator

DATA = Path(__file__).parent.parent / "data" / "grbl"
FAST = {"response_timeout_s": 2.0, "banner_timeout_s": 2.0, "reconnect_timeout_s": 3.0}


@pytest.fixture
def emu():
    e = GrblEmulator(instant=True).start()
    yield e
    e.close()


def backend_for(path, **kw):
    return GrblRobot(GrblOptions(port=path, **{**FAST, **kw}), MonotonicClock())


def test_the_driver_sends_the_emulator_exactly_the_golden_tap(emu):
    b = backend_for(emu.path)
    robot = Robot(b, b.clock, RobotSettings(park_mm=(0.0, 0.0)), contact_z_mm=5.0)
    robot.setup()
    robot.home()
    n = len(emu.lines)
    robot.perform(TouchPath(points=((0.0, PointMm(74.0, 105.5)), (0.06, PointMm(74.0, 105.5)))))
    got = "".join(f"{line}\n" for line in emu.lines[n:]).encode()
    assert got == (DATA / "tap.gcode").read_bytes()
    assert b.request_position() == pytest.approx((74.0, 105.5, 8.0))
    robot.close()


def test_a_move_returns_only_when_the_machine_has_arrived():
    with GrblEmulator(speedup=20.0) as emu:
        b = backend_for(emu.path)
        b.setup()
        t0 = b.clock.now()
        b.move_to(100.0, 0.0, 50.0)  # 2 s of machine time = 0.1 s of wall time at 20x
        elapsed = b.clock.now() - t0
        assert elapsed >= 0.1
        assert emu.mpos == pytest.approx([100.0, 0.0, 0.0])
        b.stop()


@pytest.mark.parametrize("flow", ["char-count", "send-response"])
def test_streaming_never_overruns_the_receive_buffer(flow):
    with GrblEmulator(speedup=200.0, planner_blocks=4) as emu:
        b = backend_for(emu.path, flow_control=flow)
        b.setup()
        for i in range(60):
            b.link.send(f"G1 X{i % 7}.000 Y{i % 5}.000 F6000")
        b.link.wait_idle(5.0)
        assert emu.overruns == 0
        assert emu.max_rx_fill <= 128
        assert len(emu.lines) == 61  # G21 G90 + 60 moves, none lost
        if flow == "char-count":
            assert b.link.max_unacked_bytes > 100  # it streamed, it did not crawl
        b.stop()


def test_the_emulator_counts_an_overrun_when_a_writer_ignores_flow_control():
    # the negative control: proves the overrun check above can fail
    with GrblEmulator(speedup=1.0, planner_blocks=2) as emu:
        port = serial.Serial(emu.path, timeout=0.1)
        port.write(b"".join(f"G1 X{i}.000 F60\n".encode() for i in range(40)))
        port.flush()
        deadline = MonotonicClock()
        while emu.overruns == 0 and deadline.now() < 2.0:
            deadline.sleep(0.01)
        assert emu.overruns > 0
        port.close()


def test_error_replies_are_decoded(emu):
    b = backend_for(emu.path)
    b.setup()
    with pytest.raises(GrblError, match=r"error:20 .*unsupported"):
        b.link.command("G5 X1")
    with pytest.raises(GrblError, match=r"error:22 .*feed rate"):
        b.link.command("G1 X1")
    b.move_to(1.0, 1.0, 10.0)  # the link keeps working after an error
    b.stop()


def test_an_alarm_stops_the_run_with_what_to_do_and_locks_motion(emu):
    b = backend_for(emu.path)
    b.setup()
    emu.trigger_alarm(1)
    with pytest.raises(GrblAlarm, match=r"ALARM:1.*hard limit") as info:
        b.move_to(10.0, 10.0, 100.0)
    assert "re-home" in str(info.value)
    with pytest.raises(GrblAlarm):
        b.move_to(10.0, 10.0, 100.0)  # never continues silently
    assert emu.mpos == [0.0, 0.0, 0.0]
    b.stop()


def test_a_machine_with_switches_boots_locked_and_homes():
    with GrblEmulator(instant=True, homing=True) as emu:
        emu.mpos = [5.0, 6.0, 7.0]
        locked = backend_for(emu.path, unlock=False, homing=True)
        with pytest.raises(GrblAlarm):
            locked.setup()
        b = backend_for(emu.path, homing=True)
        b.setup()
        b.home()
        assert "$X" in emu.lines and "$H" in emu.lines
        assert b.request_position() == (0.0, 0.0, 0.0)
        b.stop()


def test_feed_hold_stops_motion_and_resume_finishes_it():
    with GrblEmulator(speedup=5.0) as emu:
        b = backend_for(emu.path)
        b.setup()
        b.link.send("G1 X50.000 F600")  # 5 s of machine time, 1 s of wall time
        b.link.drain()
        b.clock.sleep(0.05)
        b.feed_hold()
        b.clock.sleep(0.05)
        held = b.request_status()
        assert held.state == "Hold"
        x_held = held.mpos[0]
        b.clock.sleep(0.1)
        assert b.request_status().mpos[0] == x_held
        assert 0.0 < x_held < 50.0
        b.resume()
        b.link.wait_idle(10.0)
        assert b.request_position()[0] == 50.0
        b.stop()


def test_a_soft_reset_during_motion_raises_alarm_3():
    with GrblEmulator(speedup=1.0) as emu:
        b = backend_for(emu.path)
        b.setup()
        b.link.send("G1 X50.000 F600")
        b.link.drain()
        b.link.reset(2.0)
        assert b.request_status().state == "Alarm"
        with pytest.raises(GrblAlarm):
            b.move_to(1.0, 1.0, 10.0)
        b.soft_reset()  # resets again and unlocks
        b.stop()


def test_a_vanished_port_is_connection_lost_and_reconnect_brings_it_back(tmp_path):
    link = tmp_path / "ttyGRBL"
    with GrblEmulator(instant=True, link_path=link) as emu:
        b = backend_for(str(link))
        b.setup()
        b.move_to(3.0, 4.0, 50.0)
        emu.unplug()
        with pytest.raises(ConnectionLost):
            b.move_to(5.0, 5.0, 50.0)
        threading.Timer(0.3, emu.replug).start()
        b.reconnect()
        b.move_to(5.0, 5.0, 50.0)
        assert emu.mpos == [5.0, 5.0, 0.0]
        b.stop()


def test_a_port_that_does_not_come_back_ends_reconnect_with_connection_lost(tmp_path):
    link = tmp_path / "ttyGRBL"
    with GrblEmulator(instant=True, link_path=link) as emu:
        b = backend_for(str(link), reconnect_timeout_s=0.6)
        b.setup()
        emu.unplug()
        os.unlink(link)
        with pytest.raises(ConnectionLost, match="did not come back"):
            b.reconnect()


def test_a_missing_port_says_to_run_doctor():
    b = backend_for("/dev/ttyDOESNOTEXIST0")
    with pytest.raises(HardwareError, match="cannot open robot port") as info:
        b.setup()
    assert "tapbot doctor" in str(info.value)


def test_a_busy_port_says_who_holds_it(emu):
    first = backend_for(emu.path)
    first.setup()
    with pytest.raises(HardwareError, match="another program"):
        backend_for(emu.path).setup()
    first.stop()


def test_a_port_that_is_not_grbl_gives_a_clear_error():
    master, slave = os.openpty()
    try:
        b = backend_for(os.ttyname(slave), banner_timeout_s=0.3)
        with pytest.raises(HardwareError, match="no GRBL banner"):
            b.setup()
    finally:
        os.close(master)
        os.close(slave)


def test_setup_again_is_how_a_suspended_run_reconnects(tmp_path):
    link = tmp_path / "ttyGRBL"
    with GrblEmulator(instant=True, link_path=link) as emu:
        b = backend_for(str(link))
        b.setup()
        emu.unplug()
        with pytest.raises(ConnectionLost):
            b.move_to(5.0, 5.0, 50.0)
        os.unlink(link)
        with pytest.raises(ConnectionLost, match="not back"):  # away: the runner keeps waiting
            b.setup()
        emu.replug()
        b.setup()
        b.move_to(6.0, 7.0, 50.0)
        assert emu.mpos == [6.0, 7.0, 0.0]
        b.stop()


def test_a_status_report_the_controller_drops_is_polled_again(emu):
    b = backend_for(emu.path, status_timeout_s=0.1)
    b.setup()
    emu.drop_status = 2
    assert b.request_status().state == "Idle"
    assert bytes(b"".join(b.transcript)).count(b"?") >= 4  # setup's poll + 2 lost + 1 answered
    emu.drop_status = 10
    with pytest.raises(ConnectionLost, match="no status report"):
        b.request_status()
    b.stop()


def test_a_target_beyond_the_controllers_travel_is_alarm_2_with_its_meaning():
    with GrblEmulator(instant=True, travel_mm=(100.0, 100.0, 50.0)) as emu:
        b = backend_for(emu.path)
        b.setup()
        with pytest.raises(GrblAlarm, match=r"ALARM:2: .*soft limit") as info:
            b.move_to(150.0, 10.0, 100.0)
        assert "unlock ($X)" in str(info.value)
        assert emu.mpos == [0.0, 0.0, 0.0]
        b.stop()
