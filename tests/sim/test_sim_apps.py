"""The twin's apps and system UI, driven by touches in screen px and checked against the layout.

Expected values are computed by hand from the layout fractions (tapbot.sim.apps.layout) and
the motion laws documented in docs/twin-phone.md.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import SimPhone, SimPhoneOptions, SystemUiOptions
from tapbot.sim.apps import layout as L

W, H = 1080, 2400


def _phone(**ui) -> tuple[VirtualClock, SimPhone]:
    clock = VirtualClock()
    opts = SimPhoneOptions(system_ui=SystemUiOptions(**ui))
    return clock, SimPhone(opts, clock)


def _tap(phone: SimPhone, clock: VirtualClock, t: float, fx: float, fy: float,
         hold: float = 0.05) -> None:
    clock.advance_to(t)
    phone.touch_down(t, fx * W, fy * H)
    clock.advance_to(t + hold)
    phone.touch_up(t + hold, fx * W, fy * H)


def _swipe(phone: SimPhone, clock: VirtualClock, t: float, a: tuple[float, float],
           b: tuple[float, float], duration: float, steps: int = 20) -> float:
    """A straight swipe from a to b (fractions) at constant speed; returns the lift time."""
    clock.advance_to(t)
    phone.touch_down(t, a[0] * W, a[1] * H)
    for i in range(1, steps + 1):
        u = i / steps
        ti = t + duration * u
        clock.advance_to(ti)
        x, y = (a[0] + (b[0] - a[0]) * u) * W, (a[1] + (b[1] - a[1]) * u) * H
        if i < steps:
            phone.touch_move(ti, x, y)
        else:
            phone.touch_move(ti, x, y)
            phone.touch_up(ti, x, y)
    return t + duration


def _key(phone: SimPhone, clock: VirtualClock, t: float):
    clock.advance_to(max(clock.now(), t))
    return phone.display_key(t)


def test_keyboard_keys_register_by_touch_position_and_send_posts_the_text() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(2))  # Messages
    _tap(phone, clock, 2.0, 0.5, L.LIST_TOP + 1.5 * L.LIST_ROW_H)  # second row: Bob
    t = 3.0
    for ch in "hi yo":
        _tap(phone, clock, t, *L.key_center(ch))
        t += 0.3
    # key edges: row 1 keys are 10 % wide from x = 0; x = 0.099 is q, 0.101 is w
    y1 = L.KEYBOARD_TOP + 0.5 * L.KEY_ROW_H
    _tap(phone, clock, t, 0.099, y1)
    _tap(phone, clock, t + 0.3, 0.101, y1)
    _tap(phone, clock, t + 0.6, *L.key_center("del"))
    key = _key(phone, clock, t + 1.5)
    assert key.app == "Messages"
    assert key.content == ("compose", "Bob", (), "hi yoq", None)
    _tap(phone, clock, t + 2.0, (L.MSG_SEND[0] + L.MSG_SEND[2]) / 2, 0.535)
    key = _key(phone, clock, t + 3.0)
    assert key.content == ("compose", "Bob", ("hi yoq",), "", None)
    targets = [tt.target for tt in phone.truth.touches]
    assert targets[2:9] == ["key:h", "key:i", "key: ", "key:y", "key:o", "key:q", "key:w"]
    assert targets[-1] == "msg:send"


def test_a_held_letter_shows_its_preview_until_a_moment_after_the_lift() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(2))  # Messages
    _tap(phone, clock, 2.0, 0.5, L.LIST_TOP + 0.5 * L.LIST_ROW_H)  # Alice
    _tap(phone, clock, 3.0, *L.key_center("i"), hold=0.2)
    _tap(phone, clock, 4.0, *L.key_center(" "), hold=0.2)
    _tap(phone, clock, 5.0, *L.key_center("del"), hold=0.2)
    clock.advance_to(6.0)
    i, space, _ = [r for r in phone.truth.responses if r.what.startswith("key:")]
    period = 1 / phone.profile.refresh_hz
    # the press reaction took i.latency_s; the lift is heard as long after it (t = 3.2 + lag)
    lift_seen = math.ceil((3.2 + (i.t_ready - 3.0)) / period - 1e-6) * period
    hidden = lift_seen + L.KEY_PREVIEW_LINGER_S

    def preview(t: float):
        return phone.display_key(t).content[4]

    assert preview(i.t_visible - 0.001) is None
    assert preview(i.t_visible + 0.001) == "i"  # with the character, on the same refresh
    assert phone.display_key(i.t_visible + 0.001).content[3] == "i"
    assert preview(3.19) == "i"  # held
    assert preview(hidden - period - 0.001) == "i"  # lingering after the lift
    assert preview(hidden + period) is None
    # space and backspace show none (Gboard's default), but still type and erase
    assert preview(space.t_visible + 0.001) is None
    assert phone.display_key(space.t_visible + 0.001).content[3] == "i "
    assert phone.display_key(5.9).content[3:] == ("i", None)


def test_a_letter_pressed_during_a_freeze_shows_no_preview_at_all() -> None:
    clock = VirtualClock()
    opts = SimPhoneOptions(faults={"schedule": [
        {"kind": "freeze", "at_s": 2.8, "duration_s": 1.0}]})
    phone = SimPhone(opts, clock)
    _tap(phone, clock, 1.0, *L.icon_center(2))  # Messages
    _tap(phone, clock, 2.0, 0.5, L.LIST_TOP + 0.5 * L.LIST_ROW_H)  # Alice
    _tap(phone, clock, 3.0, *L.key_center("i"))
    clock.advance_to(6.0)
    (frozen,) = [f for f in phone.truth.faults if f.kind == "freeze"]
    assert frozen.t_start <= 3.0 <= frozen.t_end
    assert phone.truth.touches[-1].target == "ignored:freeze"
    assert all(phone.display_key(t).content[3:] == ("", None)
               for t in np.arange(2.9, 6.0, 1 / 120))


def test_dialer_call_timer_runs_and_hang_up_returns_to_the_keypad() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(6))  # Dialer
    for i, k in enumerate("5550"):
        idx = L.DIALER_KEYS.index(k)
        _tap(phone, clock, 2.0 + 0.3 * i, L.DIALER_COLS[idx % 3], L.DIALER_ROWS[idx // 3])
    _tap(phone, clock, 4.0, *L.DIALER_CALL)
    clock.advance_to(20.0)
    call = next(r for r in phone.truth.responses if r.what == "dial:call")
    # the timer shows whole seconds since the call screen appeared
    assert phone.display_key(call.t_visible + 0.01).content == ("5550", 0, False, False)
    assert phone.display_key(call.t_visible + 7.5).content == ("5550", 7, False, False)
    # mute and speaker toggle, each on its own button; hanging up clears both
    _tap(phone, clock, 20.0, *L.CALL_MUTE)
    _tap(phone, clock, 20.5, *L.CALL_SPEAKER)
    _tap(phone, clock, 21.0, *L.CALL_MUTE)
    assert [r.what for r in phone.truth.responses[-3:]] == ["call:mute", "call:speaker",
                                                           "call:mute"]
    assert _key(phone, clock, 20.4).content[2:] == (True, False)
    assert _key(phone, clock, 20.9).content[2:] == (True, True)
    assert _key(phone, clock, 21.4).content[2:] == (False, True)
    _tap(phone, clock, 22.0, *L.CALL_HANGUP)
    assert _key(phone, clock, 23.0).content == ("", None)


def test_launcher_swipes_between_pages_and_page_two_opens_its_apps() -> None:
    clock, phone = _phone()
    assert _key(phone, clock, 0.5).content == (0,)
    t_up = _swipe(phone, clock, 1.0, (0.8, 0.6), (0.2, 0.6), 0.2)
    # mid-swipe the pages follow the finger (half way: 0.3 W moved)
    mid = phone.display_key(1.1 + 0.05)
    assert 0 < mid.content[0] < W
    assert _key(phone, clock, t_up + 1.0).content == (W,)  # snapped to page 2
    assert phone.truth.touches[0].target == "drag:launcher"
    assert [r.what for r in phone.truth.responses] == ["launcher follows the finger"]
    _tap(phone, clock, 3.0, *L.icon_center(0))  # first icon of page 2
    assert _key(phone, clock, 4.0).app == "Notes"
    # home goes back to page 1 of the launcher
    _tap(phone, clock, 5.0, 0.5, L.NAV_Y)
    assert _key(phone, clock, 6.0).content == (0,)
    # a short, slow swipe snaps back
    t_up = _swipe(phone, clock, 7.0, (0.6, 0.6), (0.45, 0.6), 1.0)  # 162 px/s: no fling
    assert _key(phone, clock, t_up + 1.0).content == (0,)


@pytest.mark.parametrize("profile", ["twin-phone", "twin-classic"])
def test_tapping_an_app_s_label_opens_it_like_its_icon(profile: str) -> None:
    """Icon and label are one target (a real launcher's cell): OCR finds the label."""
    for i, name in enumerate(L.LAUNCHER_APPS):
        clock = VirtualClock()
        phone = SimPhone(SimPhoneOptions(profile=profile), clock)
        w, h = phone.profile.screen_px
        fx, fy = L.icon_label_center(i, h / w)
        assert fy > L.icon_center(i)[1] + L.ICON_SIZE_W * w / h / 2  # below the icon
        clock.advance_to(1.0)
        phone.touch_down(1.0, fx * w, fy * h)
        clock.advance_to(1.05)
        phone.touch_up(1.05, fx * w, fy * h)
        clock.advance_to(3.0)
        (touch,) = phone.truth.touches
        assert touch.target == f"launcher:{name}"
        (resp,) = phone.truth.responses
        assert (resp.t_touch, resp.what, resp.app) == (1.0, f"open {name}", name)
        assert phone.display_key(3.0).app == name


def test_between_two_cells_and_below_a_label_nothing_opens() -> None:
    clock, phone = _phone()
    _, label_y = L.icon_label_center(0, H / W)
    misses = [(0.25, label_y),  # between Counter's and Video's cells
              (L.icon_center(0)[0], label_y + 0.04 * W / H)]  # under the label
    for k, (fx, fy) in enumerate(misses):
        _tap(phone, clock, 1.0 + k, fx, fy)
    clock.advance_to(4.0)
    assert [t.target for t in phone.truth.touches] == ["none", "none"]
    assert phone.truth.responses == []
    assert phone.display_key(4.0).app == L.LAUNCHER


@pytest.mark.parametrize("profile", ["twin-phone", "twin-classic", "twin-max", "twin-mini"])
def test_each_label_is_drawn_inside_its_icon_s_tap_target(profile: str) -> None:
    """The drawn label's light pixels lie in the target; none cross into the next column."""
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(profile=profile), clock)
    w, h = phone.profile.screen_px
    img = phone.screen_at(0.0, 1.0).astype(int)
    for i in range(len(L.LAUNCHER_APPS)):
        cx, cy = L.icon_center(i)
        x0, y0, x1, y1 = L.icon_target(i, h / w)
        # the column's band below the icon, down to the next row's icons (or 0.46 H)
        ya = round((cy + L.ICON_SIZE_W * w / h / 2) * h) + 2
        yb = round((L.ICON_ROWS[1] - L.ICON_SIZE_W * w / h / 2) * h) if i < 4 else \
            round(0.46 * h)
        xa, xb = round((cx - 0.125) * w), round((cx + 0.125) * w)
        band = img[ya:yb, xa:xb]
        light = band[:, :, 1] > 100  # background green is 40, the label's 240
        ys, xs = np.nonzero(light)
        assert len(ys) > 50, (profile, i)
        assert not light[:, 0].any() and not light[:, -1].any(), (profile, i)
        assert x0 * w <= xa + xs.min() and xa + xs.max() <= x1 * w, (profile, i)
        assert y0 * h <= ya + ys.min() and ya + ys.max() <= y1 * h, (profile, i)
    for i in range(4):  # the targets of the two rows do not overlap
        assert L.icon_target(i, h / w)[3] < L.icon_target(i + 4, h / w)[1]


