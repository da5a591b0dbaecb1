"""One robot-backend contract, checked on the twin, the recording backend and the GRBL
backends driving the emulator over a pty: what the front-end relies on holds for all."""

import pytest

from tapbot.core.clock import MonotonicClock
from tapbot.core.errors import HardwareError
from tapbot.rig import build_rig
from tapbot.robots import RecordingRobotBackend
from tapbot.robots.delta import DeltaGeometry
from tapbot.robots.grbl import GrblOptions, GrblRobot
from tapbot.robots.grbl.delta import DeltaGrblOptions, DeltaGrblRobot
from tapbot.robots.grbl.emulator import GrblEmulator

GEO = DeltaGeometry(base_radius_mm=50, effector_radius_mm=20, upper_arm_mm=80,
                    lower_arm_mm=180)


@pytest.fixture(params=["recording", "twin", "grbl-emulator", "delta-emulator"])
def backend(request):
    emu = None
    if request.param == "recording":
        b = RecordingRobotBackend()
    elif request.param == "twin":
        b = build_rig(None).robot.backend
    else:
        emu = GrblEmulator(instant=True).start()
        if request.param == "grbl-emulator":
            b = GrblRobot(GrblOptions(port=emu.path), MonotonicClock())
        else:
            b = DeltaGrblRobot(DeltaGrblOptions(port=emu.path, geometry=GEO,
                                                center_mm=(80, 80), base_height_mm=220),
                               MonotonicClock())
    b.setup()
    b.home()
    yield b
    b.stop()
    if emu is not None:
        emu.close()


def test_moves_land_where_they_were_sent_and_heights_are_kept(backend):
    backend.finger_up(0, 8.0)
    backend.move_to(60.0, 70.0, 100.0)
    x, y, z = backend.request_position()
    assert (x, y) == pytest.approx((60.0, 70.0), abs=0.01)
    assert z == pytest.approx(8.0, abs=0.01)
    backend.finger_down(0, 5.0)
    assert backend.request_position()[2] == pytest.approx(5.0, abs=0.01)
    backend.finger_up(0, 8.0)
    backend.move_to(61.0, 70.5, 50.0)
    assert backend.request_position() == pytest.approx((61.0, 70.5, 8.0), abs=0.01)


def test_a_one_finger_robot_refuses_two_finger_moves(backend):
    if backend.fingers != 1:
        pytest.skip("a two-finger tool")
    with pytest.raises(HardwareError):
        backend.move_pair_to((10.0, 10.0), (20.0, 10.0), 50.0)
    with pytest.raises(HardwareError):
        backend.pair_down(5.0)
