"""The runner's looks at a batch of glitch-grid samples decide as its looks at each sample
did: which moved from the one before, and the first that moved from a reference."""

import itertools

import numpy as np

from tapbot.core.frames import PixelSample
from tapbot.runner.watch import MIN_JUMPED_POINTS, first_grid_moved, grid_moved, grid_moves


def _samples(rng: np.random.Generator) -> list[PixelSample]:
    """Grid samples that stand still (noise), then move a few points (fewer than the grid
    needs to call it a move) or many, in turn."""
    base = rng.integers(0, 256, (300, 3), dtype=np.uint8)
    out = []
    for i in range(16):
        values = np.clip(base.astype(np.int16) + rng.integers(-3, 4, base.shape), 0, 255)
        moved = (MIN_JUMPED_POINTS - 1) if i % 4 == 1 else 40 if i % 4 == 3 else 0
        values[i * 10:i * 10 + moved] ^= 0x80
        out.append(PixelSample(values.astype(np.uint8), i / 60, i))
    return out


def test_moves_of_a_batch_are_the_moves_of_each_sample_from_the_one_before():
    samples = _samples(np.random.default_rng(1))
    seen = np.arange(300) % 5 != 0
    for prev in (None, samples[0]):
        batch = samples[1:] if prev is not None else samples
        got = grid_moves(prev, batch, seen)
        chain = [prev, *batch] if prev is not None else [None, *batch]
        want = [a is not None and grid_moved(a.values, b.values, seen)
                for a, b in itertools.pairwise(chain)]
        assert got == want
        assert any(want) and not all(want)
    assert grid_moves(samples[0], [], seen) == []


def test_the_first_sample_moved_from_a_reference_is_the_first_each_look_finds():
    samples = _samples(np.random.default_rng(2))
    seen = np.ones(300, bool)
    base = samples[0].values
    want = next(i for i, s in enumerate(samples) if grid_moved(base, s.values, seen))
    assert first_grid_moved(base, samples, seen) == want
    assert first_grid_moved(base, samples[:want], seen) is None
    assert first_grid_moved(base, [], seen) is None