def test_scroll_follows_the_finger_and_coasts_with_momentum_after_lift() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(5))  # Settings
    # drag up 150 px in 0.1 s (10 moves of 15 px): 1500 px/s at the lift
    t_up = _swipe(phone, clock, 2.0, (0.5, 0.70), (0.5, 0.70 - 150 / H), 0.1, steps=10)
    clock.advance_to(t_up + 3.0)
    pos = [phone.display_key(t_up + d).content[1] for d in (0.0, 0.1, 0.3, 0.6, 2.0, 2.9)]
    # still moving after the lift, slowing down, then at rest
    assert pos[1] > pos[0] and pos[2] > pos[1] and pos[3] >= pos[2]
    assert pos[2] - pos[1] > pos[3] - pos[2]
    assert pos[4] == pos[5]
    # hand-computed: the drag starts at the first move past the 21.6 px slop (30 px), so the
    # finger carried the list 150 - 30 = 120 px; the glide is v0 * tau * (1 - v_stop / v0)
    v0 = 1500.0
    glide = v0 * 0.325 * (1 - 40.0 / v0)
    assert pos[5] == pytest.approx(120 + glide, abs=2)


def test_lock_screen_unlocks_with_a_swipe_up_only() -> None:
    clock, phone = _phone(start="locked")
    assert _key(phone, clock, 0.5).app == "Lock"
    _tap(phone, clock, 1.0, 0.5, 0.5)  # a tap does nothing
    t_up = _swipe(phone, clock, 2.0, (0.5, 0.85), (0.5, 0.78), 0.4)  # too short, too slow
    assert _key(phone, clock, t_up + 1.0).app == "Lock"
    assert _key(phone, clock, t_up + 1.0).content[1] == 0  # snapped back down
    t_up = _swipe(phone, clock, 5.0, (0.5, 0.85), (0.5, 0.45), 0.2)
    mid = phone.display_key(t_up - 0.05)
    assert mid.app == "Lock" and mid.content[1] > 0.1 * H  # lifted with the finger
    assert _key(phone, clock, t_up + 1.0).app == "Launcher"


