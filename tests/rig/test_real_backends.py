"""Real hardware is a config change away: the rig builds GRBL, OpenCV, replay and adb parts."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from tapbot.cameras.opencv import OpenCvCamera
from tapbot.cameras.replay import ReplayCamera
from tapbot.core.calibration import Calibration
from tapbot.core.clock import MonotonicClock, wall_time
from tapbot.core.errors import ConfigError
from tapbot.core.geometry import Homography, PointMm
from tapbot.core.paths import TouchPath
from tapbot.devices.adb import AdbDeviceLink
from tapbot.rig import build_rig
from tapbot.robots.grbl import GrblRobot
from tapbot.robots.grbl.delta import DeltaGrblRobot
from tapbot.robots.grbl.emulator import GrblEmulator

EXAMPLES = Path(__file__).parents[2] / "examples" / "rigs"
PROFILE = {"name": "pixel-7", "screen_px": [1080, 2400], "screen_mm": [64.5, 143.4],
           "refresh_hz": 90}


def write_rig(tmp_path, robot, camera, device=None, name="bench-1"):
    cal = Calibration(rig=name, device="pixel-7",
                      screen_to_robot=Homography.scale_offset(0.06, 0.06, 40, 30).to_list(),
                      camera_to_screen=Homography.identity().to_list(),
                      contact_z_mm=5.0, clearance_z_mm=8.0, created_at=wall_time())
    cal.save(tmp_path / "cal.json")
    doc = {"name": name, "robot": robot, "camera": camera,
           "devices": [device or {"type": "adb", "profile": PROFILE}],
           "calibration": {"type": "file", "path": "cal.json"}}
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def make_video(path, frames=6):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, (32, 24))
    for k in range(frames):
        writer.write(np.full((24, 32, 3), 30 * k, np.uint8))
    writer.release()


def test_a_real_rig_builds_from_yaml_without_touching_hardware(tmp_path):
    path = write_rig(tmp_path,
                     {"type": "grbl", "port": "/dev/ttyUSB9", "finger": {"kind": "servo"}},
                     {"type": "opencv", "device": 3, "fps": 90})
    rig = build_rig(path)
    assert isinstance(rig.robot.backend, GrblRobot)
    assert rig.robot.backend.options.finger.kind == "servo"
    assert isinstance(rig.camera, OpenCvCamera) and rig.camera.fps == 90
    assert isinstance(rig.link, AdbDeviceLink)
    assert isinstance(rig.clock, MonotonicClock)
    assert rig.device.name == "pixel-7"


def test_a_gantry_rig_on_the_emulator_opens_taps_and_parks(tmp_path):
    make_video(tmp_path / "deck.avi")
    with GrblEmulator(instant=True) as emu:
        path = write_rig(tmp_path, {"type": "grbl", "port": emu.path, "park_mm": [1, 2]},
                         {"type": "replay", "path": "deck.avi"})
        rig = build_rig(path)
        assert isinstance(rig.camera, ReplayCamera)
        rig.open()
        rig.robot.perform(TouchPath(points=((0.0, PointMm(50, 60)), (0.05, PointMm(50, 60)))))
        rig.close()
        assert "G1 X50.000 Y60.000 F15000" in emu.lines
        assert emu.mpos == [1.0, 2.0, 8.0]  # parked, finger up at the clearance height


def test_the_example_rigs_are_valid_configs(tmp_path):
    for name, backend in (("grbl-gantry.yaml", GrblRobot),
                          ("delta.yaml", DeltaGrblRobot)):
        doc = yaml.safe_load((EXAMPLES / name).read_text())
        cal_rel = doc["calibration"]["path"]
        (tmp_path / cal_rel).parent.mkdir(parents=True, exist_ok=True)
        Calibration(rig=doc["name"], device="pixel-7",
                    screen_to_robot=Homography.scale_offset(0.06, 0.06, 40, 30).to_list(),
                    camera_to_screen=Homography.identity().to_list(),
                    contact_z_mm=5.0, clearance_z_mm=8.0,
                    created_at=wall_time()).save(tmp_path / cal_rel)
        copy = tmp_path / name
        copy.write_text((EXAMPLES / name).read_text())
        rig = build_rig(copy)
        assert isinstance(rig.robot.backend, backend)


def test_a_bad_key_names_the_file_line_and_field(tmp_path):
    path = write_rig(tmp_path, {"type": "grbl", "port": "/dev/ttyUSB0", "baud": 9600},
                     {"type": "opencv"})
    with pytest.raises(ConfigError, match=r"rig.yaml:\d+: robot.baud: unknown key"):
        build_rig(path)


def test_real_hardware_refuses_the_twin_clock(tmp_path):
    path = write_rig(tmp_path, {"type": "grbl", "port": "/dev/ttyUSB0"}, {"type": "sim"},
                     device={"type": "sim"})
    with pytest.raises(ConfigError, match="virtual clock"):
        build_rig(path)


def test_a_pulled_robot_cable_pauses_and_the_rig_reopens_when_it_is_back(tmp_path):
    from tapbot.core.errors import ConnectionLost

    make_video(tmp_path / "deck.avi")
    link = tmp_path / "ttyGRBL"
    tap = TouchPath(points=((0.0, PointMm(50, 60)), (0.05, PointMm(50, 60))))
    with GrblEmulator(instant=True, link_path=link) as emu:
        rig = build_rig(write_rig(tmp_path, {"type": "grbl", "port": str(link)},
                                  {"type": "replay", "path": "deck.avi"}))
        rig.open()
        emu.unplug()
        with pytest.raises(ConnectionLost):
            rig.robot.perform(tap)
        link.unlink()
        with pytest.raises(ConnectionLost):  # what the runner's suspender sees while away
            rig.open()
        emu.replug()
        rig.open()  # back: the runner resumes
        rig.robot.perform(tap)
        rig.close()
        assert emu.lines.count("G1 X50.000 Y60.000 F15000") == 1  # the tap after replug


def test_an_alarm_stops_the_rig_with_what_to_do(tmp_path):
    from tapbot.robots.grbl import GrblAlarm

    make_video(tmp_path / "deck.avi")
    with GrblEmulator(instant=True) as emu:
        rig = build_rig(write_rig(tmp_path, {"type": "grbl", "port": emu.path},
                                  {"type": "replay", "path": "deck.avi"}))
        rig.open()
        emu.trigger_alarm(1)
        n = len(emu.lines)
        with pytest.raises(GrblAlarm, match="hard limit"):
            rig.robot.perform(TouchPath(points=((0.0, PointMm(50, 60)),
                                                (0.05, PointMm(50, 60)))))
        with pytest.raises(GrblAlarm, match="re-home"):
            rig.close()  # parking is refused by the locked controller: said, not hidden
        assert emu.mpos == [0.0, 0.0, 8.0]  # nothing moved after the alarm
        assert all(line.startswith("G1") for line in emu.lines[n:])  # no unlock was sent
