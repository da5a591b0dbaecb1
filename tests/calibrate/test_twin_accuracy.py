"""Calibration on the twin, scored against its ground truth (never an input to calibration).

After calibrating, taps commanded over the whole screen land within 0.3 mm (p95) of where
they were meant to, with 0.05 mm robot repeatability, also with the phone rotated and the
gantry sheared.
"""

from __future__ import annotations

import numpy as np
import pytest

from tapbot.calibrate import UNCALIBRATED, CalibrationOptions, calibrate
from tapbot.core import PointPx
from tapbot.gestures import tap, to_touch_path
from tapbot.rig import build_rig
from tapbot.robots.robot import Robot
from tapbot.sim import SimRobotOptions

HAS_SHEAR = "shear_pct" in SimRobotOptions.model_fields


def calibrated_twin(seed: int, rotation_deg: float = 0.0, robot: dict | None = None,
                    options: CalibrationOptions | None = None):
    rig = build_rig(None, seed=seed, overrides={
        "device": {"rotation_deg": rotation_deg}, "robot": robot or {},
        "calibration": UNCALIBRATED})
    rig.camera.setup()
    report = calibrate(robot=rig.robot, camera=rig.camera, link=rig.link,
                       profile=rig.device, clock=rig.clock, rig_name=rig.name, options=options)
    return rig, report


def tap_errors_mm(rig, cal, n: int = 80, seed: int = 11) -> np.ndarray:
    """Tap ``n`` random points over the whole screen; distance (glass mm) from each commanded
    screen point to where the twin's truth says the touch landed."""
    robot = Robot(rig.robot.backend, rig.clock, rig.robot.settings,
                  contact_z_mm=cal.contact_z_mm)
    w, h = rig.device.screen_px
    ppx, ppy = rig.device.px_per_mm
    rng = np.random.default_rng(seed)
    targets = np.c_[rng.uniform(0.02 * w, 0.98 * w, n), rng.uniform(0.02 * h, 0.98 * h, n)]
    truth = rig.truth
    errors = []
    for x, y in targets:
        before = len(truth.touches)
        robot.perform(to_touch_path(tap(PointPx(float(x), float(y))), cal))
        rig.clock.sleep(0.3)
        assert len(truth.touches) == before + 1, f"tap at ({x:.0f}, {y:.0f}) px did not land"
        t = truth.touches[-1]
        errors.append(np.hypot((t.x_px - x) / ppx, (t.y_px - y) / ppy))
    return np.asarray(errors)


@pytest.mark.parametrize("seed, rotation_deg", [(1, 0.0), (2, 3.5), (3, -4.0)])
def test_taps_land_within_0_3_mm_p95_after_calibration(seed, rotation_deg):
    rig, report = calibrated_twin(seed, rotation_deg, robot={"repeatability_mm": 0.05})
    cal = report.calibration
    assert cal.max_residual_mm <= 0.5
    assert len(cal.points) >= 9 and all(p.inlier for p in cal.points)
    err = tap_errors_mm(rig, cal)
    assert np.percentile(err, 95) <= 0.3, np.percentile(err, 95)


@pytest.mark.skipif(not HAS_SHEAR, reason="the twin robot has no shear option yet")
@pytest.mark.parametrize("model", ["affine", "homography"])
def test_taps_land_within_0_3_mm_p95_with_a_rotated_phone_and_1_percent_shear(model):
    rig, report = calibrated_twin(4, 3.0, robot={"repeatability_mm": 0.05, "shear_pct": 1.0},
                                  options=CalibrationOptions(model=model))
    assert report.calibration.model == model
    err = tap_errors_mm(rig, report.calibration)
    assert np.percentile(err, 95) <= 0.3, np.percentile(err, 95)


