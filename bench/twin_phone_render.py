"""How long the twin phone takes to draw one display frame (figures printed, nothing asserted).

Usage: ``python bench/twin_phone_render.py [--frames N]``. For each screen that changes by
itself or follows a finger (video, game, music, boot animation, an opening transition, a
browser page loading, momentum scrolling in Settings, Messages and the browser) it draws N
consecutive display frames at the camera's render scale (0.2) and at full resolution, each
frame with the phone's own render cache emptied (the drawing code's caches of static pieces
stay, as in a soak), and prints the median and p95 wall time and the mean CPU time per frame
in ms, and how many distinct display states the N frames showed.
"""

from __future__ import annotations

import argparse
import statistics
import time

from tapbot.core.clock import MonotonicClock, VirtualClock
from tapbot.sim import FaultEvent, FaultOptions, SimPhone, SimPhoneOptions
from tapbot.sim.apps import layout as L

W, H = 1080, 2400
#: launcher icon index of the app each scene opens
_ICONS = {"video": 1, "game": 7, "music": 4, "settings": 5, "transition": 0, "browser": 3,
          "browser-scroll": 3, "messages": 2}


def _tap(phone: SimPhone, clock: VirtualClock, t: float, f: tuple[float, float]) -> None:
    clock.advance_to(t)
    phone.touch_down(t, f[0] * W, f[1] * H)
    phone.touch_up(t + 0.05, f[0] * W, f[1] * H)


def _fling(phone: SimPhone, clock: VirtualClock, t: float) -> float:
    """A quick upward swipe from 0.8 H at ``t``; returns when the content starts coasting."""
    clock.advance_to(t)
    phone.touch_down(t, 0.5 * W, 0.8 * H)
    for k in range(1, 6):
        phone.touch_move(t + 0.02 * k, 0.5 * W, (0.8 - 0.04 * k) * H)
    phone.touch_up(t + 0.1, 0.5 * W, 0.6 * H)
    clock.advance_to(t + 2.0)
    return t + 0.15


def _scene(name: str) -> tuple[SimPhone, float]:
    """A phone showing ``name`` from the returned time on."""
    clock = VirtualClock()
    faults = FaultOptions(schedule=[FaultEvent(kind="reboot", at_s=1.0)]) if name == "boot" \
        else FaultOptions()
    phone = SimPhone(SimPhoneOptions(faults=faults), clock)
    if name in _ICONS:
        _tap(phone, clock, 1.0, L.icon_center(_ICONS[name]))
    if name == "music":
        _tap(phone, clock, 2.0, L.MUSIC_BUTTONS["play"])
    if name in ("settings", "messages"):
        return phone, _fling(phone, clock, 3.0)
    if name == "browser-scroll":  # wait for the page to load (seconds), then fling it
        return phone, _fling(phone, clock, 10.0)
    if name == "browser":  # the page loads: a progress bar grows for about a second
        clock.advance_to(3.0)
        return phone, phone.truth.responses[0].t_visible
    clock.advance_to(600.0)
    if name == "transition":
        return phone, phone.truth.responses[0].t_visible
    return phone, {"boot": 3.0}.get(name, 10.0)


def measure(name: str, scale: float, frames: int) -> tuple[float, float, float, int]:
    """(median wall ms, p95 wall ms, mean CPU ms, distinct states) of ``frames`` frames."""
    phone, t0 = _scene(name)
    times, keys = [], set()
    wall = MonotonicClock()
    cpu = 0.0
    for k in range(frames):
        t = t0 + k / 60.0
        key = phone.display_key(t)
        keys.add(key)
        phone._renders.clear()  # measure drawing, not the phone's cache
        c0, start = time.thread_time(), wall.now()
        phone.screen_at(t, scale)
        times.append((wall.now() - start) * 1000.0)
        cpu += time.thread_time() - c0
    times.sort()
    return (statistics.median(times), times[int(0.95 * (len(times) - 1))],
            cpu / frames * 1000.0, len(keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args()
    print(f"{'screen':<15} {'scale':>5} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>7} "
          f"{'distinct':>9}")
    for name in ("video", "game", "music", "boot", "transition", "browser", "settings",
                 "messages", "browser-scroll"):
        n = min(args.frames, 18) if name == "transition" else args.frames
        for scale in (0.2, 1.0):
            med, p95, cpu, distinct = measure(name, scale, n)
            print(f"{name:<15} {scale:>5.1f} {med:>10.3f} {p95:>8.3f} {cpu:>7.3f} "
                  f"{distinct:>9d}")


if __name__ == "__main__":
    main()
