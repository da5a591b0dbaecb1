"""How long the twin phone takes to draw one display frame (figures printed, nothing asserted).

Usage: ``python bench/twin_phone_render.py [--frames N]``. For each animated screen (video,
game, music, boot animation, a transition, momentum scrolling) it draws N consecutive display
frames at the camera's render scale (0.2) and at full resolution, each frame a new display key
(no cache hits), and prints the median and p95 time per frame in ms.
"""

from __future__ import annotations

import argparse
import statistics

from tapbot.core.clock import MonotonicClock, VirtualClock
from tapbot.sim import FaultEvent, FaultOptions, SimPhone, SimPhoneOptions
from tapbot.sim.apps import layout as L

W, H = 1080, 2400


def _tap(phone: SimPhone, clock: VirtualClock, t: float, f: tuple[float, float]) -> None:
    clock.advance_to(t)
    phone.touch_down(t, f[0] * W, f[1] * H)
    phone.touch_up(t + 0.05, f[0] * W, f[1] * H)


def _scene(name: str) -> tuple[SimPhone, float]:
    """A phone showing ``name`` from the returned time on."""
    clock = VirtualClock()
    faults = FaultOptions(schedule=[FaultEvent(kind="reboot", at_s=1.0)]) if name == "boot" \
        else FaultOptions()
    phone = SimPhone(SimPhoneOptions(faults=faults), clock)
    icons = {"video": 1, "game": 7, "music": 4, "settings": 5, "transition": 0}
    if name in icons:
        _tap(phone, clock, 1.0, L.icon_center(icons[name]))
    if name == "music":
        _tap(phone, clock, 2.0, L.MUSIC_BUTTONS["play"])
    if name == "settings":  # a fling: momentum scrolling for ~1.5 s
        clock.advance_to(3.0)
        phone.touch_down(3.0, 0.5 * W, 0.8 * H)
        for k in range(1, 6):
            phone.touch_move(3.0 + 0.02 * k, 0.5 * W, (0.8 - 0.04 * k) * H)
        phone.touch_up(3.1, 0.5 * W, 0.6 * H)
        clock.advance_to(5.0)
        return phone, 3.15
    clock.advance_to(600.0)
    if name == "transition":
        return phone, phone.truth.responses[0].t_visible
    return phone, {"boot": 3.0}.get(name, 10.0)


def measure(name: str, scale: float, frames: int) -> tuple[float, float, int]:
    phone, t0 = _scene(name)
    times, keys = [], set()
    wall = MonotonicClock()
    for k in range(frames):
        t = t0 + k / 60.0
        key = phone.display_key(t)
        keys.add(key)
        phone._renders.clear()  # measure drawing, not the phone's cache
        start = wall.now()
        phone.screen_at(t, scale)
        times.append((wall.now() - start) * 1000.0)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args()
    print(f"{'screen':<11} {'scale':>5} {'median ms':>10} {'p95 ms':>8} {'distinct':>9}")
    for name in ("video", "game", "music", "boot", "transition", "settings"):
        n = min(args.frames, 18) if name == "transition" else args.frames
        for scale in (0.2, 1.0):
            med, p95, distinct = measure(name, scale, n)
            print(f"{name:<11} {scale:>5.1f} {med:>10.3f} {p95:>8.3f} {distinct:>9d}")


if __name__ == "__main__":
    main()