def test_calibration_finds_the_glass_height_and_camera_pose():
    rig, report = calibrated_twin(5, 2.0)
    cal = report.calibration
    glass = rig.camera.world.glass_z_mm  # truth, for scoring only
    # touches register within 0.05 mm above the glass; found heights lie in that band
    assert all(glass - 0.02 <= p.z_mm <= glass + 0.05 + 1e-9 for p in cal.points)
    assert cal.contact_z_mm < glass + 0.05  # every tap reaches the glass
    # camera -> screen within 1 camera px (about 6 screen px at 640x480) everywhere
    true_cs = rig.camera.true_camera_to_screen()
    w, h = rig.device.screen_px
    pts = np.array([[x, y] for x in np.linspace(0, w - 1, 5) for y in np.linspace(0, h - 1, 9)])
    cam = true_cs.inverse().apply(pts)
    err = np.hypot(*(cal.camera_to_screen_h.apply(cam) - pts).T)
    assert err.max() < 6.0, err.max()


def test_a_wrong_start_point_says_where_to_put_the_phone():
    from tapbot.core import CalibrationError

    with pytest.raises(CalibrationError, match="no touch registered at the start point") as e:
        calibrated_twin(6, options=CalibrationOptions(start_mm=(180.0, 20.0)))
    assert "--start" in (e.value.hint or "")


def test_a_fit_worse_than_the_limit_is_refused_with_the_residual_map():
    from tapbot.calibrate import CalibrationRejected

    # a sloppy robot: 0.3 mm repeatability cannot give a 0.15 mm fit
    with pytest.raises(CalibrationRejected, match="above the limit") as e:
        calibrated_twin(7, robot={"repeatability_mm": 0.3},
                        options=CalibrationOptions(limit_mm=0.15))
    assert len(e.value.report.calibration.points) >= 9
    assert "tapbot calibrate" in (e.value.hint or "")


HAS_MARKERS = "markers" in __import__("tapbot.sim", fromlist=["SimCameraOptions"]) \
    .SimCameraOptions.model_fields


@pytest.mark.skipif(not HAS_MARKERS, reason="the twin camera has no holder markers yet")
def test_holder_markers_give_the_camera_pose_when_the_camera_shows_them():
    rig = build_rig(None, seed=9, overrides={"camera": {"markers": True, "size_px": (1280, 960)},
                                             "calibration": UNCALIBRATED})
    rig.camera.setup()
    report = calibrate(robot=rig.robot, camera=rig.camera, link=rig.link,
                       profile=rig.device, clock=rig.clock, rig_name=rig.name)
    assert report.camera is not None and report.camera.method == "markers"
    true_cs = rig.camera.true_camera_to_screen()
    w, h = rig.device.screen_px
    pts = np.array([[x, y] for x in np.linspace(0, w - 1, 5) for y in np.linspace(0, h - 1, 9)])
    err = np.hypot(*(report.calibration.camera_to_screen_h.apply(true_cs.inverse().apply(pts))
                     - pts).T)
    assert err.max() < 6.0, err.max()  # about 2 camera px at 1280x960 (lens distortion incl.)


@pytest.mark.skipif("k1" not in __import__("tapbot.sim", fromlist=["SimCameraOptions"])
                    .SimCameraOptions.model_fields, reason="the twin camera has no lens model")
def test_a_strongly_distorting_lens_is_calibrated_out():
    from tapbot.calibrate import calibrate_camera
    from tapbot.vision import RadialDistortion

    rig = build_rig(None, seed=10, overrides={"camera": {"size_px": (1280, 960), "k1": -0.15},
                                              "calibration": UNCALIBRATED})
    rig.camera.setup()
    pose = calibrate_camera(rig.camera, rig.link, rig.device, rig.clock, None)
    assert pose.method == "pattern" and pose.distortion is not None
    assert pose.distortion.kappa * 1280**2 == pytest.approx(-0.15, abs=0.02)  # f = width
    w, h = rig.device.screen_px
    pts = np.array([[x, y] for x in np.linspace(0, w - 1, 9) for y in np.linspace(0, h - 1, 17)])
    seen = rig.camera.distort_px(rig.camera.true_screen_to_camera().apply(pts))  # truth
    err = np.hypot(*(pose.camera_to_screen.apply(pose.distortion.undistort(seen)) - pts).T)
    assert err.max() / rig.device.px_per_mm[0] < 0.15  # mm, everywhere on the screen
    assert isinstance(RadialDistortion.from_list(pose.distortion.to_list()), RadialDistortion)
