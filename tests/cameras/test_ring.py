"""The frame ring buffer shared by real cameras."""

import numpy as np

from tapbot.cameras.ring import FrameRing

IMG = np.zeros((2, 2), np.uint8)


def test_indices_follow_the_frame_grid_and_gaps_count_as_dropped_frames():
    ring = FrameRing(capacity=100, fps=10)
    for t in (0.0, 0.1, 0.2, 0.5, 0.6):  # 0.3 and 0.4 never arrived
        ring.push(IMG, t)
    assert [f.index for f in ring.frames(-1, 1)] == [0, 1, 2, 5, 6]
    assert ring.dropped == 2


def test_jitter_below_one_and_a_half_periods_is_not_a_drop():
    ring = FrameRing(capacity=100, fps=10)
    for t in (0.0, 0.14, 0.2, 0.31):
        ring.push(IMG, t)
    assert ring.dropped == 0
    assert [f.index for f in ring.frames(-1, 1)] == [0, 1, 2, 3]


def test_interval_is_half_open_and_thinning_keeps_multiples_of_the_stride():
    ring = FrameRing(capacity=100, fps=10)
    for k in range(10):
        ring.push(IMG, k / 10)
    assert [f.index for f in ring.frames(0.2, 0.5)] == [3, 4, 5]
    assert [f.index for f in ring.frames(0.0, 0.9, stride=3)] == [3, 6, 9]


def test_the_ring_keeps_the_newest_frames_and_counts_evictions():
    ring = FrameRing(capacity=3, fps=10)
    for k in range(5):
        ring.push(IMG, k / 10)
    assert [f.index for f in ring.frames(-1, 1)] == [2, 3, 4]
    assert ring.evicted == 2
    assert ring.latest().index == 4
