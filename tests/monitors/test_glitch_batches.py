"""The glitch watch's batch shortcuts give what the plain, frame-by-frame forms give: the
medians, shares and brightest channels it works out for many frames at once, and the test of
a screen that came back applied to a batch."""

import numpy as np

from tapbot.core.frames import PixelSample
from tapbot.monitors import glitch
from tapbot.monitors.glitch import (
    ABNORMAL_FRAC,
    BARS_COLOURS,
    BLACK_LEVEL,
    JUMP_LEVEL,
    RETURN_FRAC,
    back_fraction,
    came_back_many,
    change_level,
    colour_bars,
    colour_bars_many,
    near_black,
    near_black_many,
    rest_as_before,
)
from tapbot.monitors.sampler import as_sample, as_samples

ROWS, COLS = 48, 24


def _frames(rng: np.random.Generator, n: int) -> np.ndarray:
    """Frames of grid samples that hold every case the shortcuts meet: noise around a plain
    screen, near-black frames, colour bars, and random colours."""
    out = rng.integers(0, 256, (n, ROWS * COLS, 3)).astype(np.int16)
    out[0::4] = np.clip(230 + rng.integers(-8, 9, (len(out[0::4]), ROWS * COLS, 3)), 0, 255)
    out[1::4] = rng.integers(0, 14, (len(out[1::4]), ROWS * COLS, 3))
    bars = np.zeros((ROWS, COLS, 3), np.int16)
    for i, c in enumerate([(255, 255, 255), (0, 255, 255), (255, 255, 0), (0, 255, 0),
                           (255, 0, 255), (0, 0, 255), (255, 0, 0), (0, 0, 0)]):
        bars[:, i * 3:(i + 1) * 3] = c
    noisy = bars.reshape(-1, 3)[None] + rng.integers(-12, 13, (len(out[2::4]), ROWS * COLS, 3))
    out[2::4] = np.clip(noisy, 0, 255)
    return out


def test_the_column_medians_are_numpys_for_an_even_and_an_odd_number_of_rows():
    rng = np.random.default_rng(1)
    for rows in (48, 7):
        grid = rng.integers(0, 256, (5, rows, COLS, 3)).astype(np.int16)
        got = glitch._column_medians(grid)
        assert got.dtype == np.float64
        assert np.array_equal(got, np.median(grid, axis=1))


def test_shares_and_means_are_numpys_means_to_the_last_bit():
    rng = np.random.default_rng(2)
    levels = rng.integers(0, 766, (30, ROWS, COLS)).astype(np.int16)
    flags = levels >= JUMP_LEVEL
    assert np.array_equal(glitch._shares(flags, 2), flags.mean(axis=2))
    assert np.array_equal(glitch._shares(flags.reshape(30, -1), 1),
                          flags.reshape(30, -1).mean(axis=1))
    assert np.array_equal(glitch._means(levels, 2), levels.mean(axis=2))


def _near_black(sample: np.ndarray) -> bool:
    """Near black as plain numpy says it: most points' brightest channel is dark."""
    return bool((sample.max(axis=1) <= BLACK_LEVEL).mean() >= ABNORMAL_FRAC)


def _colour_bars(sample: np.ndarray) -> bool:
    """Colour bars as plain numpy says it: most columns one colour (numpy's median per
    column), and enough colours among them."""
    grid = sample.reshape(ROWS, -1, 3)
    median = np.median(grid, axis=0)
    uniform = (np.abs(grid - median).sum(axis=2) <= JUMP_LEVEL).mean(axis=0) >= ABNORMAL_FRAC
    if uniform.mean() < ABNORMAL_FRAC:
        return False
    codes = {tuple(c) for c in (median[uniform] >= 128).tolist()}
    return len(codes) >= BARS_COLOURS


def test_near_black_and_colour_bars_of_a_batch_are_plain_numpys_of_each_frame():
    samples = _frames(np.random.default_rng(3), 24)
    black = near_black_many(samples)
    bars = colour_bars_many(samples, ROWS)
    assert black.tolist() == [_near_black(s) for s in samples]
    assert bars.tolist() == [_colour_bars(s) for s in samples]
    # (and the one-frame forms agree)
    assert black.tolist() == [near_black(s) for s in samples]
    assert bars.tolist() == [colour_bars(s, ROWS) for s in samples]
    # (the frames hold both kinds, and frames of neither)
    assert black.any() and bars.any() and not (black | bars).all()


def test_a_batch_came_back_where_each_frame_alone_came_back():
    rng = np.random.default_rng(4)
    before = rng.integers(0, 256, (ROWS * COLS, 3)).astype(np.int16)
    away = before.copy()
    away[200:500] = 255 - away[200:500]  # a band jumped
    size = change_level(away, before)
    jumped = size >= JUMP_LEVEL
    later = []
    for back in np.linspace(0.0, 1.0, 12):  # from still away to all the way back
        frame = np.where(rng.random(len(before))[:, None] < back, before, away)
        if back > 0.5:  # and elsewhere: a few points, or many
            frame[800:800 + int(400 * (back - 0.5))] ^= 0x40
        later.append(frame)
    moved = np.stack([change_level(f, before) for f in later])
    got = came_back_many(moved, size, jumped)
    want = [back_fraction(m[jumped], size[jumped]) >= RETURN_FRAC and rest_as_before(m, jumped)
            for m in moved]
    assert got.tolist() == want
    assert any(want) and not all(want)
    assert not came_back_many(moved, size, np.zeros_like(jumped)).any()


def test_samples_stack_as_each_sample_converts():
    rng = np.random.default_rng(5)
    colour = [PixelSample(rng.integers(0, 256, (10, 3), dtype=np.uint8), i / 60, i)
              for i in range(4)]
    gray = [PixelSample(rng.integers(0, 256, 10, dtype=np.uint8), i / 60, i) for i in range(4)]
    seen = np.arange(10) % 3 != 0
    for samples in (colour, gray):
        stacked = as_samples(samples, seen)
        assert stacked.dtype == np.int16
        assert np.array_equal(stacked, np.stack([as_sample(s.values)[seen] for s in samples]))
        assert np.array_equal(as_samples(samples), np.stack([as_sample(s.values)
                                                             for s in samples]))
