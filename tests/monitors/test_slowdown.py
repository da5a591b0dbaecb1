"""The slowdown watch on hand-made latencies: a trend is a slowdown, noise and one slow
response are not."""

import numpy as np
import pytest

from tapbot.monitors.slowdown import SlowdownWatch

STEPS = ("open", "tap", "home")
USUAL = {"open": 0.18, "tap": 0.07, "home": 0.09}


def run(watch, latency_of, t_end=600.0, every_s=2.0, seed=0):
    rng = np.random.default_rng(seed)
    seen = []
    for i, t in enumerate(np.arange(0.0, t_end, every_s)):
        key = STEPS[i % len(STEPS)]
        latency = USUAL[key] * float(np.exp(0.2 * rng.standard_normal())) + latency_of(t)
        s = watch.feed(key, float(t), latency)
        if s is not None:
            seen.append(s)
    return seen


def test_latencies_growing_two_ms_per_second_are_one_slowdown_found_near_its_start():
    seen = run(SlowdownWatch(0.1), lambda t: 0.0 if t < 300 else 0.002 * (t - 300))
    (s,) = seen
    assert s.t_onset == pytest.approx(300.0, abs=20.0)
    assert 300.0 < s.t_seen < 300.0 + 0.2 / 0.002  # before the excess is twice the minimum
    assert s.rate_s_per_min == pytest.approx(0.12, rel=0.35)


def test_noise_and_a_single_slow_response_are_not_a_slowdown():
    assert run(SlowdownWatch(0.1), lambda t: 0.0) == []
    assert run(SlowdownWatch(0.1), lambda t: 1.0 if 200 <= t < 202 else 0.0) == []


def test_a_slow_response_during_a_slowdown_is_explained_by_it():
    watch = SlowdownWatch(0.1)
    run(watch, lambda t: 0.0 if t < 300 else 0.002 * (t - 300), t_end=500.0)
    assert watch.active and watch.explains("open", USUAL["open"] + 0.3)
    watch.reset()  # the phone restarted
    assert not watch.explains("open", USUAL["open"] + 0.3)