def test_browser_load_shows_a_progress_bar_of_variable_duration_then_the_page() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(3))  # Browser
    durations = []
    t = 1.0
    for _ in range(4):
        clock.advance_to(t + 5.0)
        open_r = next(r for r in phone.truth.responses if r.t_touch == t)
        keys = [phone.display_key(open_r.t_visible + k / 60) for k in range(0, 300)]
        progress = [k.content[1] for k in keys]
        assert progress[0] is not None and progress[0] < 50
        loaded = progress.index(None)
        assert all(p is not None for p in progress[:loaded])
        assert progress[:loaded] == sorted(progress[:loaded])  # the bar only grows
        spin = [k.content[3] for k in keys]  # the spinner turns until the page is there
        assert all(spin[i + 6] != spin[i] for i in range(loaded - 6))  # every 100 ms
        assert set(spin[loaded:]) == {None}
        durations.append(loaded)
        t = t + 5.0
        _tap(phone, clock, t, *L.RELOAD)
    assert len(set(durations)) > 1


def test_game_scores_only_when_the_ball_is_hit_and_video_pauses() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(7))  # Game
    clock.advance_to(3.0)
    key = phone.display_key(3.0)
    assert key.content[1] == 0
    t = 3.0
    bx, by = L.game_ball(phone.display_key(t).content[0])
    _tap(phone, clock, t, bx, by)
    miss_x = bx + 0.3 if bx < 0.5 else bx - 0.3
    _tap(phone, clock, t + 0.5, miss_x, by)
    assert _key(phone, clock, 5.0).content[1] == 1
    assert [tt.target for tt in phone.truth.touches[-2:]] == ["game:hit", "game:miss"]
    frames = {phone.display_key(5.0 + k / 60).content[0] for k in range(12)}
    assert len(frames) >= 5  # continuous animation at 30 fps


