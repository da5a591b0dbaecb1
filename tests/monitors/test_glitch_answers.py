"""The glitch watch and an answer the runner made sure was the touch's doing although it came
back (``responded(anywhere=True)``: nothing else answered): a band that began as it is the
answer, however far from the touch it lies."""

import numpy as np

from tapbot.monitors.glitch import GlitchWatch

ROWS, COLS = 48, 24
DT = 1 / 60


def _app_peeks_in_and_goes() -> list[np.ndarray]:
    """Grid samples of a light launcher with a block of content, and an app that slides in
    from the bottom (six rows of it) and, closed at once, slides back."""
    base = np.full((ROWS, COLS, 3), 230, np.int16)
    base[10:20, 4:20] = (60, 90, 200)
    peek = base.copy()
    peek[42:48] = (20, 120, 40)
    return [base] * 5 + [peek] * 6 + [base] * 6


def feed(watch: GlitchWatch, frames: list[np.ndarray], t0: float = 10.0) -> list:
    seen = (watch.feed(t0 + i * DT, img.reshape(-1, 3).copy()) for i, img in enumerate(frames))
    return [s for s in seen if s is not None]


def test_a_band_that_began_as_the_only_answer_is_no_glitch_far_from_the_touch():
    frames = _app_peeks_in_and_goes()
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 1 * DT, 10.0 + 2 * DT, rows=(3, 4))  # the app's icon, at the top
    watch.responded(10.0 + 5 * DT, anywhere=True)  # nothing else answered the tap
    assert feed(watch, frames) == []


def test_the_same_band_as_an_answer_not_made_sure_of_is_a_glitch():
    # a key's answer may be a glitch the runner took for it: far from the key, it explains
    # nothing
    frames = _app_peeks_in_and_goes()
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 1 * DT, 10.0 + 2 * DT, rows=(3, 4))
    watch.responded(10.0 + 5 * DT)
    assert len(feed(watch, frames)) == 1
