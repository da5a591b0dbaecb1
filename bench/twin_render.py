"""How long the twin's camera takes to render one frame (target: <= 5 ms median at 1280x720).

    python bench/twin_render.py [--size 1280x720] [--fps 60] [--frames 600] [--markers]

One core (cv2.setNumThreads(1)). Renders consecutive frames of three scenes, each on a fresh
frame cache (frames are rendered, not fetched): the launcher with the tool hovering still, the
video app playing (a new screen every video frame), and the tool dragging a finger across the
screen (motion blur). A frame is timed whole, in colour (``frame.image``: the luma plane a view
reads, then the colour pixels and the image); the luma plane alone, all a runner's view needs
of most frames, is timed too. Prints the median and p95 per scene and over all frames; the last
line is the overall median of whole frames.
"""

from __future__ import annotations

import argparse
import os

import cv2
import numpy as np

from tapbot.core.clock import VirtualClock, wall_perf
from tapbot.sim import (
    SimCamera,
    SimCameraOptions,
    SimPhone,
    SimPhoneOptions,
    SimRobot,
    SimRobotOptions,
    SimWorld,
)


def _rig(size: tuple[int, int], fps: float, markers: bool):
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    world = SimWorld(clock, phone)
    camera = SimCamera(SimCameraOptions(size_px=size, fps=fps, markers=markers), world)
    robot = SimRobot(SimRobotOptions(), world)
    return clock, phone, world, camera, robot


def _time_frames(camera: SimCamera, k0: int, n: int, whole: bool = True
                 ) -> tuple[list[float], float]:
    """Wall time of each render (``whole``: the whole colour image; else the luma plane
    only), and the process CPU time per frame (immune to other processes sharing the cores;
    os.times has 10 ms resolution, so only the mean)."""
    out = []
    cpu0 = os.times()
    for k in range(k0, k0 + n):
        t0 = wall_perf()
        frame = camera.render(k)
        if whole:
            frame.image  # noqa: B018 (made here)
        out.append(wall_perf() - t0)
    cpu1 = os.times()
    return out, (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=float, default=60.0)
    parser.add_argument("--frames", type=int, default=600, help="frames per scene")
    parser.add_argument("--markers", action="store_true")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    w, h = (int(v) for v in args.size.lower().split("x"))
    n = args.frames
    period = 1.0 / args.fps
    results: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    luma: dict[str, list[float]] = {}

    def still() -> tuple[SimCamera, int]:
        """The launcher, the tool hovering still over the screen."""
        clock, _phone, world, camera, robot = _rig((w, h), args.fps, args.markers)
        x, y = world.true_screen_to_robot().apply_point(540.0, 1200.0)
        robot.move_to(x, y, 300.0)
        t_start = clock.now()
        clock.sleep(n * period + 0.1)
        return camera, int(t_start * args.fps) + 1

    def video() -> tuple[SimCamera, int]:
        """The video playing: the screen changes every video frame."""
        clock, phone, _world, camera, robot = _rig((w, h), args.fps, args.markers)
        robot.move_to(5.0, 5.0, 300.0)
        phone.open_app("Video", clock.now())
        t_start = clock.now() + 0.5
        clock.sleep(0.5 + n * period + 0.1)
        return camera, int(t_start * args.fps) + 1

    def drag() -> tuple[SimCamera, int]:
        """A finger dragged to and fro across the screen (blurred over the exposure)."""
        clock, _phone, world, camera, robot = _rig((w, h), args.fps, args.markers)
        to_deck = world.true_screen_to_robot()
        a, b = to_deck.apply_point(200.0, 1200.0), to_deck.apply_point(880.0, 1200.0)
        robot.move_to(*a, 300.0)
        robot.finger_down(0, 0.0)
        t_start = clock.now()
        while clock.now() < t_start + n * period + 0.1:
            robot.move_to(*b, 150.0)
            robot.move_to(*a, 150.0)
        return camera, int(t_start * args.fps) + 1

    for scene in (still, video, drag):  # each on a fresh rig, whole and luma alike
        results[scene.__name__], cpu[scene.__name__] = _time_frames(*scene(), n)
        luma[scene.__name__], _ = _time_frames(*scene(), n, whole=False)

    every = np.concatenate([np.asarray(v) for v in results.values()]) * 1000
    print(f"twin camera render, {w}x{h} at {args.fps:g} fps, one core, {n} frames per scene")
    for name, times in results.items():
        ms = np.asarray(times) * 1000
        print(f"  {name:6s} median {np.median(ms):6.2f} ms   p95 {np.percentile(ms, 95):6.2f} ms"
              f"   cpu mean {cpu[name] * 1000:6.2f} ms   (luma plane only: median "
              f"{np.median(luma[name]) * 1000:.2f} ms)")
    print(f"  all    median {np.median(every):6.2f} ms   p95 {np.percentile(every, 95):6.2f} ms"
          f"   cpu mean {np.mean(list(cpu.values())) * 1000:6.2f} ms")
    print(f"render_ms_median: {np.median(every):.2f}")


if __name__ == "__main__":
    main()
