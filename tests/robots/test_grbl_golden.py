"""Byte-exact golden transcripts of what the GRBL backend writes for each gesture.

The golden files under tests/data/grbl/ were checked by hand against the gesture: a tap at
screen (540, 1200) px on a 1080 x 2400 px / 68 x 151 mm phone whose corner lies at robot
(40, 30) mm lands at (74, 105.5) mm; travel at 250 mm/s is F15000; the glass is at 5 mm and
the finger hovers 3 mm above it. Set TAPBOT_REGOLD=1 to rewrite them after a deliberate change.
"""

import os
from pathlib import Path

import pytest

from tapbot.core.calibration import Calibration
from tapbot.core.clock import VirtualClock
from tapbot.core.geometry import Homography, PointPx
from tapbot.gestures import long_press, swipe, tap, to_touch_path
from tapbot.robots import Robot, RobotSettings
from tapbot.robots.grbl import GrblOptions, GrblRobot, ServoFinger
from tapbot.robots.grbl.fakes import LoopbackGrblPort

DATA = Path(__file__).parent.parent / "data" / "grbl"

CALIBRATION = Calibration(
    device="phone",
    screen_to_robot=Homography.scale_offset(68 / 1080, 151 / 2400, 40.0, 30.0).to_list(),
    camera_to_screen=Homography.identity().to_list(),
    contact_z_mm=5.0, clearance_z_mm=8.0)

GESTURES = {
    "tap": tap(PointPx(540, 1200), hold_s=0.06),
    "long_press": long_press(PointPx(200, 300), hold_s=0.8),
    "swipe": swipe(PointPx(540, 2000), PointPx(540, 600), duration_s=0.1, sample_hz=60),
}


def make(finger=None):
    clock = VirtualClock()
    port = LoopbackGrblPort(clock)
    options = GrblOptions(port="loop://", **({"finger": finger} if finger else {}))
    backend = GrblRobot(options, clock, opener=lambda _o: port)
    robot = Robot(backend, clock, RobotSettings(park_mm=(0.0, 0.0)), contact_z_mm=5.0)
    return robot, port


def check_golden(name: str, data: bytes) -> None:
    path = DATA / name
    if os.environ.get("TAPBOT_REGOLD"):
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} differs from the golden transcript"


def test_connect_writes_reset_then_millimetres_and_absolute_mode():
    robot, port = make()
    robot.setup()
    robot.home()
    # the real-time bytes are part of the contract too: reset first, then a status poll
    assert bytes(port.written).startswith(b"\x18?G21 G90\n")
    check_golden("connect.gcode", port.line_bytes())


@pytest.mark.parametrize("name", sorted(GESTURES))
def test_each_gesture_writes_exactly_the_golden_gcode(name):
    robot, port = make()
    robot.setup()
    robot.home()
    port.lines.clear()
    robot.perform(to_touch_path(GESTURES[name], CALIBRATION))
    check_golden(f"{name}.gcode", port.line_bytes())


def test_a_servo_finger_maps_the_contact_height_to_the_pwm_value():
    robot, port = make(ServoFinger(s_at_zero_mm=500, s_per_mm=20, settle_s=0.15))
    robot.setup()
    robot.home()
    port.lines.clear()
    robot.perform(to_touch_path(GESTURES["tap"], CALIBRATION))
    # 500 + 20 * 5 mm = 600 on the glass, 500 + 20 * 8 mm = 660 hovering
    check_golden("tap_servo.gcode", port.line_bytes())
    assert port.lines[1:3] == ["M3 S600", "G4 P0.150"]


def test_the_tap_lands_where_the_calibration_says():
    robot, port = make()
    robot.setup()
    robot.home()
    port.lines.clear()
    robot.perform(to_touch_path(GESTURES["tap"], CALIBRATION))
    assert port.lines[0] == "G1 X74.000 Y105.500 F15000"
    assert port.lines[1:] == ["G1 Z5.000 F1200", "G1 Z8.000 F1200"]


def test_move_along_streams_a_drag_and_waits_once_at_the_end():
    robot, port = make()
    robot.setup()
    backend = robot.backend
    port.written.clear()
    port.lines.clear()
    backend.move_along([(10.0, 0.0), (20.0, 5.0), (30.0, 5.0)], [100.0, 200.0, 300.0])
    assert port.lines == ["G1 X10.000 Y0.000 F6000", "G1 X20.000 Y5.000 F12000",
                          "G1 X30.000 Y5.000 F18000"]
    written = bytes(port.written)
    assert written.index(b"?") > written.rindex(b"G1")  # no stop for status between legs
