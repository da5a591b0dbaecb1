"""What looking at every frame costs on the twin: the glitch grid's pixels, rendered by the twin's
camera, and the glitch watch over them, per camera frame (CPU microseconds).

    python bench/twin_pixels.py [--seconds 5]

The default twin rig (640x480 at 60 fps) and the runner's grid (24 x 48 screen points).
Three scenes, each a few simulated seconds asked for in one batch, as the runner asks: a still
screen (Settings) with the tool at rest, the video playing (a new screen every video frame),
and the tool travelling over a still screen (motion blur). One OpenCV thread. The last line is
the scene-weighted total for a soak like the demo's (a third of the frames with the tool
moving, a third with the screen changing).
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from tapbot.core.geometry import PointMm
from tapbot.monitors.glitch import GlitchWatch
from tapbot.monitors.sampler import FrameSampler
from tapbot.rig import build_rig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    rig = build_rig(None, seed=1)
    camera, clock = rig.camera, rig.clock
    phone = camera.world.phone  # the twin's phone: to set the scene without a flow
    sampler = FrameSampler(rig.calibration, rig.device.screen_px)
    points = sampler.points(camera.size_px)
    robot = rig.robot
    robot.setup()
    robot.home()
    figures: dict[str, tuple[float, float]] = {}

    def scene(name: str, act) -> None:
        t0 = clock.now()
        act()
        c0 = time.process_time()
        got = camera.pixels(t0, clock.now(), points, 1.0 / camera.fps)
        c1 = time.process_time()
        watch = GlitchWatch(0.25, rows=sampler.rows)
        watch.feed_many([p.t for p in got], np.stack([p.values for p in got]).astype(np.int16))
        c2 = time.process_time()
        n = max(1, len(got))
        figures[name] = ((c1 - c0) / n * 1e6, (c2 - c1) / n * 1e6)
        print(f"{name}: {len(got)} frames, pixels {figures[name][0]:.0f} us/frame, "
              f"glitch watch {figures[name][1]:.0f} us/frame")

    phone.open_app("Settings")
    clock.sleep(2.0)
    camera.pixels(clock.now() - 0.5, clock.now(), points)  # the point set, drawn once
    scene("still screen, tool at rest", lambda: clock.sleep(args.seconds))
    phone.open_app("Video")
    clock.sleep(1.0)
    scene("video playing", lambda: clock.sleep(args.seconds))
    phone.open_app("Settings")
    clock.sleep(1.0)

    def travel() -> None:
        t_end = clock.now() + args.seconds
        i = 0
        while clock.now() < t_end:
            robot.move_to(PointMm(60 + (20 if i % 2 else -20), 100 + (30 if i % 2 else 0)),
                          150)
            i += 1

    scene("tool travelling", travel)
    total = sum(p + w for p, w in figures.values()) / len(figures)
    print(f"per frame, a third of each scene: {total:.0f} us "
          f"({total * camera.fps / 1000:.1f} ms per simulated second at {camera.fps:g} fps)")


if __name__ == "__main__":
    main()
