import json

import pytest

from tapbot.core import Calibration, CalibrationError, ConfigError, PointPx, TapbotError


def test_errors_carry_stable_codes_and_advice():
    err = ConfigError("rig.yaml:3: robot.type 'x' is unknown", hint="pick one")
    assert isinstance(err, TapbotError)
    assert str(err) == "TB100: rig.yaml:3: robot.type 'x' is unknown (pick one)"


def _cal() -> Calibration:
    return Calibration(screen_to_robot=[[0.063, 0, 40], [0, 0.063, 30], [0, 0, 1]],
                       camera_to_screen=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                       contact_z_mm=0.0, clearance_z_mm=3.0)


def test_calibration_maps_screen_px_to_robot_mm(tmp_path):
    cal = _cal()
    p = cal.screen_to_robot_mm(PointPx(1000, 2000))
    assert (p.x, p.y) == pytest.approx((103.0, 156.0))
    cal.save(tmp_path / "cal.json")
    assert Calibration.load(tmp_path / "cal.json") == cal


def test_missing_outdated_or_broken_calibration_says_how_to_make_one(tmp_path):
    with pytest.raises(CalibrationError, match="tapbot calibrate"):
        Calibration.load(tmp_path / "none.json")
    old = json.loads(_cal().model_dump_json())
    old["version"] = 0
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(CalibrationError, match="version 0"):
        Calibration.load(tmp_path / "old.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CalibrationError, match="unreadable"):
        Calibration.load(tmp_path / "bad.json")
