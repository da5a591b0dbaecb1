"""How much of the runner's own thread goes to the twin: a helper of the soak benchmarks.

On the twin, the runner's process does two kinds of work: its own (the vision that looks at
frames, the monitors, the runner's decisions, the store) and the twin's (rendering the frames
it looks at, the robot's and phone's simulation, talking to the twin's copy). Real hardware
does the second kind in the camera, the robot and the phone, so the runner's own work is the
floor of a soak's wall time on the twin: however fast the twin became, a soak could not run
faster than that.

:class:`TwinShare` measures the split: it wraps the public methods of the rig's simulated parts
(the camera and the links to the sinks it runs, the robot's backend, the device link, the
clock's ``sleep``) and adds up the runner thread's CPU time inside them (the outermost call
only). It is a measuring tool: it adds ~2 us per wrapped call (two reads of the thread's CPU
clock, ~0.7 us each here). The camera's frame-clock arithmetic (frame times and indices, the
flicker's gain: four in five of the camera's calls, each well under that) is not wrapped: it
would cost the soak more than it measures.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from typing import Any

#: Camera methods that only do arithmetic on the frame clock: left unwrapped (see above).
CLOCK_ARITHMETIC = frozenset({"frame_time", "frame_indices", "frame_stamps", "thinning_stride",
                              "interval_is_empty", "flicker_gain"})


class TwinShare:
    """Counts the main thread's CPU seconds spent in the twin's parts of ``rig``."""

    def __init__(self, rig: Any) -> None:
        self.twin_s = 0.0
        self._depth = 0
        self._thread = threading.get_ident()
        self._t0 = time.thread_time()
        parts = [rig.camera, rig.robot.backend, rig.link]
        for part in parts:
            if part is not None:
                self._wrap_methods(part)
        self._wrap(rig.clock, "sleep")
        self._wrap(rig.clock, "advance_to")
        # the links to sinks the camera runs (the glitch watch, in the twin's copy): their
        # calls are the twin's too (with a real camera the watch would be the runner's own)
        links: set[int] = set()
        get_link = rig.camera.pixel_sink

        def pixel_sink(sink: Any) -> Any:
            link = get_link(sink)
            if id(link) not in links:
                links.add(id(link))
                self._wrap_methods(link)
            return link

        rig.camera.pixel_sink = pixel_sink

    def _wrap_methods(self, obj: Any) -> None:
        for name, member in inspect.getmembers(type(obj)):
            if name.startswith("_") or not inspect.isfunction(member) \
                    or name in CLOCK_ARITHMETIC:
                continue
            self._wrap(obj, name)

    def _wrap(self, obj: Any, name: str) -> None:
        method = getattr(obj, name)
        share = self

        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if share._depth or threading.get_ident() != share._thread:
                return method(*args, **kwargs)
            share._depth = 1
            t0 = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                share.twin_s += time.thread_time() - t0
                share._depth = 0

        setattr(obj, name, timed)

    @property
    def total_s(self) -> float:
        """The main thread's CPU seconds since this was made."""
        return time.thread_time() - self._t0

    def report(self, sim_s: float) -> str:
        """Lines for a benchmark's output: the split, and the floor it sets on a 24 h soak."""
        total = self.total_s
        own = total - self.twin_s
        per_day = 86400 / max(sim_s, 1e-9) / 60
        return (f"runner thread cpu {total:.1f} s: the twin {self.twin_s:.1f} s "
                f"({100 * self.twin_s / max(total, 1e-9):.0f} %), its own work {own:.1f} s\n"
                f"own_work_minutes_for_24h: {own * per_day:.1f} (the floor with a free twin)")
