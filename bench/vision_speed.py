"""How fast vision runs on one core: rectify + change, template search, OCR.

    python bench/vision_speed.py [--repeat 200] [--ocr-repeat 5]

Targets (issue 4): rectify + change detection of a 1920x1080 frame into a 540x1200 gray view
<= 6 ms median; template search in a region <= 20 ms; OCR of a full screen view <= 1 s.
Frames are the twin camera's (1920x1080, the Counter app and the launcher). Rectify is timed
twice: a plain warp (lens ignored) and the calibration's own rectifier
(``ScreenRectifier.for_calibration``: the twin's lens, k1 = -0.01, undone by tiles). OpenCV
runs with one thread (cv2.setNumThreads(1)) and onnxruntime with one intra-op thread. Prints
one line per figure: ``name: median wall ms (min wall, mean CPU ms of this thread) [target]``;
on a busy machine the median includes waiting for a core, the minimum and the CPU time are closer to
the one-core cost.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics

import cv2
import numpy as np

from tapbot.core.clock import wall_perf
from tapbot.rig import build_rig
from tapbot.vision import (
    ChangeDetector,
    ScreenRectifier,
    TextReader,
    match_template,
)


def _cpu_s() -> float:
    """CPU seconds this thread has used (unlike wall time, not inflated by other processes)."""
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime + r.ru_stime


def _time(fn, repeat: int) -> tuple[float, float, float]:
    """Wall median and minimum (ms) of ``repeat`` calls, and their mean CPU time (ms)."""
    times = []
    cpu0 = _cpu_s()
    for _ in range(repeat):
        t0 = wall_perf()
        fn()
        times.append((wall_perf() - t0) * 1000.0)
    cpu_ms = (_cpu_s() - cpu0) * 1000.0 / repeat
    return statistics.median(times), min(times), cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--ocr-repeat", type=int, default=5)
    args = parser.parse_args()
    cv2.setNumThreads(1)

    rig = build_rig(None, seed=1, overrides={"camera": {"size_px": (1920, 1080)}})
    rig.open()
    rig.clock.sleep(0.5)
    launcher = rig.camera.latest().image
    rig.link.launch_app("Counter")
    rig.clock.sleep(0.5)
    frames = [f.image for f in rig.camera.frames(rig.clock.now() - 0.2, rig.clock.now())]
    # the plain warp ignores the twin's lens; the calibration's own rectifier models it (tiles)
    rect = ScreenRectifier(rig.calibration.camera_to_screen_h, rig.device.screen_px, 0.5)
    lens = ScreenRectifier.for_calibration(rig.calibration, rig.device.screen_px, 0.5)
    assert rect.view_size_px == lens.view_size_px == (540, 1200)
    assert lens.distortion is not None, "the twin calibration should carry the camera's lens"
    det = ChangeDetector()
    k = iter(range(10**9))
    for name, r in (("plain warp", rect), ("lens tiles", lens)):
        ref = r.view(frames[0])

        def rectify_and_change(r: ScreenRectifier = r, ref: np.ndarray = ref) -> None:
            det.compare(ref, r.view(frames[next(k) % len(frames)]))

        med, fastest, cpu = _time(rectify_and_change, args.repeat)
        print(f"rectify+change 1920x1080 -> 540x1200, {name}: {med:.2f} ms (min {fastest:.2f}, "
              f"cpu {cpu:.2f}) [<= 6 ms]")
        med, fastest, cpu = _time(lambda r=r: r.view(frames[0]), args.repeat)
        print(f"  of which rectify: {med:.2f} ms (min {fastest:.2f}, cpu {cpu:.2f})")

    lview = rect.view(launcher)
    cx, cy = rect.screen_to_view(0.375 * 1080, 0.20 * 2400)  # the Video icon
    half = round(0.16 * 1080 * 0.5 / 2) + 4
    tpl = lview[round(cy) - half:round(cy) + half, round(cx) - half:round(cx) + half].copy()
    region = (0, 120, 540, 400)  # the icon rows
    m = match_template(lview, tpl, region=region)
    assert m.found, m
    med, fastest, cpu = _time(lambda: match_template(lview, tpl, region=region), args.repeat // 4)
    print(f"template {tpl.shape[1]}x{tpl.shape[0]} in region 540x400: {med:.2f} ms "
          f"(min {fastest:.2f}, cpu {cpu:.2f}) [<= 20 ms]")
    med, fastest, cpu = _time(lambda: match_template(lview, tpl, region=region,
                                            scales=(0.9, 1.0, 1.1)), args.repeat // 4)
    print(f"  same, 3 scales: {med:.2f} ms (min {fastest:.2f}, cpu {cpu:.2f})")
    med, fastest, cpu = _time(lambda: match_template(lview, tpl), args.repeat // 8)
    print(f"  whole 540x1200 view: {med:.2f} ms (min {fastest:.2f}, cpu {cpu:.2f})")

    reader = TextReader(threads=1)
    for scale in (0.5, 0.33):
        r = ScreenRectifier(rig.calibration.camera_to_screen_h, rig.device.screen_px, scale)
        view = r.view(launcher)
        lines = reader.read(view)  # warm-up (first call loads the models)
        med, fastest, cpu = _time(lambda v=view: reader.read(v), args.ocr_repeat)
        print(f"OCR full screen view {view.shape[1]}x{view.shape[0]} (scale {scale}): "
              f"{med:.0f} ms (min {fastest:.0f}, cpu {cpu:.0f}) [<= 1000 ms], {len(lines)} lines")
    region = (0, 0, 540, 120)
    view = rect.view(rig.camera.latest().image)
    med, fastest, cpu = _time(lambda: reader.read(view, region), args.ocr_repeat)
    print(f"OCR of a 540x120 region (title bar): {med:.0f} ms (min {fastest:.0f}, cpu {cpu:.0f})")
    print(f"(numpy {np.__version__}, OpenCV {cv2.__version__}, one thread; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: other processes inflate these)")


if __name__ == "__main__":
    main()
