"""GRBL protocol parsing and error decoding, against lines from the GRBL 1.1 interface docs."""

import pytest

from tapbot.core.clock import VirtualClock
from tapbot.core.errors import ConnectionLost, HardwareError, TapbotError
from tapbot.robots.grbl import GrblAlarm, GrblError, GrblLink, parse_status
from tapbot.robots.grbl.fakes import LoopbackGrblPort
from tapbot.robots.grbl.gcode import ServoFinger, dwell, feed_word, move_xy, num
from tapbot.robots.grbl.protocol import classify, parse_banner


def test_a_running_status_report_gives_state_positions_buffers_feed_and_pins():
    s = parse_status("<Run|MPos:12.500,-3.000,1.250|Bf:13,96|FS:1500,600|Pn:XZ>")
    assert s.state == "Run" and not s.idle
    assert s.mpos == (12.5, -3.0, 1.25)
    assert (s.planner_free, s.rx_free) == (13, 96)
    assert (s.feed, s.spindle) == (1500.0, 600.0)
    assert s.pins == "XZ"


def test_work_position_subtracts_the_work_offset_remembered_from_an_earlier_report():
    s = parse_status("<Idle|MPos:10.000,20.000,5.000|FS:0,0>")
    assert s.work_position((1.0, 2.0, 3.0)) == (9.0, 18.0, 2.0)
    w = parse_status("<Hold:1|WPos:1.000,2.000,3.000|F:500>")
    assert (w.state, w.substate, w.feed) == ("Hold", 1, 500.0)
    assert w.work_position() == (1.0, 2.0, 3.0)


@pytest.mark.parametrize("bad", ["Idle|MPos:0,0,0", "<Idle|MPos:a,b,c>", "<Idle|Bf:1>"])
def test_garbage_status_is_a_hardware_error_not_a_crash(bad):
    with pytest.raises(HardwareError):
        parse_status(bad)


def test_banners_of_the_grbl_family_are_recognised():
    assert parse_banner("Grbl 1.1h ['$' for help]") == ("Grbl", "1.1h")
    assert parse_banner("GrblHAL 1.1f ['$' or '$HELP' for help]") == ("GrblHAL", "1.1f")
    assert parse_banner("Grbl 3.7 [FluidNC v3.7.8 (wifi) '$' for help]") == ("Grbl", "3.7")
    assert parse_banner("[MSG:'$H'|'$X' to unlock]") is None


def test_replies_are_classified():
    assert classify("ok").kind == "ok"
    assert (classify("error:22").kind, classify("error:22").number) == ("error", 22)
    assert (classify("ALARM:1").kind, classify("ALARM:1").number) == ("alarm", 1)
    assert classify("[MSG:Caution: Unlocked]").kind == "message"
    assert classify("<Idle|MPos:0,0,0>").kind == "status"


def test_error_and_alarm_codes_say_what_they_mean_and_what_to_do():
    e = GrblError(22, "G1 X1")
    assert isinstance(e, HardwareError) and e.code == "TB420"
    assert "feed rate has not been set" in str(e) and "G1 X1" in str(e)
    a = GrblAlarm(1)
    assert isinstance(a, TapbotError) and a.code == "TB421"
    assert "hard limit" in str(a) and "re-home" in str(a)
    assert "soft limit" in str(GrblAlarm(2))
    assert "unknown" not in str(GrblAlarm(None)) and "alarm" in str(GrblAlarm(None))


def test_numbers_are_written_with_grbl_resolution_and_no_negative_zero():
    assert num(-0.0001) == "0.000"
    assert num(1.23456) == "1.235"
    assert move_xy(1, -2.5, 10) == "G1 X1.000 Y-2.500 F600"
    assert feed_word(0.001) == "F1"
    assert dwell(0.25) == "G4 P0.250"
    with pytest.raises(HardwareError):
        feed_word(0)


def test_a_servo_height_outside_the_pwm_range_is_refused():
    with pytest.raises(HardwareError, match=r"outside 0\.\.1000"):
        ServoFinger(s_at_zero_mm=500, s_per_mm=100).down(6.0)


def link(**kw):
    clock = VirtualClock()
    port = LoopbackGrblPort(clock)
    return GrblLink(port, clock, **kw), port


def test_char_counting_never_has_more_unacknowledged_bytes_than_the_buffer():
    lk, port = link(rx_buffer_bytes=64)
    for i in range(40):
        lk.send(f"G1 X{i}.000 Y{i}.000 F600")
    lk.drain()
    assert lk.max_unacked_bytes <= 64
    assert lk.max_unacked_bytes > 26  # it does stream: more than one line in flight
    assert len(port.lines) == 40


def test_send_response_keeps_one_line_in_flight():
    lk, _ = link(flow_control="send-response")
    for i in range(5):
        lk.send(f"G1 X{i}.000 F600")
    lk.drain()
    assert lk.max_unacked_bytes == len(b"G1 X0.000 F600\n")


def test_an_error_reply_raises_the_decoded_error_naming_the_line():
    lk, port = link()
    port.replies["G5"] = "error:20"
    with pytest.raises(GrblError, match="error:20 for line 'G5': unsupported"):
        lk.command("G5")


def test_a_silent_controller_times_out_on_the_rig_clock_as_connection_lost():
    lk, port = link(response_timeout_s=1.0)
    port.replies["G1 X1.000 F600"] = ""  # the reply never comes
    lk.send("G1 X1.000 F600")
    t0 = lk.clock.now()
    with pytest.raises(ConnectionLost, match="no answer"):
        lk.drain()
    assert 1.0 <= lk.clock.now() - t0 < 1.1


def test_a_lost_status_report_is_polled_again():
    lk, port = link()
    original = port.write
    dropped = []

    def lossy(data):
        if data == b"?" and not dropped:
            dropped.append(1)
            port.written.extend(data)
            return 1
        return original(data)

    port.write = lossy
    status = lk.request_status()
    assert status.state == "Idle"
    assert bytes(port.written).count(b"?") == 2


def test_a_port_that_raises_becomes_connection_lost():
    lk, port = link()
    port.close()
    with pytest.raises(ConnectionLost, match="went away"):
        lk.command("G21")