def test_music_plays_and_its_clock_advances() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(4))  # Music
    _tap(phone, clock, 2.0, *L.MUSIC_BUTTONS["play"])
    clock.advance_to(20.0)
    play = next(r for r in phone.truth.responses if r.t_touch == 2.0)
    track, playing, elapsed, _ = phone.display_key(play.t_visible + 10.5).content
    assert (track, playing, elapsed) == (0, True, 10)
    _tap(phone, clock, 20.0, *L.MUSIC_BUTTONS["next"])
    assert _key(phone, clock, 21.0).content[0] == 1


def test_music_pauses_when_it_goes_to_the_background_and_reopens_paused() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(4))  # Music
    _tap(phone, clock, 2.0, *L.MUSIC_BUTTONS["play"])
    _tap(phone, clock, 12.0, L.NAV_X["home"], L.NAV_Y)
    clock.advance_to(14.0)
    home = next(r for r in phone.truth.responses if r.t_touch == 12.0)
    _tap(phone, clock, 30.0, *L.icon_center(4))  # back to Music 18 s later
    track, playing, elapsed, _ = _key(phone, clock, 32.0).content
    play = next(r for r in phone.truth.responses if r.t_touch == 2.0)
    assert (track, playing) == (0, False)
    assert elapsed == math.floor(home.t_visible - play.t_visible)  # where it was left


