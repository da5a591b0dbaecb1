"""Device profiles: shipped as data, chosen in the rig config, bad ones named by field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tapbot.core.clock import VirtualClock
from tapbot.core.errors import ConfigError
from tapbot.rig import build_rig
from tapbot.sim import SimPhone, SimPhoneOptions, load_profile, profile_names
from tapbot.sim.profiles import parse_profile


def test_at_least_three_profiles_of_different_size_aspect_and_refresh() -> None:
    profiles = [load_profile(n) for n in profile_names()]
    assert len(profiles) >= 3
    assert {60.0, 90.0, 120.0} <= {p.refresh_hz for p in profiles}
    assert len({p.screen_px for p in profiles}) == len(profiles)
    assert len({round(p.screen_px[1] / p.screen_px[0], 2) for p in profiles}) >= 3
    for p in profiles:  # physical size agrees with the pixels: square pixels within 3 %
        sx, sy = p.px_per_mm
        assert sx == pytest.approx(sy, rel=0.03), p.name
        assert set(p.buttons) == {"back", "home", "recents"}


def test_the_default_profile_is_the_shipped_twin_phone() -> None:
    assert SimPhoneOptions().profile == load_profile("twin-phone")


def test_a_phone_takes_a_profile_by_name() -> None:
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(profile="twin-max"), clock)
    assert phone.profile.screen_px == (1440, 3120)
    assert phone.screen_at(0.0, 0.25).shape == (780, 360, 3)
    with pytest.raises(ValidationError, match=r"unknown device profile 'nope'.*twin-mini"):
        SimPhoneOptions(profile="nope")


@pytest.mark.parametrize(("text", "where", "field"), [
    ("name: x\nscreen_px: [0, 2400]\nscreen_mm: [68, 151]\n", ":2", "screen_px"),
    ("name: x\nscreen_px: [1080, 2400]\nscreen_mm: [68, -1]\n", ":3", "screen_mm"),
    ("name: x\nscreen_px: [1080, 2400]\nscreen_mm: [68, 151]\nrefresh_hz: 0\n", ":4",
     "refresh_hz"),
    ("name: x\nscreen_px: [1080, 2400]\nscreen_mm: [68, 151]\nbuttons:\n"
     "  home: [540, 9999]\n", ":4", "buttons"),
    ("name: x\nscreen_px: [1080, 2400]\nsize: 3\n", ":3", "size"),
    ("name: [unclosed\n", ":", "malformed"),
])
def test_bad_profiles_name_file_line_and_field(text: str, where: str, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_profile(text, "phones/x.yaml")
    msg = str(err.value)
    assert f"phones/x.yaml{where}" in msg and field in msg


def test_rig_config_chooses_a_profile_by_name_or_inline(tmp_path) -> None:
    path = tmp_path / "rig.yaml"
    path.write_text("devices:\n  - type: sim\n    profile: twin-mini\n")
    rig = build_rig(path)
    assert rig.device.screen_px == (720, 1600) and rig.device.refresh_hz == 90
    path.write_text("devices:\n  - type: sim\n    profile: phablet\n")
    with pytest.raises(ConfigError, match=r"rig.yaml:3.*profile.*phablet"):
        build_rig(path)
    path.write_text("devices:\n  - type: sim\n    profile:\n      name: flat\n"
                    "      screen_px: [1080, 0]\n      screen_mm: [60, 120]\n")
    with pytest.raises(ConfigError, match=r"rig.yaml:\d.*screen_px"):
        build_rig(path)
