"""The twin's screens drawn from cached pieces are the screens drawn whole, pixel for pixel.

Pages that scroll or load (browser, Settings, the Messages list) and transitions are composed
from pieces drawn once; ``render_screen(..., cached=False)`` draws every such page whole, the
way the composition claims to reproduce. Screens are compared at full size and at camera
scales, on every shipped profile, in an order that revisits states (cache hits) and after
other states (cache misses).
"""

from __future__ import annotations

import numpy as np
import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import SimPhone, SimPhoneOptions, load_profile, profile_names
from tapbot.sim.apps import layout as L
from tapbot.sim.apps.draw import DisplayKey, render_screen

STATUS = ("10:42", 64)


def _keys(full_w: int, full_h: int) -> list[DisplayKey]:
    br_max = round((L.BROWSER_CONTENT_H - (L.NAV_BAR_Y - L.PAGE_TOP)) * full_h)
    set_max = round(L.max_scroll(L.list_content_h(len(L.SETTINGS_ROWS), L.SETTINGS_ROW_H))
                    * full_h)
    msg_max = round(L.max_scroll(L.list_content_h(len(L.CONTACTS), L.LIST_ROW_H)) * full_h)
    flipped = tuple(not on for on in L.SETTINGS_DEFAULTS)
    contents = [
        ("Browser", (0, 0, 0, 0)), ("Browser", (0, 37, 0, 5)), ("Browser", (2, 99, 120, 30)),
        ("Browser", (1, None, 0, None)), ("Browser", (1, None, 333, None)),
        ("Browser", (1, None, br_max, None)),
        ("Browser", (3, None, round(L.BROWSER_CONTENT_H * full_h), None)),  # past the end
        ("Settings", (L.SETTINGS_DEFAULTS, 0)), ("Settings", (L.SETTINGS_DEFAULTS, 7)),
        ("Settings", (flipped, set_max)), ("Settings", (flipped, set_max + 90)),
        ("Messages", ("list", 0)), ("Messages", ("list", msg_max // 3)),
        ("Messages", ("list", msg_max + 200)),
    ]
    keys = [DisplayKey(app=app, content=c, status=STATUS) for app, c in contents]
    keys += [
        DisplayKey(app="Browser", content=(1, None, 333, None), status=STATUS,
                   transition=("open", "Launcher", (0,), 5, 18)),
        DisplayKey(app="Launcher", content=(0,), status=STATUS,
                   transition=("close", "Settings", (flipped, set_max), 3, 17)),
        DisplayKey(app="Messages", content=("list", 40), status=STATUS,
                   transition=("open", "Browser", (0, 50, 0, 7), 17, 18)),
        DisplayKey(app="Settings", content=(L.SETTINGS_DEFAULTS, 7), status=STATUS,
                   dialog=("crash", "Settings", False), glitch=("tear", 1)),
    ]
    return keys + keys[::-1]  # the second half revisits every state


@pytest.mark.parametrize("profile", profile_names())
@pytest.mark.parametrize("scale", [1.0, 0.2, 0.27])
def test_cached_pages_equal_pages_drawn_whole(profile: str, scale: float) -> None:
    full = load_profile(profile).screen_px
    w, h = round(full[0] * scale), round(full[1] * scale)
    for key in _keys(*full):
        cached = render_screen(key, w, h, full)
        whole = render_screen(key, w, h, full, cached=False)
        assert cached.shape == (h, w, 3)
        assert np.array_equal(cached, whole), (profile, scale, key)


def test_a_scrolled_list_shows_the_unscrolled_list_moved_up() -> None:
    """Hand-computed: at full size, Settings scrolled by s px shows in list row y the pixels
    the unscrolled list showed in row y + s (below the title's last row)."""
    full_w, full_h = load_profile("twin-phone").screen_px
    s = 150
    top = render_screen(DisplayKey(app="Settings", content=(L.SETTINGS_DEFAULTS, 0)),
                        full_w, full_h)
    moved = render_screen(DisplayKey(app="Settings", content=(L.SETTINGS_DEFAULTS, s)),
                          full_w, full_h)
    y0, y1 = round(L.LIST_TOP * full_h) + 1, round(L.NAV_BAR_Y * full_h)
    assert np.array_equal(moved[y0:y1 - s], top[y0 + s:y1])
    assert np.array_equal(moved[:y0], top[:y0])  # the title does not scroll
    assert not np.array_equal(moved[y0:y1], top[y0:y1])


def test_the_phone_s_frames_equal_frames_drawn_whole_while_a_page_loads_and_scrolls() -> None:
    """Every refresh of a real session (browser load, fling, Settings fling) at camera scale."""
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    w_full, h_full = phone.profile.screen_px
    scale = 0.25
    w, h = round(w_full * scale), round(h_full * scale)

    def tap(t: float, fx: float, fy: float) -> None:
        clock.advance_to(t)
        phone.touch_down(t, fx * w_full, fy * h_full)
        phone.touch_up(t + 0.05, fx * w_full, fy * h_full)

    def fling(t: float) -> None:
        clock.advance_to(t)
        phone.touch_down(t, 0.5 * w_full, 0.8 * h_full)
        for k in range(1, 6):
            phone.touch_move(t + 0.02 * k, 0.5 * w_full, (0.8 - 0.05 * k) * h_full)
        phone.touch_up(t + 0.1, 0.5 * w_full, 0.55 * h_full)

    tap(1.0, *L.icon_center(3))  # Browser: loads, then a fling
    fling(6.0)
    tap(9.0, L.NAV_X["home"], L.NAV_Y)
    tap(10.0, *L.icon_center(5))  # Settings
    fling(11.0)
    clock.advance_to(14.0)
    hz = phone.profile.refresh_hz
    seen = set()
    for k in range(round(1.0 * hz), round(13.5 * hz)):
        t = k / hz
        key = phone.display_key(t)
        if key in seen:
            continue
        seen.add(key)
        whole = render_screen(key, w, h, (w_full, h_full), cached=False)
        assert np.array_equal(phone.screen_at(t, scale), whole), key
    apps = {k.app for k in seen}
    assert {"Browser", "Settings", "Launcher"} <= apps
    assert any(k.app == "Browser" and k.content[1] is not None for k in seen)  # loading
    assert len({k.content[2] for k in seen if k.app == "Browser"}) > 5  # scrolled
    assert len({k.content[1] for k in seen if k.app == "Settings"}) > 5
