"""The twin phone: responses on refresh boundaries, determinism, freezes, crashes, link."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import ValidationError

from tapbot.core.clock import VirtualClock
from tapbot.sim import (
    FaultEvent,
    FaultOptions,
    SimDeviceLink,
    SimPhone,
    SimPhoneOptions,
)

W, H = 1080, 2400
COUNTER_ICON = (0.125 * W, 0.20 * H)
VIDEO_ICON = (0.375 * W, 0.20 * H)
COUNTER_BUTTON = (0.5 * W, 0.62 * H)
VIDEO_CENTRE = (0.5 * W, 0.42 * H)
HOME = (0.5 * W, 0.975 * H)
CLOSE_APP = (0.8 * W, 0.55 * H)
EMPTY_LAUNCHER = (0.5 * W, 0.7 * H)
REFRESH = 1 / 60


def _phone(seed: int = 0, faults: FaultOptions | None = None) -> tuple[VirtualClock, SimPhone]:
    clock = VirtualClock()
    return clock, SimPhone(SimPhoneOptions(seed=seed, faults=faults or FaultOptions()), clock)


def _tap(phone: SimPhone, clock: VirtualClock, t: float, xy: tuple[float, float]) -> None:
    clock.advance_to(t)
    phone.touch_down(t, *xy)
    clock.advance_to(t + 0.05)
    phone.touch_up(t + 0.05, *xy)


def test_counter_increments_after_latency_on_a_refresh_boundary() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, COUNTER_ICON)
    _tap(phone, clock, 2.0, COUNTER_BUTTON)
    clock.advance_to(3.0)
    phone.update(3.0)
    assert [t.target for t in phone.truth.touches] == ["launcher:Counter", "counter:+"]
    resp = phone.truth.responses[-1]
    assert resp.t_touch == 2.0 and resp.app == "Counter"
    assert 0.02 < resp.t_ready - resp.t_touch < 0.3
    # visible from the first refresh boundary at or after t_ready
    n = resp.t_visible * 60
    assert n == pytest.approx(round(n), abs=1e-6)
    assert resp.t_ready <= resp.t_visible < resp.t_ready + REFRESH
    assert resp.latency_s == pytest.approx(resp.t_visible - resp.t_touch)
    before = phone.screen_at(resp.t_visible - 1e-4, 0.25)
    after = phone.screen_at(resp.t_visible, 0.25)
    at_touch = phone.screen_at(resp.t_touch, 0.25)
    assert np.array_equal(before, at_touch)
    changed = np.any(before != after, axis=2)
    ys, _ = np.nonzero(changed)
    assert changed.sum() > 50
    # only the number changed (around y = 0.42 H)
    assert abs(ys.mean() / (H * 0.25) - 0.42) < 0.05


def test_empty_launcher_touch_does_nothing() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, EMPTY_LAUNCHER)
    clock.advance_to(2.0)
    assert phone.truth.touches[0].target == "none"
    assert phone.truth.touches[0].handled
    assert phone.truth.responses == []
    assert phone.display_key(0.5) == phone.display_key(2.0)


def test_back_and_home_return_to_launcher() -> None:
    clock, phone = _phone()
    launcher = phone.display_key(0.0)
    _tap(phone, clock, 1.0, VIDEO_ICON)
    clock.advance_to(2.0)
    assert phone.display_key(2.0) != launcher
    _tap(phone, clock, 2.0, (0.25 * W, 0.975 * H))  # back
    clock.advance_to(3.0)
    assert phone.display_key(3.0) == launcher
    _tap(phone, clock, 3.0, HOME)  # home on the launcher: nothing
    clock.advance_to(4.0)
    assert len(phone.truth.responses) == 2


def _script(seed: int) -> SimPhone:
    faults = FaultOptions(freeze_per_hour=120, crash_per_hour=120)
    clock, phone = _phone(seed, faults)
    targets = [COUNTER_ICON, COUNTER_BUTTON, COUNTER_BUTTON, HOME, VIDEO_ICON, VIDEO_CENTRE,
               HOME, CLOSE_APP]
    for i in range(600):
        _tap(phone, clock, 1.0 + i * 0.5, targets[i % len(targets)])
    phone.update(clock.now())
    return phone


def test_same_seed_same_truth_and_faults_never_overlap() -> None:
    a, b = _script(5), _script(5)
    assert a.truth == b.truth
    assert a.truth != _script(6).truth
    faults = a.truth.faults
    assert {f.kind for f in faults} == {"freeze", "crash"}
    for prev, nxt in itertools.pairwise(faults):
        assert prev.t_end is not None
        assert nxt.t_start >= prev.t_end + 10.0 - 1e-9


def test_freeze_ignores_touches_freezes_video_and_delays_pending_reaction() -> None:
    faults = FaultOptions(schedule=[FaultEvent(kind="freeze", at_s=5.0, duration_s=4.0)])
    clock, phone = _phone(faults=faults)
    _tap(phone, clock, 1.0, VIDEO_ICON)
    _tap(phone, clock, 4.98, VIDEO_CENTRE)  # reaction due ~5.06 s, inside the freeze
    _tap(phone, clock, 6.0, HOME)
    clock.advance_to(12.0)
    phone.update(12.0)
    keys_before = {phone.display_key(t) for t in np.arange(4.0, 4.99, 1 / 60)}
    assert len(keys_before) > 20  # video plays at 30 fps
    frozen = phone.screen_at(5.0, 0.2)
    for t in np.arange(5.0, 9.0, 0.05):
        assert np.array_equal(phone.screen_at(float(t), 0.2), frozen)
    home_touch = phone.truth.touches[-1]
    assert (home_touch.handled, home_touch.target) == (False, "ignored:freeze")
    (resp,) = [r for r in phone.truth.responses if r.t_touch == 4.98]
    assert resp.t_ready >= 9.0 and resp.t_visible == pytest.approx(9.0)
    assert phone.display_key(9.5).content[1]  # the delayed toggle paused the video
    (fault,) = phone.truth.faults
    assert (fault.kind, fault.t_start, fault.t_end, fault.app) == ("freeze", 5.0, 9.0, "Video")
    assert phone.truth.faults_between(8.0, 20.0) == [fault]
    assert phone.truth.faults_between(9.5, 20.0) == []


def test_crash_dialog_until_home_then_launcher() -> None:
    faults = FaultOptions(schedule=[FaultEvent(kind="crash", at_s=3.0)])
    clock, phone = _phone(faults=faults)
    link = SimDeviceLink(phone, clock)
    _tap(phone, clock, 1.0, COUNTER_ICON)
    _tap(phone, clock, 2.0, COUNTER_BUTTON)
    clock.advance_to(3.5)
    shot = link.screenshot()
    card = shot[int(0.45 * H), int(0.5 * W)]
    assert card.min() > 240  # white card
    assert shot[int(0.2 * H), int(0.5 * W)].max() < 0.4 * 245  # counter background dimmed
    assert phone.display_key(3.5).dialog_app == "Counter"
    _tap(phone, clock, 4.0, COUNTER_BUTTON)  # ignored while the dialog is up
    clock.advance_to(5.0)
    assert phone.truth.touches[-1].target == "ignored:dialog"
    assert phone.display_key(5.0).dialog_app == "Counter"
    assert phone.truth.faults[0].t_end is None
    _tap(phone, clock, 5.0, HOME)
    clock.advance_to(6.0)
    phone.update(6.0)
    key = phone.display_key(6.0)
    assert (key.app, key.dialog) == ("Launcher", None)
    resp = phone.truth.responses[-1]
    (fault,) = phone.truth.faults
    assert fault.kind == "crash" and fault.app == "Counter"
    assert fault.t_end == resp.t_visible and 0.03 < resp.latency_s < 0.3
    lines = [s for _, s in link.log_lines(0.0)]
    assert any("FATAL EXCEPTION: main" in s for s in lines)
    assert any("Process: com.twin.counter" in s for s in lines)
    assert [e.action for e in link.touch_events(4.0)] == ["up", "down", "up"]
    # the app restarts fresh
    link.launch_app("Counter")
    clock.advance_to(6.1)
    assert phone.display_key(6.1).content == (0,)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"schedule": [{"kind": "freeze", "at_s": 1.0}]}, "duration_s"),
        ({"schedule": [{"kind": "freeze", "at_s": 1.0, "duration_s": 0}]}, "duration_s"),
        ({"schedule": [{"kind": "crash", "at_s": -1.0}]}, "at_s"),
        ({"schedule": [{"kind": "crash", "at_s": 1.0, "duration_s": 2.0}]}, "duration_s"),
        ({"freeze_duration_s": (5.0, 2.0)}, "freeze_duration_s"),
        ({"freeze_duration_s": (0.0, 2.0)}, "freeze_duration_s"),
        ({"crash_per_hour": -1}, "crash_per_hour"),
        ({"typo": 1}, "typo"),
    ],
)
def test_bad_fault_options_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        FaultOptions(**kwargs)


def test_memory_stays_bounded_over_a_long_run() -> None:
    clock, phone = _phone()
    _tap(phone, clock, 1.0, VIDEO_ICON)
    for i in range(2000):
        t = 2.0 + i * 0.5
        clock.advance_to(t)
        phone.screen_at(t, 0.1)
    assert len(phone._history) < 50
    assert len(phone._queue) < 10
    assert len(phone._renders) <= 32


def _busy_phone(seed: int) -> tuple[VirtualClock, SimPhone]:
    from tapbot.sim import SystemUiOptions

    clock = VirtualClock()
    faults = FaultOptions(per_hour={"glitch": 120, "ghost_touch": 120, "freeze": 60}, gap_s=1.0,
                          freeze_duration_s=(1.0, 2.0))
    opts = SimPhoneOptions(seed=seed, faults=faults,
                           system_ui=SystemUiOptions(notifications_per_hour=60))
    phone = SimPhone(opts, clock)
    targets = [VIDEO_ICON, VIDEO_CENTRE, HOME, COUNTER_ICON, COUNTER_BUTTON, HOME]
    for i in range(240):
        _tap(phone, clock, 1.0 + i * 0.5, targets[i % len(targets)])
    return clock, phone


def test_same_seed_and_options_give_identical_screens() -> None:
    (ca, a), (_, b) = _busy_phone(7), _busy_phone(7)
    assert a.truth == b.truth
    assert len(a.truth.faults) >= 3 and len({f.kind for f in a.truth.faults}) >= 2
    end = ca.now()
    for k in range(300):
        t = end - 10.0 + k / 30
        assert a.display_key(t) == b.display_key(t)
        if k % 10 == 0:
            assert np.array_equal(a.screen_at(t, 0.2), b.screen_at(t, 0.2))
    _, c = _busy_phone(8)
    assert c.truth != a.truth


def test_memory_stays_bounded_with_every_kind_of_activity() -> None:
    from tapbot.sim import FAULT_KINDS, SystemUiOptions

    clock = VirtualClock()
    faults = FaultOptions(per_hour={k: 20.0 for k in FAULT_KINDS}, gap_s=2.0,
                          slowdown_duration_s=(30.0, 60.0), dead_zone_duration_s=(5.0, 10.0),
                          drift_duration_s=(5.0, 10.0))
    phone = SimPhone(SimPhoneOptions(faults=faults, system_ui=SystemUiOptions(
        notifications_per_hour=60, lock_after_reboot=False)), clock)
    targets = [COUNTER_ICON, COUNTER_BUTTON, HOME, VIDEO_ICON, VIDEO_CENTRE, HOME,
               (0.875 * W, 0.20 * H), (0.5 * W, 0.6 * H), HOME, CLOSE_APP]
    sizes = []
    for i in range(1800):
        t = 1.0 + 2.0 * i
        _tap(phone, clock, t, targets[i % len(targets)])
        phone.screen_at(t + 0.5, 0.1)
        if i % 300 == 299:
            sizes.append((len(phone._history), len(phone._queue), len(phone._waiting)))
    assert len(phone.truth.faults) > 50
    for hist, queue, waiting in sizes:
        assert hist < 200 and queue < 40 and waiting <= 16
    assert len(phone._renders) <= 32 and len(phone._images) <= 4


def test_the_phone_s_names_still_import_from_tapbot_sim_phone() -> None:
    """world.py, link.py and tapbot.sim import these from tapbot.sim.phone: one class each."""
    import tapbot.sim as sim
    from tapbot.sim import phone

    for name in ("SimPhone", "SimPhoneOptions", "LatencyOptions", "Lognormal",
                 "SystemUiOptions"):
        assert getattr(phone, name) is getattr(sim, name), name
    assert SimPhoneOptions().history_s == phone.HISTORY_S


def test_display_keys_kept_by_state_and_refresh_are_the_keys_worked_out_afresh() -> None:
    """Two phones live the same taps (a freeze, a crash dialog, videos, transitions); one
    keeps its keys, the other works every key out again: asked in any order and again, the
    keys are equal, and so are their hashes."""
    faults = FaultOptions(schedule=[FaultEvent(kind="freeze", at_s=5.0, duration_s=1.5),
                                    FaultEvent(kind="crash", at_s=8.0)])
    (clock_a, kept), (clock_b, fresh) = _phone(faults=faults), _phone(faults=faults)
    times = np.arange(0.0, 12.0, 1 / 90)
    rng = np.random.default_rng(3)
    asked = 0
    for t_tap, xy in ((1.0, VIDEO_ICON), (3.0, VIDEO_CENTRE), (4.9, HOME), (6.8, COUNTER_ICON),
                      (7.5, COUNTER_BUTTON), (10.5, HOME)):
        for clock, phone in ((clock_a, kept), (clock_b, fresh)):
            _tap(phone, clock, t_tap, xy)
        now = clock_a.now()
        # the recent past, in a shuffled order, some of it twice
        for t in rng.permutation(np.concatenate([times[(times > now - 1.5) & (times < now)]] * 2)):
            fresh._keys.clear()
            a, b = kept.display_key(float(t)), fresh.display_key(float(t))
            assert a == b and hash(a) == hash(b)
            asked += 1
    assert asked > 500 and len(kept._keys) > 50


def test_a_display_key_unpickled_in_a_process_with_other_string_hashes_finds_its_twin() -> None:
    """A key keeps its hash; unpickled where strings hash otherwise, it is made again."""
    import os
    import pickle
    import subprocess
    import sys

    from tapbot.sim.apps.draw import DisplayKey

    key = DisplayKey(app="Video", content=(12, False), status=("09:41", 80))
    code = ("import pickle, sys\n"
            "from tapbot.sim.apps.draw import DisplayKey\n"
            "key = pickle.loads(sys.stdin.buffer.read())\n"
            "here = DisplayKey(app='Video', content=(12, False), status=('09:41', 80))\n"
            "print(key == here, hash(key) == hash(here), {here: 1}.get(key))\n")
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(key),
                             capture_output=True, check=True, env=env)
        assert out.stdout.split() == [b"True", b"True", b"1"]
