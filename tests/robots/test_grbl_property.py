"""Motion safety end to end: no G-code line the GRBL backends ever write leaves the envelope.

Random gestures, calibrations and envelopes drive the robot front-end over the real backends
(on a scripted port); every line written is parsed back and each target is checked against
the envelope and the safe contact depth. Envelopes and the glass height are drawn on the
0.01 mm grid a rig config uses, so GRBL's 3-decimal rounding (monotonic) cannot cross a bound:
the Cartesian check is exact.
"""

import math
import re

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tapbot.core.calibration import Calibration
from tapbot.core.clock import VirtualClock
from tapbot.core.errors import SafetyError
from tapbot.core.geometry import PointPx
from tapbot.gestures import long_press, swipe, tap, to_touch_path
from tapbot.robots import Envelope, Robot, RobotSettings
from tapbot.robots.delta import DeltaGeometry
from tapbot.robots.grbl import GrblOptions, GrblRobot
from tapbot.robots.grbl.delta import DeltaGrblOptions, DeltaGrblRobot
from tapbot.robots.grbl.fakes import LoopbackGrblPort

WORD = re.compile(r"([XYZF])([-+]?\d*\.?\d+)")
SCREEN = (1080, 2400)

@st.composite
def envelopes(draw):
    """Bounds in hundredths of a mm, as a rig config writes them (each bound is one decimal
    literal, not a sum that float arithmetic could land a hair off the grid)."""
    x0, y0 = draw(st.integers(-5000, 30000)), draw(st.integers(-5000, 30000))
    z0 = draw(st.integers(-500, 2000))
    wx, wy = draw(st.integers(1000, 30000)), draw(st.integers(1000, 30000))
    wz = draw(st.integers(1000, 6000))
    return Envelope(x_mm=(x0 / 100, (x0 + wx) / 100), y_mm=(y0 / 100, (y0 + wy) / 100),
                    z_mm=(z0 / 100, (z0 + wz) / 100))


@st.composite
def calibrations(draw, contact_z, envelope):
    """Screen px -> robot mm: a scaled, rotated phone whose corner lies near the envelope
    (so that many gestures are inside it and some are not)."""
    s = draw(st.floats(0.01, 0.07))
    angle = draw(st.floats(-math.pi, math.pi))
    ox = draw(st.floats(envelope.x_mm[0] - 20, envelope.x_mm[1] + 20))
    oy = draw(st.floats(envelope.y_mm[0] - 20, envelope.y_mm[1] + 20))
    c, si = math.cos(angle) * s, math.sin(angle) * s
    return Calibration(screen_to_robot=[[c, -si, ox], [si, c, oy], [0, 0, 1]],
                       camera_to_screen=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                       contact_z_mm=contact_z, clearance_z_mm=contact_z + 3)


screen_points = st.builds(PointPx, st.floats(0, SCREEN[0] - 1), st.floats(0, SCREEN[1] - 1))
gestures = st.one_of(
    st.builds(tap, screen_points, st.floats(0.01, 0.5)),
    st.builds(long_press, screen_points, st.floats(0.5, 2.0)),
    st.builds(swipe, screen_points, screen_points, st.floats(0.05, 1.0)),
)


def written_targets(port):
    """Every (axis, value) a G0/G1 line commands, and every feed."""
    for line in port.lines:
        if line.startswith(("G0", "G1")):
            yield from ((a, float(v)) for a, v in WORD.findall(line))


def drive(robot, strokes, calibration):
    robot.setup()
    robot.home()
    for stroke in strokes:
        try:
            robot.perform(to_touch_path(stroke, calibration))
            event("performed")
        except SafetyError:  # refusing is fine; writing outside is not
            event("refused")
    robot.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), envelope=envelopes(), strokes=st.lists(gestures, min_size=1, max_size=4))
def test_no_written_gcode_leaves_the_envelope_or_goes_below_the_contact_depth(
        data, envelope, strokes):
    lo, hi = envelope.z_mm
    contact_z = data.draw(st.integers(round(lo * 100) + 200, round(hi * 100) - 400)) / 100
    overtravel = data.draw(st.integers(0, 200)) / 100
    calibration = data.draw(calibrations(contact_z, envelope))
    park = (data.draw(st.floats(*envelope.x_mm)), data.draw(st.floats(*envelope.y_mm)))
    clock = VirtualClock()
    port = LoopbackGrblPort(clock)
    backend = GrblRobot(GrblOptions(port="loop://"), clock, opener=lambda _o: port)
    robot = Robot(backend, clock, RobotSettings(envelope=envelope, park_mm=park,
                                                overtravel_mm=overtravel),
                  contact_z_mm=contact_z)
    drive(robot, strokes, calibration)
    safe_depth = contact_z - overtravel
    for axis, value in written_targets(port):
        if axis == "X":
            assert envelope.x_mm[0] <= value <= envelope.x_mm[1], port.lines
        elif axis == "Y":
            assert envelope.y_mm[0] <= value <= envelope.y_mm[1], port.lines
        elif axis == "Z":
            assert max(lo, round(safe_depth, 3)) <= value <= hi, port.lines
        else:
            assert value > 0


GEOMETRY = DeltaGeometry(base_radius_mm=60, effector_radius_mm=25, upper_arm_mm=100,
                         lower_arm_mm=220)
# Angles are written to 0.001 deg; on this geometry that moves the effector by < 0.005 mm
# (0.001 deg * pi / 180 * 100 mm arm = 0.0017 mm, times at most ~2.5 for the rod leverage).
JOINT_ROUNDING_MM = 0.005


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), strokes=st.lists(gestures, min_size=1, max_size=3))
def test_no_delta_joint_move_lands_outside_the_envelope(data, strokes):
    envelope = Envelope(x_mm=(20, 140), y_mm=(20, 140), z_mm=(0, 40))
    contact_z = data.draw(st.integers(200, 2000)) / 100
    calibration = data.draw(calibrations(contact_z, envelope))
    clock = VirtualClock()
    port = LoopbackGrblPort(clock)
    options = DeltaGrblOptions(port="loop://", geometry=GEOMETRY, center_mm=(80, 80),
                               base_height_mm=260, home_angles_deg=(20, 20, 20),
                               segment_mm=2.0)
    backend = DeltaGrblRobot(options, clock, opener=lambda _o: port)
    robot = Robot(backend, clock, RobotSettings(envelope=envelope, park_mm=(80, 80)),
                  contact_z_mm=contact_z)
    drive(robot, strokes, calibration)
    for line in port.lines:
        if not line.startswith("G1"):
            continue
        words = dict(WORD.findall(line))
        x, y, z = backend.point_for((float(words["X"]), float(words["Y"]), float(words["Z"])))
        tol = JOINT_ROUNDING_MM
        assert envelope.x_mm[0] - tol <= x <= envelope.x_mm[1] + tol, line
        assert envelope.y_mm[0] - tol <= y <= envelope.y_mm[1] + tol, line
        assert contact_z - tol <= z <= envelope.z_mm[1] + tol, line
