"""Slowdown: responses that grow slower touch after touch (a leak, thermal throttling).

One slow response is a stall; a slowdown is a trend. Each measured response latency is
compared with the usual latency of the same step (the median of its recent healthy
measurements); the excess of the last few responses, pooled over all steps, is watched. When
their median excess reaches ``min_s`` and the excess has been growing, a slowdown is seen; its
onset is the knee of a hinge fitted to the recent excess (zero, then a straight rise). It lasts
until the responses are as fast as usual again (or the phone restarts:
:meth:`SlowdownWatch.reset`).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

#: Healthy latencies kept per step, and how many are needed before its excess counts.
BASELINE_KEEP = 15
BASELINE_MIN = 3
#: The pooled excess: how many recent responses judge the trend.
RECENT = 6
FIT_MAX = 40


@dataclass(frozen=True, slots=True)
class SlowdownSighting:
    """Responses slower than usual by ``excess_s`` (median of the recent ones), growing at
    ``rate_s_per_min``, since ``t_onset``; seen at ``t_seen``."""

    t_onset: float
    t_seen: float
    excess_s: float
    rate_s_per_min: float | None


class SlowdownWatch:
    """Feed every measured response latency with the step it answered (:meth:`feed`)."""

    def __init__(self, min_s: float) -> None:
        self.min_s = min_s
        self.active = False
        self._baseline: dict[str, deque[float]] = {}
        self._recent: deque[tuple[float, float]] = deque(maxlen=RECENT)
        self._rising: deque[tuple[float, float]] = deque(maxlen=FIT_MAX)
        self._history: deque[tuple[float, float]] = deque(maxlen=FIT_MAX)

    def usual_s(self, key: str) -> float | None:
        """The usual latency of step ``key`` (None until it has been measured enough)."""
        base = self._baseline.get(key)
        if base is None or len(base) < BASELINE_MIN:
            return None
        return float(np.median(base))

    def explains(self, key: str, latency_s: float) -> bool:
        """Whether a slow response of step ``key`` is part of the slowdown going on."""
        usual = self.usual_s(key)
        return self.active and usual is not None and latency_s - usual >= self.min_s / 2

    def feed(self, key: str, t: float, latency_s: float) -> SlowdownSighting | None:
        """One response of step ``key`` at ``t``; a sighting when it confirms a slowdown."""
        usual = self.usual_s(key)
        excess = None if usual is None else latency_s - usual
        if excess is None or (not self.active and excess < self.min_s / 2):
            self._baseline.setdefault(key, deque(maxlen=BASELINE_KEEP)).append(latency_s)
        if excess is None:
            return None
        self._recent.append((t, excess))
        self._history.append((t, excess))
        level = float(np.median([e for _, e in self._recent]))
        if level < self.min_s / 3:
            self._rising.clear()
            self.active = False
            return None
        self._rising.append((t, excess))
        if self.active or len(self._recent) < RECENT or level < self.min_s:
            return None
        rate = self._rate()
        if rate is None:
            return None
        self.active = True
        onset, rate = self._knee()
        return SlowdownSighting(onset, t, level, rate * 60.0)

    def reset(self) -> None:
        """The phone restarted: whatever slowed it is gone (the usual latencies stay)."""
        self.active = False
        self._recent.clear()
        self._rising.clear()

    def _rate(self) -> float | None:
        """Seconds of excess per second, from a line through the rising excess (None when it
        is not rising)."""
        if len(self._rising) < 3:
            return None
        ts = np.array([p[0] for p in self._rising])
        es = np.array([p[1] for p in self._rising])
        if float(np.ptp(ts)) <= 1e-6:
            return None
        slope = float(np.polyfit(ts, es, 1)[0])
        return slope if slope > 0 else None

    def _knee(self) -> tuple[float, float]:
        """The hinge (zero until ``t0``, then ``rate * (t - t0)``) that fits the recent excess
        best: its knee ``t0`` and ``rate`` (s of excess per s)."""
        ts = np.array([p[0] for p in self._history])
        es = np.array([p[1] for p in self._history])
        best = (float(ts[0]), 0.0, math.inf)
        for t0 in ts[:-2]:
            x = np.clip(ts - t0, 0.0, None)
            xx = float(x @ x)
            if xx <= 0:
                continue
            rate = max(0.0, float(x @ es) / xx)
            err = float(((es - rate * x) ** 2).sum())
            if err < best[2]:
                best = (float(t0), rate, err)
        return best[0], best[1]
