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


def test_the_twin_calibration_includes_the_gantry_shear():
    from tapbot.core import PointPx
    from tapbot.core.paths import TouchPath

    rig = build_rig(None, overrides={"robot": {"shear_pct": 1.0, "repeatability_mm": 0.0,
                                               "backlash_mm": 0.0}})
    rig.open()
    target = PointPx(900.0, 2000.0)  # far from the origin, where 1 % shear shows most
    mm = rig.calibration.screen_to_robot_mm(target)
    rig.robot.perform(TouchPath(points=((0.0, mm), (0.05, mm))))
    felt = rig.truth.touches[-1]
    px_per_mm = rig.device.px_per_mm[0]
    error_mm = ((felt.x_px - target.x) ** 2 + (felt.y_px - target.y) ** 2) ** 0.5 / px_per_mm
    assert error_mm < 0.05
    rig.close()
