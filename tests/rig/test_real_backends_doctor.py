"""``tapbot doctor``: the inventory and the rig check, with the GRBL emulator as a real port."""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from tapbot.cli.doctor import (
    AdbInfo,
    CameraInfo,
    Inventory,
    SerialPortInfo,
    check_rig,
    list_cameras,
)
from tapbot.cli.main import app
from tapbot.core.calibration import Calibration
from tapbot.core.clock import wall_time
from tapbot.core.geometry import Homography
from tapbot.rig.config import load_rig_config
from tapbot.robots.grbl.emulator import GrblEmulator

PROFILE = {"name": "pixel-7", "screen_px": [1080, 2400], "screen_mm": [64.5, 143.4]}


def rig_file(tmp_path, port, camera=None, serial="0A1B"):
    Calibration(rig="bench", device="pixel-7",
                screen_to_robot=Homography.scale_offset(0.06, 0.06, 40, 30).to_list(),
                camera_to_screen=Homography.identity().to_list(), contact_z_mm=5.0,
                clearance_z_mm=8.0, created_at=wall_time()).save(tmp_path / "cal.json")
    doc = {"name": "bench", "robot": {"type": "grbl", "port": port},
           "camera": camera or {"type": "opencv", "device": 7},
           "devices": [{"type": "adb", "serial": serial, "profile": PROFILE}],
           "calibration": {"type": "file", "path": "cal.json"}}
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def findings_for(path, inv):
    config, _ = load_rig_config(path)
    return {f.part: f for f in check_rig(config, path.parent, inv)}


def test_each_missing_part_says_what_to_do(tmp_path):
    inv = Inventory(serial_ports=[SerialPortInfo("/dev/ttyUSB0", "USB Serial", 0x1A86, 0x7523)],
                    adb_server=True, adb_devices=[AdbInfo("0A1B", "unauthorized")])
    f = findings_for(rig_file(tmp_path, "/dev/ttyUSB7"), inv)
    assert not f["robot"].ok and "/dev/ttyUSB0" in f["robot"].message
    assert not f["camera"].ok and "/dev/video7" in f["camera"].message
    assert not f["device"].ok and "accept the USB debugging prompt" in f["device"].message


def test_attached_parts_pass(tmp_path):
    with GrblEmulator(instant=True) as emu:
        (tmp_path / "deck.avi").write_bytes(b"x")
        inv = Inventory(serial_ports=[SerialPortInfo(emu.path, "pty")], adb_server=True,
                        adb_devices=[AdbInfo("0A1B", "device")],
                        cameras=[CameraInfo("/dev/video0", "cam")])
        f = findings_for(rig_file(tmp_path, emu.path, {"type": "replay", "path": "deck.avi"}),
                         inv)
        assert all(x.ok for x in f.values()), f


def test_no_adb_server_is_reported_not_started(tmp_path):
    f = findings_for(rig_file(tmp_path, "/dev/ttyUSB0"), Inventory())
    assert "adb start-server" in f["device"].message


def test_cameras_are_listed_with_their_names(tmp_path):
    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    for n, name in ((0, "HD USB Camera"), (1, "HD USB Camera"), (10, "bcm2835-isp")):
        (dev).mkdir(exist_ok=True)
        (dev / f"video{n}").touch()
        (sysfs / f"video{n}").mkdir(parents=True)
        (sysfs / f"video{n}" / "name").write_text(name + "\n")
    cams = list_cameras(dev, sysfs)
    assert [(Path(c.device).name, c.name) for c in cams] == [
        ("video0", "HD USB Camera"), ("video1", "HD USB Camera"), ("video10", "bcm2835-isp")]


def test_the_command_runs_on_a_machine_without_hardware_and_probes_the_emulator(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "nothing attached" in result.output or "attached hardware" in result.output
    with GrblEmulator(instant=True) as emu:
        result = runner.invoke(app, ["doctor", "--rig", str(rig_file(tmp_path, emu.path)),
                                     "--probe"])
    assert result.exit_code == 1  # the camera and the phone are missing here
    assert "controller answered: Grbl 1.1h" in result.output


def test_a_misspelt_option_is_reported_with_file_and_line_before_any_hardware(tmp_path):
    path = tmp_path / "rig.yaml"
    path.write_text("name: bench\nrobot:\n  type: grbl\n  port: /dev/ttyUSB0\n  buad: 9600\n")
    result = CliRunner().invoke(app, ["doctor", "--rig", str(path)], env={"COLUMNS": "400"})
    assert result.exit_code == 1
    assert "rig.yaml:5: robot.buad: unknown key" in " ".join(result.output.split())
