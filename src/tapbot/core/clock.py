"""The one clock (DESIGN rule 1).

Everything that waits or stamps time takes a :class:`Clock`. Real rigs use
:class:`MonotonicClock`; the twin uses :class:`VirtualClock`, which jumps forward instead of
waiting, so a soak on the twin never waits on the wall. This module is the only place that may
call ``time.sleep`` / ``time.monotonic``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Seconds on the rig's timeline; ``sleep`` waits (or jumps) that long."""

    def now(self) -> float:
        """Current time in seconds on this clock."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (non-positive values return at once)."""
        ...


class MonotonicClock:
    """Wall-monotonic time for real rigs, starting near zero at construction."""

    def __init__(self) -> None:
        self._origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._origin

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """Simulated time: ``sleep`` advances ``now`` at once; nothing waits on the wall.

    ``listener``, when set, is called with the new time after every advance (a copy of a
    simulation in another process follows the clock this way)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self.listener: Callable[[float], None] | None = None

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._now += seconds
            if self.listener is not None:
                self.listener(self._now)

    def advance_to(self, t: float) -> None:
        """Jump to ``t`` if it lies ahead; never goes back."""
        if t > self._now:
            self._now = t
            if self.listener is not None:
                self.listener(self._now)


def wall_time() -> float:
    """Seconds since the epoch, for wall-clock fields of documents only (never for timing)."""
    return time.time()


def wall_perf() -> float:
    """A high-resolution wall counter, for benchmarks and progress rates only."""
    return time.perf_counter()
