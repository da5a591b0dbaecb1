"""Every fault kind: its ground-truth window and its visible effect at the right times.

A twin without the fault, fed the same touches with the same seed, is the reference: outside a
fault's window the two phones must show identical screens.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import ValidationError

from tapbot.core.clock import VirtualClock
from tapbot.sim import FAULT_KINDS, FaultEvent, FaultOptions, SimDeviceLink, SimPhone
from tapbot.sim import SimPhoneOptions as Opts
from tapbot.sim.apps import layout as L
from tapbot.sim.apps.draw import slide_shown

W, H = 1080, 2400
HZ = 60.0
COUNTER_ICON = L.icon_center(0)


def _phone(*events: dict, seed: int = 0, **fault_kw) -> tuple[VirtualClock, SimPhone]:
    clock = VirtualClock()
    faults = FaultOptions(schedule=[FaultEvent(**e) for e in events], **fault_kw)
    return clock, SimPhone(Opts(seed=seed, faults=faults), clock)


def _tap(phone: SimPhone, clock: VirtualClock, t: float, f: tuple[float, float],
         hold: float = 0.05) -> None:
    clock.advance_to(t)
    phone.touch_down(t, f[0] * W, f[1] * H)
    clock.advance_to(t + hold)
    phone.touch_up(t + hold, f[0] * W, f[1] * H)


def _counter_session(phone: SimPhone, clock: VirtualClock, taps: int = 6) -> None:
    _tap(phone, clock, 1.0, COUNTER_ICON)
    for i in range(taps):
        _tap(phone, clock, 3.0 + i, L.COUNTER_BUTTON)


def test_stall_slows_one_response_by_the_set_amount() -> None:
    clock, phone = _phone({"kind": "stall", "at_s": 4.5, "amount": 0.8})
    ref_clock, ref = _phone()
    for p, c in ((phone, clock), (ref, ref_clock)):
        _counter_session(p, c)
        c.advance_to(12.0)
    got = {r.t_touch: r for r in phone.truth.responses}
    want = {r.t_touch: r for r in ref.truth.responses}
    # the first reaction after 4.5 s is the tap at 5.0 s: 0.8 s slower (same latency draw)
    assert got[5.0].t_ready - want[5.0].t_ready == pytest.approx(0.8)
    for t in (3.0, 4.0, 6.0, 7.0, 8.0):
        assert got[t].t_ready == pytest.approx(want[t].t_ready)
    (fault,) = phone.truth.faults
    assert (fault.kind, fault.t_start, fault.t_end) == ("stall", 5.0, got[5.0].t_visible)
    assert fault.app == "Counter" and fault.details["extra_s"] == 0.8


def test_anr_dialog_says_isnt_responding_and_wait_keeps_the_app() -> None:
    clock, phone = _phone({"kind": "anr", "at_s": 2.5, "app": "Counter"})
    link = SimDeviceLink(phone, clock)
    _tap(phone, clock, 1.0, COUNTER_ICON)
    clock.advance_to(3.0)
    key = phone.display_key(3.0)
    assert key.dialog == ("anr", "Counter", False)
    lines = [s for _, s in link.log_lines(0.0)]
    assert any("ANR in com.twin.counter" in s for s in lines)
    _tap(phone, clock, 4.0, (0.3, 0.55))  # "Wait", left half of the button row
    clock.advance_to(5.0)
    key = phone.display_key(5.0)
    assert (key.app, key.dialog) == ("Counter", None)
    (fault,) = phone.truth.faults
    assert fault.kind == "anr" and fault.t_start == 2.5
    assert fault.t_end == phone.truth.responses[-1].t_visible


def test_second_crash_within_a_minute_keeps_stopping_and_close_app_goes_home() -> None:
    clock, phone = _phone({"kind": "crash", "at_s": 3.0}, {"kind": "crash", "at_s": 30.0},
                          {"kind": "crash", "at_s": 120.0})
    for t_open, t_close in ((1.0, 5.0), (25.0, 32.0), (110.0, 122.0)):
        _tap(phone, clock, t_open, COUNTER_ICON)
        clock.advance_to(t_close - 0.5)
        assert phone.display_key(t_close - 0.5).dialog_app == "Counter"
        _tap(phone, clock, t_close, (0.8, 0.55))  # "Close app"
        clock.advance_to(t_close + 1.0)
        assert phone.display_key(t_close + 1.0).app == "Launcher"
    again = [f.details.get("again", False) for f in phone.truth.faults]
    assert again == [False, True, False]  # 27 s after the first; 90 s after the second
    assert [f.kind for f in phone.truth.faults] == ["crash"] * 3


def test_silent_close_drops_the_app_to_the_launcher_without_a_touch() -> None:
    clock, phone = _phone({"kind": "close", "at_s": 6.5})
    _counter_session(phone, clock, taps=3)
    clock.advance_to(10.0)
    (fault,) = phone.truth.faults
    v = np.ceil(6.5 * HZ) / HZ
    assert fault.kind == "close" and fault.app == "Counter"
    assert fault.t_start == 6.5 and fault.t_end == pytest.approx(v + 0.28)
    assert phone.display_key(v - 1e-3).app == "Counter"
    assert phone.display_key(v).app == "Launcher"
    assert phone.display_key(v).transition[:2] == ("close", "Counter")
    assert all(r.t_touch < 6.5 for r in phone.truth.responses)  # no touch caused it
    _tap(phone, clock, 11.0, COUNTER_ICON)
    clock.advance_to(12.0)
    assert phone.display_key(12.0).content == (0,)  # the app restarted fresh


def _app_shown(key) -> float:
    """How much of the app a display key shows (1: all of it) while it slides in or out."""
    if key.transition is None:
        return 0.0 if key.app == "Launcher" else 1.0
    kind, _, _, step, steps = key.transition
    shown = slide_shown(step / steps)
    return shown if kind == "open" else 1.0 - shown


def test_an_app_closed_while_it_slides_in_slides_back_from_where_it_stands() -> None:
    """The app closes 80 ms into its opening: it slides back down from how far it had come
    (as a phone reverses an animation), never showing more of itself than the frame before;
    a close from the top would flash the whole app for a frame, which no fault put there."""
    clock, phone = _phone()
    _tap(phone, clock, 1.0, COUNTER_ICON)
    clock.advance_to(3.0)
    (opened,) = phone.truth.responses
    t_close = opened.t_visible + 0.08
    clock, phone = _phone({"kind": "close", "at_s": t_close})
    _tap(phone, clock, 1.0, COUNTER_ICON)
    clock.advance_to(3.0)
    assert [f.kind for f in phone.truth.faults] == ["close"]
    keys = [phone.display_key(k / HZ)
            for k in range(round(opened.t_visible * HZ), round(2.5 * HZ))]
    closing = next(i for i, k in enumerate(keys) if k.transition and k.transition[0] == "close")
    shown = [_app_shown(k) for k in keys]
    assert 0.0 < shown[closing - 1] < 0.9  # it had not come all the way in
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(shown[closing - 1:]))
    assert shown[-1] == 0.0


def test_reboot_shows_black_then_boot_animation_then_lock_and_ignores_touches() -> None:
    clock, phone = _phone({"kind": "reboot", "at_s": 5.0})
    link = SimDeviceLink(phone, clock)
    clock.advance_to(4.9)
    assert link.boot_state() == "booted"
    clock.advance_to(5.5)
    assert phone.display_key(5.5).app == "Off"
    assert link.boot_state() == "booting"
    assert link.screenshot().max() == 0  # black
    boot_keys = {phone.display_key(6.5 + k / 60) for k in range(60)}
    assert {k.app for k in boot_keys} == {"Boot"} and len(boot_keys) > 10  # animated
    _tap(phone, clock, 7.0, COUNTER_ICON)
    assert phone.truth.touches[-1].target == "ignored:boot"
    clock.advance_to(12.0)
    (fault,) = phone.truth.faults
    assert (fault.kind, fault.t_start, fault.t_end) == ("reboot", 5.0, 11.0)  # boot_s = 6
    assert phone.display_key(11.0).app == "Lock"
    assert link.boot_state() == "booted"


@pytest.mark.parametrize("style", ["black", "bars", "tear"])
def test_glitch_frames_differ_from_normal_rendering_only_inside_the_window(style: str) -> None:
    clock, phone = _phone({"kind": "glitch", "at_s": 2.0, "style": style, "frames": 4})
    ref_clock, ref = _phone()
    clock.advance_to(4.0)
    ref_clock.advance_to(4.0)
    (fault,) = phone.truth.faults
    assert fault.t_start == 2.0 and fault.t_end == pytest.approx(2.0 + 4 / HZ)
    for k in range(-6, 12):
        t = 2.0 + k / HZ + 1e-4
        differs = not np.array_equal(phone.screen_at(t, 0.2), ref.screen_at(t, 0.2))
        assert differs == (0 <= k < 4), (k, differs)


def test_ghost_touch_appears_in_the_touch_log_and_truth_and_acts() -> None:
    clock, phone = _phone({"kind": "ghost_touch", "at_s": 3.0, "at": COUNTER_ICON})
    link = SimDeviceLink(phone, clock)
    clock.advance_to(5.0)
    events = link.touch_events(0.0)
    assert [(e.action, e.t) for e in events] == [("down", 3.0), ("up", 3.06)]
    assert events[0].x_px == pytest.approx(COUNTER_ICON[0] * W)
    (touch,) = phone.truth.touches
    assert touch.ghost and touch.target == "launcher:Counter"
    assert phone.display_key(5.0).app == "Counter"  # nobody touched, yet it opened
    (fault,) = phone.truth.faults
    assert (fault.kind, fault.t_start, fault.t_end) == ("ghost_touch", 3.0, 3.06)


def test_dead_zone_ignores_touches_inside_not_outside_and_only_while_it_lasts() -> None:
    region = (0.0, 0.15, 0.5, 0.25)  # covers the Counter icon, not Video's centre row half
    clock, phone = _phone({"kind": "dead_zone", "at_s": 2.0, "duration_s": 5.0,
                           "region": region})
    link = SimDeviceLink(phone, clock)
    _tap(phone, clock, 3.0, COUNTER_ICON)  # inside: lost
    _tap(phone, clock, 4.0, L.icon_center(2))  # Messages, outside: works
    _tap(phone, clock, 5.0, (0.5, L.NAV_Y))  # home
    _tap(phone, clock, 8.0, COUNTER_ICON)  # after the window: works
    clock.advance_to(9.0)
    targets = [(t.t_down, t.handled, t.target) for t in phone.truth.touches]
    assert targets == [(3.0, False, "ignored:dead_zone"), (4.0, True, "launcher:Messages"),
                       (5.0, True, "nav:home"), (8.0, True, "launcher:Counter")]
    assert 3.0 not in {e.t for e in link.touch_events(0.0)}
    assert {e.t for e in link.touch_events(0.0) if e.action == "down"} == {4.0, 5.0, 8.0}
    (fault,) = phone.truth.faults
    assert (fault.t_start, fault.t_end, fault.details["region"]) == (2.0, 7.0, list(region))


def test_touch_offset_drift_grows_linearly_in_reported_positions() -> None:
    clock, phone = _phone({"kind": "drift", "at_s": 10.0, "duration_s": 60.0, "amount": 5.0})
    link = SimDeviceLink(phone, clock)
    for t in (5.0, 20.0, 40.0, 80.0):
        _tap(phone, clock, t, (0.5, 0.7))
    clock.advance_to(90.0)
    downs = [e for e in link.touch_events(0.0) if e.action == "down"]
    offsets = [np.hypot(e.x_px - 0.5 * W, e.y_px - 0.7 * H) for e in downs]
    assert offsets[0] == 0.0 and offsets[3] == 0.0  # before and after the window
    assert offsets[1] == pytest.approx(5.0 * 10.0) and offsets[2] == pytest.approx(5.0 * 30.0)
    truth = phone.truth.touches
    assert truth[1].x_px == 0.5 * W and truth[1].reported_px == (downs[1].x_px, downs[1].y_px)


def test_slowdown_latency_grows_with_uptime_until_the_reboot_that_clears_it() -> None:
    clock, phone = _phone({"kind": "slowdown", "at_s": 2.0, "duration_s": 120.0, "amount": 300.0})
    ref_clock, ref = _phone()
    for p, c in ((phone, clock), (ref, ref_clock)):
        _tap(p, c, 1.0, COUNTER_ICON)
        for i in range(10):
            _tap(p, c, 10.0 + 10 * i, L.COUNTER_BUTTON)
        c.advance_to(121.0)
    got = {r.t_touch: r.t_ready - r.t_touch for r in phone.truth.responses}
    want = {r.t_touch: r.t_ready - r.t_touch for r in ref.truth.responses}
    for i in range(10):
        t = 10.0 + 10 * i
        assert got[t] - want[t] == pytest.approx(0.300 * (t - 2.0) / 60.0)
    clock.advance_to(140.0)
    kinds = [(f.kind, f.t_start, f.t_end) for f in phone.truth.faults]
    assert kinds == [("slowdown", 2.0, 122.0), ("reboot", 122.0, 128.0)]
    assert phone.truth.faults[1].details == {"cause": "slowdown"}


def test_app_faults_wait_for_their_app_and_faults_never_overlap() -> None:
    clock, phone = _phone({"kind": "crash", "at_s": 2.0, "app": "Video"},
                          {"kind": "freeze", "at_s": 3.0, "duration_s": 2.0})
    _tap(phone, clock, 1.0, COUNTER_ICON)
    _tap(phone, clock, 9.0, (0.5, L.NAV_Y))
    _tap(phone, clock, 10.0, L.icon_center(1))  # Video
    clock.advance_to(30.0)
    freeze, crash = phone.truth.faults
    assert (freeze.kind, freeze.t_start, freeze.t_end) == ("freeze", 3.0, 5.0)
    # the crash waited for Video to be in front (polled every second) and for the gap
    assert crash.kind == "crash" and crash.app == "Video"
    assert crash.t_start >= 15.0 and crash.details["due_s"] == 2.0


def test_every_kind_by_rate_is_seeded_and_never_overlaps() -> None:
    def run(seed: int) -> SimPhone:
        clock, phone = _phone(seed=seed, per_hour={k: 12.0 for k in FAULT_KINDS},
                              gap_s=5.0, slowdown_duration_s=(20.0, 40.0))
        targets = [COUNTER_ICON, L.COUNTER_BUTTON, L.COUNTER_BUTTON, (0.5, L.NAV_Y),
                   L.icon_center(1), (0.5, 0.42), (0.8, 0.55), (0.5, 0.85)]
        for i in range(3600):
            t = 1.0 + i * 1.0
            if i % 50 == 49:  # unlock after a reboot
                clock.advance_to(t)
                phone.touch_down(t, 0.5 * W, 0.85 * H)
                for k in range(1, 6):
                    phone.touch_move(t + 0.03 * k, 0.5 * W, (0.85 - 0.1 * k) * H)
                phone.touch_up(t + 0.15, 0.5 * W, 0.35 * H)
                continue
            _tap(phone, clock, t, targets[i % len(targets)])
        clock.advance_to(3700.0)
        return phone

    a = run(3)
    assert a.truth == run(3).truth
    kinds = {f.kind for f in a.truth.faults}
    assert kinds >= {"freeze", "crash", "glitch", "ghost_touch", "dead_zone", "drift",
                     "reboot", "stall", "slowdown"}, kinds
    ended = [f for f in a.truth.faults if f.t_end is not None]
    for prev, nxt in itertools.pairwise(ended):
        assert nxt.t_start >= prev.t_end - 1e-9, (prev, nxt)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"kind": "freeze", "at_s": 1.0}, "duration_s"),
        ({"kind": "freeze", "at_s": 5.0, "end_s": 4.0}, "end_s"),
        ({"kind": "dead_zone", "at_s": 5.0, "end_s": 5.0}, "end_s"),
        ({"kind": "meltdown", "at_s": 1.0}, "kind"),
        ({"kind": "crash", "at_s": 1.0, "app": "Tetris"}, "app"),
        ({"kind": "reboot", "at_s": 1.0, "app": "Counter"}, "app"),
        ({"kind": "dead_zone", "at_s": 1.0, "duration_s": 2.0,
          "region": (0.5, 0.1, 0.4, 0.2)}, "region"),
        ({"kind": "ghost_touch", "at_s": 1.0, "at": (1.2, 0.5)}, "at"),
        ({"kind": "glitch", "at_s": 1.0, "frames": 0}, "frames"),
        ({"kind": "stall", "at_s": 1.0, "amount": -1}, "amount"),
        ({"kind": "crash", "at_s": -1.0}, "at_s"),
    ],
)
def test_bad_schedules_name_the_field(event: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        FaultEvent(**event)


def test_bad_rates_name_the_kind() -> None:
    with pytest.raises(ValidationError, match="per_hour"):
        FaultOptions(per_hour={"freeze": -1.0})
    with pytest.raises(ValidationError, match="per_hour"):
        FaultOptions(per_hour={"explode": 1.0})
    with pytest.raises(ValidationError, match="dead_zone_duration_s"):
        FaultOptions(dead_zone_duration_s=(5.0, 1.0))


def test_a_stall_with_nothing_to_slow_lapses_and_lets_later_faults_run() -> None:
    clock, phone = _phone({"kind": "stall", "at_s": 1.0},
                          {"kind": "glitch", "at_s": 5.0, "frames": 2})
    clock.advance_to(100.0)
    # no touch came within 60 s: no stall happened; the glitch waited for it, then ran
    (glitch,) = phone.truth.faults
    assert glitch.kind == "glitch" and glitch.t_start == pytest.approx(61.0, abs=1 / HZ)


def test_reboot_can_end_on_the_launcher_when_the_lock_screen_is_switched_off() -> None:
    from tapbot.sim import SystemUiOptions

    clock = VirtualClock()
    faults = FaultOptions(schedule=[FaultEvent(kind="reboot", at_s=1.0)])
    phone = SimPhone(Opts(faults=faults, system_ui=SystemUiOptions(lock_after_reboot=False)),
                     clock)
    clock.advance_to(10.0)
    assert phone.display_key(10.0).app == "Launcher"
    assert phone.truth.faults[0].t_end == 7.0


def test_a_finger_held_through_a_reboot_still_lifts_in_the_truth() -> None:
    clock, phone = _phone({"kind": "reboot", "at_s": 2.0})
    clock.advance_to(1.5)
    phone.touch_down(1.5, 0.5 * W, 0.7 * H)
    clock.advance_to(3.0)
    phone.touch_up(3.0, 0.5 * W, 0.7 * H)
    (touch,) = phone.truth.touches
    assert touch.t_up == 3.0
    assert [e.action for e in SimDeviceLink(phone, clock).touch_events(0.0)] == ["down", "up"]


@pytest.mark.parametrize(("length_s", "skipped"), [(3.0, 180), (0.45, None)])
def test_a_freeze_leaves_what_androids_choreographer_logs_as_it_ends(length_s, skipped) -> None:
    """Drawing again after a freeze, the main thread logs the frames it skipped (60 Hz: a
    frame per 1/60 s), at the first refresh after the freeze; under 30 frames, nothing."""
    clock, phone = _phone({"kind": "freeze", "at_s": 2.0, "duration_s": length_s})
    link = SimDeviceLink(phone, clock)
    clock.advance_to(2.0 + length_s + 0.5)
    lines = link.log_lines(0.0)
    if skipped is None:
        assert lines == []
        return
    ((t, line),) = lines
    assert t == pytest.approx(5.0)  # 5.0 s is a refresh boundary at 60 Hz
    assert f"Choreographer: Skipped {skipped} frames!" in line