def test_settings_rows_toggle_and_scroll_changes_which_row_is_hit() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(5))
    row_y = L.LIST_TOP + 2.5 * L.SETTINGS_ROW_H  # "Airplane mode"
    _tap(phone, clock, 2.0, 0.5, row_y)
    toggles = _key(phone, clock, 3.0).content[0]
    assert toggles[2] is (not L.SETTINGS_DEFAULTS[2])
    assert phone.truth.touches[-1].target == "set:toggle:2"


def test_app_open_and_close_animate_for_about_300_ms() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, *L.icon_center(0))
    clock.advance_to(3.0)
    resp = phone.truth.responses[0]
    v = resp.t_visible
    frames = [phone.display_key(v + k / 60) for k in range(25)]
    animated = [k for k in frames if k.transition is not None]
    assert len(animated) == round(0.30 * 60)  # one key per refresh for 300 ms
    assert animated[0].transition[:2] == ("open", "Launcher")
    assert frames[len(animated)].transition is None
    first = phone.screen_at(v, 0.2)
    before = phone.screen_at(v - 1e-3, 0.2)
    final = phone.screen_at(v + 1.0, 0.2)
    assert not np.array_equal(first, before) and not np.array_equal(first, final)
    assert np.array_equal(phone.screen_at(v + 0.31, 0.2), final)


def test_status_bar_clock_ticks_every_simulated_minute_and_battery_drains() -> None:
    clock, phone = _phone(clock_start="09:58", battery_drain_pct_per_hour=6.0)
    clock.advance_to(3 * 3600.0)
    assert phone.display_key(59.9).status == ("09:58", 87)
    assert phone.display_key(60.0).status == ("09:59", 87)
    assert phone.display_key(120.0).status == ("10:00", 87)
    assert phone.display_key(600.0).status == ("10:08", 86)  # 6 %/h: 1 % per 10 min
    fixed = _phone(clock_ticks=False)[1]
    assert fixed.display_key(3600.0).status == ("12:00", 87)


