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


def test_the_twin_calibration_carries_the_camera_lens():
    import numpy as np

    from tapbot.vision import RadialDistortion

    def truth_and_model(k1: float, k2: float = 0.0):
        rig = build_rig(None, overrides={"camera": {"k1": k1, "k2": k2}})
        cam = rig.camera
        w, h = rig.device.screen_px
        screen = np.array([[x, y] for x in np.linspace(0, w, 7) for y in np.linspace(0, h, 11)])
        ideal = cam.true_screen_to_camera().apply(screen)
        return rig.calibration.camera_distortion, ideal, cam.distort_px(ideal)

    lens, ideal, seen = truth_and_model(-0.01)
    assert lens is not None
    # k1 only: the one-parameter model is the camera's own lens, to float precision
    assert np.abs(RadialDistortion.from_list(lens).distort(ideal) - seen).max() < 1e-9
    assert truth_and_model(0.0)[0] is None  # no lens, nothing to undo
    # with k2 the least-squares model beats keeping k1 alone over the screen
    lens, ideal, seen = truth_and_model(-0.02, 0.05)
    k1_only = RadialDistortion(-0.02 / 640**2, 320.0, 240.0)  # f = image width (640 px)
    fitted = np.abs(RadialDistortion.from_list(lens).distort(ideal) - seen).max()
    assert fitted < 0.5 * np.abs(k1_only.distort(ideal) - seen).max()
