"""The adb device link against recorded transcripts (tests/data/adb/), no phone needed.

The transcripts follow the documented output of ``getevent -lp``, ``getevent -lt`` and
``logcat -v monotonic``. The phone's digitizer is 4320 x 9600 for a 1080 x 2400 px screen,
so raw (2160, 4800) is screen (540, 1200) px by Android's mapping.
"""

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from tapbot.core.clock import MonotonicClock, VirtualClock
from tapbot.core.errors import ConnectionLost, HardwareError
from tapbot.devices.adb import (
    AdbDeviceLink,
    AdbLinkOptions,
    ClockMap,
    GeteventParser,
    find_touchscreen,
    parse_input_devices,
    parse_logcat_line,
)

DATA = Path(__file__).parent.parent / "data" / "adb"
SCREEN = (1080, 2400)
AM_START_OK = """Starting: Intent { cmp=com.example.shop/.MainActivity }
Status: ok
LaunchState: COLD
Activity: com.example.shop/.MainActivity
TotalTime: 812
WaitTime: 815
Complete"""
AM_START_BAD = """Starting: Intent { cmp=com.example.shop/.Nope }
Error type 3
Error: Activity class {com.example.shop/com.example.shop.Nope} does not exist."""


class TranscriptTransport:
    """Plays recorded adb output; streams block after their transcript until ``unplug()``."""

    def __init__(self):
        self.online = True
        self.commands = []
        self.drained = {}
        self._gone = threading.Event()
        png = cv2.imencode(".png", np.full((24, 12, 3), (10, 20, 30), np.uint8))[1].tobytes()
        self.outputs = {
            "getevent -lp": (DATA / "getevent_lp.txt").read_text(),
            "getprop sys.boot_completed": "1",
            "am start -W -n com.example.shop/.MainActivity": AM_START_OK,
            "am start -W -n com.example.shop/.Nope": AM_START_BAD,
        }
        self.png = png
        self.streams = {
            "getevent -lt /dev/input/event2": DATA / "getevent_lt_tap_swipe.txt",
            "logcat -v monotonic -b crash -b events -T 1": DATA / "logcat_crash_anr.txt",
            "logcat -v monotonic -b main -s Choreographer:I -T 1":
                DATA / "logcat_main_choreographer.txt",
        }

    def state(self):
        return "device" if self.online else "offline"

    def shell(self, command, timeout_s):
        self.commands.append(command)
        if not self.online:
            raise ConnectionLost("offline")
        return self.outputs.get(command, "")

    def shell_bytes(self, command, timeout_s):
        assert command == "screencap -p"
        return self.png

    def stream(self, command):
        done = self.drained.setdefault(command, threading.Event())
        text = self.streams[command].read_text()

        def lines():
            yield from text.splitlines()
            done.set()
            self._gone.wait()

        return lines()

    def unplug(self):
        self.online = False
        self._gone.set()


def wait(event):
    assert event.wait(5.0)


@pytest.fixture
def linked():
    clock = VirtualClock(500.0)
    transport = TranscriptTransport()
    link = AdbDeviceLink(AdbLinkOptions(apps={"shop": "com.example.shop/.MainActivity",
                                              "nope": "com.example.shop/.Nope"}),
                         clock, SCREEN, transport=transport)
    link.start()
    for event in transport.drained.values():
        wait(event)
    yield link, transport, clock
    transport.unplug()


def test_the_touchscreen_and_its_ranges_come_from_getevent_lp():
    devices = parse_input_devices((DATA / "getevent_lp.txt").read_text())
    assert [d.path for d in devices] == ["/dev/input/event3", "/dev/input/event2",
                                         "/dev/input/event0", "/dev/input/event1"]
    ts = find_touchscreen(devices)
    assert (ts.path, ts.name) == ("/dev/input/event2", "fts_ts")
    assert ts.axes["ABS_MT_POSITION_X"].maximum == 4319
    assert ts.props == ("INPUT_PROP_DIRECT",)
    with pytest.raises(HardwareError, match="no touchscreen named 'gpio-keys'"):
        find_touchscreen(devices, "gpio-keys")


def test_touches_are_parsed_into_screen_px_and_mapped_to_the_rig_clock(linked):
    link, _, _ = linked
    events = link.touch_events(-1e9)
    got = [(e.action, round(e.x_px, 3), round(e.y_px, 3)) for e in events]
    assert got == [("down", 540.0, 1200.0), ("up", 540.0, 1200.0),
                   ("down", 540.0, 2000.0), ("move", 540.0, 1800.0), ("move", 541.0, 1600.0),
                   ("move", 541.0, 1400.0), ("up", 541.0, 1400.0)]
    # every report arrived at rig time 500 s, so the last one maps to 500 s
    assert events[-1].t == pytest.approx(500.0)
    assert events[0].t == pytest.approx(500.0 - (74593.141702 - 74591.343597))
    assert [e.action for e in link.touch_events(events[2].t)] == ["move"] * 3 + ["up"]