def test_notifications_slide_in_at_seeded_random_times_and_leave() -> None:
    clock, phone = _phone(notifications_per_hour=120)
    seen = []
    for k in range(600 * 20):
        t = k / 20
        clock.advance_to(t)
        n = phone.display_key(t).notif
        if n is not None:
            seen.append((t, n[1]))
    assert seen, "no notification in 10 min at 120 per hour"
    # each one slides in (permille grows), stays fully in, and slides out within 4.5 s
    first_t = seen[0][0]
    run = [p for t, p in seen if first_t <= t < first_t + 4.6]
    assert run[0] < 1000 and 1000 in run
    assert max(t for t, _ in seen if t < first_t + 10) - first_t <= 4.5 + 1e-6


def _avg_colour(img: np.ndarray, fx: float, fy: float) -> np.ndarray:
    h, w = img.shape[:2]
    return img[round(fy * h), round(fx * w)].astype(int)


@pytest.mark.parametrize("profile", ["twin-mini", "twin-max", "twin-classic"])
def test_every_app_draws_in_fractions_of_any_screen(profile: str) -> None:
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(profile=profile), clock)
    w, h = phone.profile.screen_px
    img = phone.screen_at(0.0, 0.5)
    assert img.shape == (round(h * 0.5), round(w * 0.5), 3)
    for i, name in enumerate(L.LAUNCHER_APPS):
        cx, cy = L.icon_center(i)
        b, g, r = _avg_colour(img, cx - 0.06, cy)  # inside the icon, left of its letter
        assert (b, g, r) == pytest.approx(L.ICON_COLOURS[name], abs=2), name
    # the counter's + button answers where the layout says, at this size
    clock.advance_to(1.0)
    phone.touch_down(1.0, L.icon_center(0)[0] * w, L.icon_center(0)[1] * h)
    phone.touch_up(1.05, L.icon_center(0)[0] * w, L.icon_center(0)[1] * h)
    clock.advance_to(2.0)
    phone.touch_down(2.0, L.COUNTER_BUTTON[0] * w, L.COUNTER_BUTTON[1] * h)
    phone.touch_up(2.05, L.COUNTER_BUTTON[0] * w, L.COUNTER_BUTTON[1] * h)
    clock.advance_to(3.0)
    assert phone.display_key(3.0).content == (1,)
    assert math.isclose(phone.truth.responses[-1].t_visible * phone.profile.refresh_hz,
                        round(phone.truth.responses[-1].t_visible * phone.profile.refresh_hz),
                        abs_tol=1e-6)


@pytest.mark.parametrize(("app", "icon", "target", "median_ms"), [
    ("Counter", 0, L.COUNTER_BUTTON, 70.0),
    ("Dialer", 6, (L.DIALER_COLS[0], L.DIALER_ROWS[0]), 60.0),
    ("Game", 7, None, 40.0),
])
def test_each_app_answers_with_its_own_latency_distribution(app, icon, target, median_ms) -> None:
    clock, phone = _phone(transitions=False)
    _tap(phone, clock, 1.0, *L.icon_center(icon))
    t = 2.0
    for i in range(300):
        if app == "Dialer" and i % 2 == 1:  # key, delete, key, ...: never full
            _tap(phone, clock, t, *L.DIALER_DEL)
        elif app == "Game":
            _tap(phone, clock, t, *L.game_ball(phone.display_key(t).content[0]))
        else:
            _tap(phone, clock, t, *target)
        t += 0.5
    clock.advance_to(t + 1.0)
    ready = [r.t_ready - r.t_touch for r in phone.truth.responses if r.app == app and
             r.t_touch >= 2.0]
    assert len(ready) >= 250
    assert float(np.median(ready)) * 1000 == pytest.approx(median_ms, rel=0.1)
    assert all(r.t_visible >= r.t_ready for r in phone.truth.responses)
