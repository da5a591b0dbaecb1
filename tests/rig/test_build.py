from tapbot.core import VirtualClock
from tapbot.rig import build_rig


def test_no_file_builds_the_twin_on_a_virtual_clock():
    rig = build_rig(None)
    assert isinstance(rig.clock, VirtualClock)
    assert rig.calibration.source == "twin-truth"
    assert rig.truth is not None  # ground truth exists, for scorers and tests only


def test_a_yaml_file_reaches_the_backends(tmp_path):
    path = tmp_path / "rig.yaml"
    path.write_text(
        "name: bench\n"
        "robot:\n  type: sim\n  max_speed_mm_s: 150\n  travel_speed_mm_s: 120\n"
        "camera:\n  type: sim\n  fps: 120\n"
        "devices:\n  - type: sim\n    profile:\n      name: small\n"
        "      screen_px: [720, 1600]\n      screen_mm: [62, 138]\n      refresh_hz: 90\n"
    )
    rig = build_rig(path)
    assert rig.name == "bench"
    assert rig.camera.fps == 120
    assert rig.robot.settings.travel_speed_mm_s == 120
    assert rig.device.screen_px == (720, 1600)
    assert rig.device.refresh_hz == 90