def test_lines_with_a_device_prefix_and_protocol_a_devices_are_understood():
    devices = parse_input_devices((DATA / "getevent_lp.txt").read_text())
    parser = GeteventParser(find_touchscreen(devices), SCREEN)
    lines = ["[ 1.000000] /dev/input/event2: EV_KEY BTN_TOUCH DOWN",
             "[ 1.000000] /dev/input/event2: EV_ABS ABS_MT_POSITION_X 00000000",
             "[ 1.000000] /dev/input/event2: EV_ABS ABS_MT_POSITION_Y 00000000",
             "[ 1.000000] /dev/input/event0: EV_KEY KEY_POWER DOWN",
             "[ 1.000000] /dev/input/event2: EV_SYN SYN_REPORT 00000000",
             "[ 1.050000] /dev/input/event2: EV_KEY BTN_TOUCH UP",
             "[ 1.050000] /dev/input/event2: EV_SYN SYN_REPORT 00000000"]
    out = [e for line in lines for e in parser.feed(line)]
    assert out == [(1.0, "down", 0.0, 0.0), (1.05, "up", 0.0, 0.0)]


def test_crash_buffer_lines_and_am_crash_am_anr_events_are_kept(linked):
    link, _, _ = linked
    lines = link.log_lines(-1e9)
    texts = [text for _, text in lines]
    assert texts[0] == "E AndroidRuntime: FATAL EXCEPTION: main"
    assert texts[1] == "E AndroidRuntime: Process: com.example.shop, PID: 12345"
    assert len(texts) == 7
    assert texts[4].startswith("I am_crash: [12345,0,com.example.shop")
    # the main buffer's own stream (in time order with the others): a main thread's stall
    assert texts[5].startswith("I Choreographer: Skipped 45 frames!")
    assert texts[6].startswith("I am_anr: [0,13002,com.example.maps")
    assert not any("am_proc_start" in t or "am_finish_activity" in t for t in texts)
    assert lines[-1][0] == pytest.approx(500.0)
    assert lines[0][0] == pytest.approx(500.0 - (74640.905 - 74595.201))


def test_a_logcat_line_outside_the_crash_buffer_needs_an_event_tag_or_choreographers():
    line = " 74595.201 12345 12345 E AndroidRuntime: FATAL EXCEPTION: main"
    expected = (74595.201, "E AndroidRuntime: FATAL EXCEPTION: main")
    assert parse_logcat_line(line, "crash") == expected
    assert parse_logcat_line(line, "main") is None
    stall = " 74601.550 12345 12345 I Choreographer: Skipped 45 frames!  The application"
    assert parse_logcat_line(stall, "main") == (74601.55, "I Choreographer: Skipped 45 "
                                                           "frames!  The application")
    assert parse_logcat_line(stall, "events") is None
    assert parse_logcat_line("garbage", "crash") is None


def test_the_clock_map_takes_the_earliest_arrival():
    cm = ClockMap()
    cm.observe(10.03, 1.0)
    cm.observe(10.09, 1.04)  # delayed in transport (offset 9.05 > 9.03): ignored
    assert cm.to_rig(1.04) == pytest.approx(10.07)


def test_apps_launch_and_stop_and_failures_are_clear(linked):
    link, transport, _ = linked
    link.launch_app("shop")
    assert transport.commands[-1] == "am start -W -n com.example.shop/.MainActivity"
    with pytest.raises(HardwareError, match="does not exist"):
        link.launch_app("nope")
    link.force_stop("shop")
    assert transport.commands[-1] == "am force-stop com.example.shop"
    link.launch_app("com.example.maps")
    assert transport.commands[-1] == ("monkey -p com.example.maps -c "
                                      "android.intent.category.LAUNCHER 1")
    with pytest.raises(HardwareError, match="not a package"):
        link.launch_app("rm -rf /")


def test_screenshot_and_boot_state(linked):
    link, transport, _ = linked
    shot = link.screenshot()
    assert shot.shape == (24, 12, 3) and tuple(shot[0, 0]) == (10, 20, 30)
    assert link.boot_state() == "booted"
    transport.outputs["getprop sys.boot_completed"] = ""
    assert link.boot_state() == "booting"
    transport.online = False
    assert link.boot_state() == "offline"


def test_a_phone_going_offline_mid_run_is_connection_lost_and_nothing_read_is_lost(linked):
    link, transport, clock = linked
    before = link.touch_events(-1e9)
    transport.unplug()
    for reader in link._readers:
        reader.thread.join(2.0)
    with pytest.raises(ConnectionLost):
        link.touch_events(clock.now())
    with pytest.raises(ConnectionLost):
        link.screenshot()
    assert link.touch_events(-1e9) == before  # what was read is still there
    # the phone comes back: the next read restarts the streams by itself
    transport.online = True
    transport._gone = threading.Event()
    transport.drained.clear()
    assert link.touch_events(clock.now()) == []
    for event in transport.drained.values():
        wait(event)
    assert len(link.touch_events(-1e9)) == len(before) + 7  # the transcript, read again
    link.reconnect()
    assert link.boot_state() == "booted"


def test_a_phone_that_stays_away_ends_reconnect_with_connection_lost():
    transport = TranscriptTransport()
    transport.online = False
    link = AdbDeviceLink(AdbLinkOptions(reconnect_timeout_s=0.0), MonotonicClock(), SCREEN,
                         transport=transport)
    with pytest.raises(ConnectionLost, match="did not come back"):
        link.reconnect()
    with pytest.raises(ConnectionLost, match="offline"):
        link.start()
