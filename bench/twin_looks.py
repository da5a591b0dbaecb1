"""What the runner asks the twin's camera to render, and why: a helper of the soak benchmarks.

The runner's thread spends about half its CPU in the twin, most of it rendering the frames it
looks at: whole frames for its views, and frames at the glitch grid's points for its short
looks (settle, came-back, first moved). Each look decides the next, so they cannot move to the
twin's copy without the runner waiting: a faster soak needs fewer or cheaper looks per touch.
:class:`TwinLooks` counts them by purpose (the two innermost functions of ``tapbot.runner`` on
the stack when the camera renders) with the runner thread's CPU inside each.

It wraps the camera's rendering of a whole frame (not a frame served from its cache) and of
frames at points (``pixels_here``: the frames it renders, not those it had kept), in the
runner's process only. A measuring tool: it reads the thread's CPU clock twice and walks the
stack once per call (~3 us); the figures it prints come with that cost.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import defaultdict
from typing import Any

#: Where on the stack a purpose is read: frames of the runner's own package.
RUNNER_PATH = f"{os.sep}tapbot{os.sep}runner{os.sep}"


def _purpose(depth: int = 2) -> str:
    """The innermost two functions of ``tapbot.runner`` calling, ``outer/inner``."""
    names: list[str] = []
    frame = sys._getframe(depth)
    while frame is not None and len(names) < 2:
        if RUNNER_PATH in frame.f_code.co_filename:
            names.append(frame.f_code.co_name)
        frame = frame.f_back
    return "/".join(reversed(names)) or "(outside the runner)"


class TwinLooks:
    """Counts the frames the runner's thread has ``rig``'s camera render, by purpose."""

    def __init__(self, rig: Any) -> None:
        self._pid = os.getpid()
        self._thread = threading.get_ident()
        #: (kind, purpose) -> [frames rendered, CPU seconds]
        self.looks: defaultdict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
        self._points_rendered = 0
        camera = rig.camera
        render, pixels_here = camera._render, camera.pixels_here
        scene_at_points = camera._scene_at_points

        def mine() -> bool:
            return os.getpid() == self._pid and threading.get_ident() == self._thread

        def timed_render(*args: Any, **kwargs: Any) -> Any:
            if not mine():
                return render(*args, **kwargs)
            t0 = time.thread_time()
            try:
                return render(*args, **kwargs)
            finally:
                self._add("whole", _purpose(), 1, time.thread_time() - t0)

        def timed_pixels(*args: Any, **kwargs: Any) -> Any:
            if not mine():
                return pixels_here(*args, **kwargs)
            before = self._points_rendered
            t0 = time.thread_time()
            try:
                return pixels_here(*args, **kwargs)
            finally:
                self._add("points", _purpose(), self._points_rendered - before,
                          time.thread_time() - t0)

        def counted_scene(*args: Any, **kwargs: Any) -> Any:
            self._points_rendered += 1
            return scene_at_points(*args, **kwargs)

        camera._render = timed_render
        camera.pixels_here = timed_pixels
        camera._scene_at_points = counted_scene

    def _add(self, kind: str, purpose: str, frames: int, cpu_s: float) -> None:
        entry = self.looks[(kind, purpose)]
        entry[0] += frames
        entry[1] += cpu_s

    def report(self, touches: int, runner_cpu_s: float, top: int = 16) -> str:
        """Lines for a benchmark's output: per purpose, frames rendered per touch, CPU per
        frame and share of the runner's CPU, costliest first; then the totals."""
        per = max(touches, 1)
        lines = [f"{'looks (runner thread)':44s} {'frames/touch':>12s} {'us/frame':>9s} "
                 f"{'share':>6s}"]
        ranked = sorted(self.looks.items(), key=lambda kv: -kv[1][1])
        for (kind, purpose), (frames, cpu) in ranked[:top]:
            lines.append(f"{kind + ' ' + purpose:44s} {frames / per:12.2f} "
                         f"{1e6 * cpu / max(frames, 1):9.0f} "
                         f"{100 * cpu / max(runner_cpu_s, 1e-9):5.1f}%")
        for kind in ("whole", "points"):
            frames = sum(v[0] for k, v in self.looks.items() if k[0] == kind)
            cpu = sum(v[1] for k, v in self.looks.items() if k[0] == kind)
            lines.append(f"looks_{kind}: {frames / per:.2f} frames per touch, "
                         f"{1e3 * cpu / per:.2f} ms per touch, "
                         f"{100 * cpu / max(runner_cpu_s, 1e-9):.0f} % of the runner's CPU")
        return "\n".join(lines)
