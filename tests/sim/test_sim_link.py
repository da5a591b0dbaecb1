"""The twin's device link: adb's shape, optional capabilities, and no way to the truth."""

from __future__ import annotations

import numpy as np

from tapbot.core.clock import VirtualClock
from tapbot.sim import SimDeviceLink, SimPhone, SimPhoneOptions
from tapbot.sim.apps import layout as L

W, H = 1080, 2400


def _link() -> tuple[VirtualClock, SimPhone, SimDeviceLink]:
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    return clock, phone, SimDeviceLink(phone, clock)


def test_screenshot_is_pixel_exact_and_the_link_exposes_no_truth() -> None:
    clock, phone, link = _link()
    clock.advance_to(1.0)
    shot = link.screenshot()
    assert shot.shape == (H, W, 3)
    assert np.array_equal(shot, phone.screen_at(1.0, 1.0))
    public = {n for n in dir(link) if not n.startswith("_")}
    assert not any("truth" in n for n in public)
    assert link.boot_state() == "booted"


def test_show_image_stays_until_cleared_or_home() -> None:
    clock, phone, link = _link()
    pattern = np.zeros((H, W, 3), np.uint8)
    pattern[::100, :] = 255
    pattern[:, ::100] = (0, 0, 255)
    clock.advance_to(1.0)
    link.show_image(pattern)
    clock.advance_to(1.5)
    assert np.array_equal(link.screenshot(), pattern)
    clock.advance_to(3.0)
    assert np.array_equal(link.screenshot(), pattern)
    link.clear_image()
    clock.advance_to(3.1)
    assert phone.display_key(3.1).app == "Launcher"
    link.show_image(pattern)
    clock.advance_to(4.0)
    phone.touch_down(4.0, 0.5 * W, L.NAV_Y * H)  # home dismisses it
    phone.touch_up(4.05, 0.5 * W, L.NAV_Y * H)
    clock.advance_to(5.0)
    assert not np.array_equal(link.screenshot(), pattern)


def test_show_touches_draws_a_dot_where_the_finger_is() -> None:
    clock, phone, link = _link()
    x, y = 0.5 * W, 0.7 * H  # empty launcher space
    clock.advance_to(1.0)
    before = link.screenshot()
    link.set_show_touches(True)
    clock.advance_to(2.0)
    phone.touch_down(2.0, x, y)
    clock.advance_to(2.1)
    during = link.screenshot()
    phone.touch_up(2.2, x, y)
    clock.advance_to(2.5)
    assert np.array_equal(link.screenshot(), before)
    changed = np.nonzero(np.any(during != before, axis=2))
    assert len(changed[0]) > 500
    assert abs(changed[0].mean() - y) < 2 and abs(changed[1].mean() - x) < 2
    link.set_show_touches(False)
    phone.touch_down(3.0, x, y)
    clock.advance_to(3.1)
    assert np.array_equal(link.screenshot(), before)


def test_launch_app_and_log_lines_like_adb() -> None:
    clock, phone, link = _link()
    link.launch_app("Settings")
    clock.advance_to(1.0)
    assert phone.display_key(1.0).app == "Settings"
    assert link.log_lines(0.0) == []
    assert link.touch_events(0.0) == []
