"""Saved calibrations: versioned JSON per rig and device; runs refuse stale or foreign ones."""

from __future__ import annotations

import json

import pytest

from tapbot.calibrate import calibration_path, save_calibration
from tapbot.core import Calibration, CalibrationError
from tapbot.core.calibration import ProbePoint, profile_fingerprint
from tapbot.devices.profile import DeviceProfile
from tapbot.rig import build_rig

DAY = 86400.0


def _cal(**kw) -> Calibration:
    base = dict(rig="bench-1", device="twin-phone",
                screen_to_robot=[[0.063, 0, 40], [0, 0.063, 30], [0, 0, 1]],
                camera_to_screen=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                contact_z_mm=-0.06, clearance_z_mm=3.0, created_at=1_000_000.0,
                profile=profile_fingerprint(DeviceProfile()), glass_plane=(0.0, 0.0, 0.04),
                points=[ProbePoint(screen_px=(1.0, 2.0), robot_mm=(40.1, 30.1), z_mm=0.04,
                                   residual_mm=0.03)])
    return Calibration(**{**base, **kw})


def test_saved_per_rig_and_device_and_loaded_back_with_points(tmp_path):
    cal = _cal()
    path = save_calibration(cal, root=tmp_path)
    assert path == tmp_path / "bench-1" / "twin-phone.json"
    assert calibration_path("bench 1/x", "a:b", tmp_path) == tmp_path / "bench_1_x" / "a_b.json"
    back = Calibration.load(path)
    assert back == cal and back.points[0].residual_mm == 0.03
    assert json.loads(path.read_text())["version"] == 2


def test_a_version_1_file_is_outdated(tmp_path):
    raw = json.loads(_cal().model_dump_json())
    raw["version"] = 1
    (tmp_path / "c.json").write_text(json.dumps(raw))
    with pytest.raises(CalibrationError, match="version 1 is not 2") as e:
        Calibration.load(tmp_path / "c.json")
    assert "tapbot calibrate" in e.value.hint


@pytest.mark.parametrize("kw, now, message", [
    ({"rig": "bench-2"}, 1_000_000.0, "made for rig 'bench-2'"),
    ({"device": "pixel"}, 1_000_000.0, "made for device 'pixel'"),
    ({"profile": "0123456789abcdef"}, 1_000_000.0, "another profile"),
    ({}, 1_000_000.0 + 31 * DAY, "31.0 days old"),
    ({"created_at": None}, 1_000_000.0, "no creation time"),
])
def test_stale_or_foreign_calibrations_are_refused(kw, now, message):
    cal = _cal(**kw)
    with pytest.raises(CalibrationError, match=message) as e:
        cal.check_fresh(rig="bench-1", device="twin-phone",
                        profile=profile_fingerprint(DeviceProfile()), now=now,
                        max_age_s=30 * DAY)
    assert "tapbot calibrate" in e.value.hint


def test_fresh_calibration_passes_and_age_limit_can_be_off():
    cal = _cal()
    kw = dict(rig="bench-1", device="twin-phone", profile=profile_fingerprint(DeviceProfile()))
    cal.check_fresh(now=1_000_000.0 + 29 * DAY, max_age_s=30 * DAY, **kw)
    cal.check_fresh(now=1_000_000.0 + 900 * DAY, max_age_s=None, **kw)


def test_a_rig_refuses_an_old_calibration_file_and_says_how_to_make_one(tmp_path):
    save_calibration(_cal(rig="twin", created_at=1.0), tmp_path / "cal.json")
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text("calibration:\n  type: file\n  path: cal.json\n  max_age_days: 7\n")
    with pytest.raises(CalibrationError, match="days old") as e:
        build_rig(rig_file)
    assert "cal.json" in str(e.value) and "tapbot calibrate" in e.value.hint
    rig_file.write_text("calibration:\n  type: file\n  path: cal.json\n  max_age_days: null\n")
    rig = build_rig(rig_file)
    assert rig.calibration.contact_z_mm == -0.06
