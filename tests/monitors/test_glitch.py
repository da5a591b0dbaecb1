"""The glitch watch on hand-made grid samples: what comes and goes is a glitch, what stays or
moves on is not, and a touch's own response is not."""

import numpy as np

from tapbot.monitors.glitch import GlitchWatch

ROWS, COLS = 48, 24
DT = 1 / 60


def screen(value=(230, 230, 230)) -> np.ndarray:
    """A plain light screen with a darker block (an app's content), as (points, 3) int16."""
    img = np.empty((ROWS, COLS, 3), np.int16)
    img[:] = value
    img[10:20, 4:20] = (60, 90, 200)
    return img


def flat(img: np.ndarray) -> np.ndarray:
    return img.reshape(-1, 3).copy()


def feed(watch: GlitchWatch, frames: list[np.ndarray], t0: float = 10.0):
    out = []
    for i, img in enumerate(frames):
        s = watch.feed(t0 + i * DT, flat(img))
        if s is not None:
            out.append(s)
    return out


def bars() -> np.ndarray:
    colours = [(255, 255, 255), (0, 255, 255), (255, 255, 0), (0, 255, 0), (255, 0, 255),
               (0, 0, 255), (255, 0, 0), (0, 0, 0)]
    img = np.empty((ROWS, COLS, 3), np.int16)
    for i, c in enumerate(colours):
        img[:, i * 3:(i + 1) * 3] = c
    return img


def test_a_black_flash_of_three_frames_is_one_glitch_at_its_frames():
    base = screen()
    black = np.zeros_like(base)
    frames = [base] * 10 + [black] * 3 + [base] * 10
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), frames)
    assert abs(seen.t_start - (10.0 + 10 * DT)) < 1e-9
    assert abs(seen.t_end - (10.0 + 12 * DT)) < 1e-9


def test_colour_bars_and_a_tearing_band_are_glitches():
    base = screen()
    assert len(feed(GlitchWatch(0.25, rows=ROWS), [base] * 5 + [bars()] * 4 + [base] * 5)) == 1
    torn = base.copy()
    torn[24:30] = torn[24:30, ::-1, ::-1] ^ 0x40  # six rows shifted, colours scrambled
    assert len(feed(GlitchWatch(0.25, rows=ROWS), [base] * 5 + [torn] * 2 + [base] * 5)) == 1


def test_a_change_that_stays_or_lasts_too_long_is_not_a_glitch():
    base, other = screen(), screen((30, 30, 30))
    assert feed(GlitchWatch(0.25, rows=ROWS), [base] * 5 + [other] * 30) == []
    black = np.zeros_like(base)  # dark for half a second: a screen off, not a flash
    assert feed(GlitchWatch(0.25, rows=ROWS), [base] * 5 + [black] * 30 + [base] * 5) == []


def test_an_object_moving_across_and_away_is_not_a_glitch():
    frames = []
    for k in range(40):  # a dark block sliding down one row per frame
        img = screen()
        img[k:k + 8, 2:22] = (20, 20, 20)
        frames.append(img)
    assert feed(GlitchWatch(0.25, rows=ROWS), frames) == []


def test_a_touch_response_or_a_touch_in_between_makes_a_coming_back_no_glitch():
    base = screen()
    blank = base.copy()
    blank[8:40] = (250, 250, 250)  # a page blanking while it reloads ...
    frames = [base] * 5 + [blank] * 8 + [base] * 5  # ... and coming back
    assert len(feed(GlitchWatch(0.25, rows=ROWS), frames)) == 1  # with no touch: a glitch
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.responded(10.0 + 5 * DT)  # the runner saw the reload's response begin there
    assert feed(watch, frames) == []
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 9 * DT, 10.0 + 10 * DT)  # the robot pressed home while it was away
    assert feed(watch, frames) == []
    watch = GlitchWatch(0.25, rows=ROWS)  # just after a touch nobody looked for a response to
    watch.touched(10.0 + 2 * DT, 10.0 + 3 * DT)
    assert feed(watch, frames) == []
    watch = GlitchWatch(0.25, rows=ROWS)  # a touch long before changes nothing
    watch.touched(9.0, 9.06)
    assert len(feed(watch, frames)) == 1
    watch = GlitchWatch(0.25, rows=ROWS)  # abnormal frames are glitches whatever the robot did
    watch.touched(10.0 + 2 * DT, 10.0 + 3 * DT)
    assert len(feed(watch, [base] * 5 + [np.zeros_like(base)] * 3 + [base] * 5)) == 1


def test_a_tearing_band_far_from_a_touch_made_meanwhile_is_still_a_glitch():
    base = screen()
    torn = base.copy()
    torn[24:30] = torn[24:30, ::-1, ::-1] ^ 0x40
    frames = [base] * 5 + [torn] * 2 + [base] * 5
    watch = GlitchWatch(0.25, rows=ROWS)  # the robot pressed home (the bottom rows) meanwhile
    watch.touched(10.0 + 6 * DT, 10.0 + 7 * DT, rows=(46, 47))
    assert len(feed(watch, frames)) == 1
    watch = GlitchWatch(0.25, rows=ROWS)  # a touch on those rows: a pressed row's highlight
    watch.touched(10.0 + 4 * DT, 10.0 + 7 * DT, rows=(26, 27))
    assert feed(watch, frames) == []
    watch = GlitchWatch(0.25, rows=ROWS)  # a touch anywhere (rows unknown) explains it too
    watch.touched(10.0 + 6 * DT, 10.0 + 7 * DT)
    assert feed(watch, frames) == []


def test_feeding_a_batch_gives_what_feeding_frame_by_frame_gives():
    rng = np.random.default_rng(3)
    base, black = screen(), np.zeros_like(screen())
    torn = base.copy()
    torn[24:30] = torn[24:30, ::-1, ::-1] ^ 0x40
    frames = []
    for k in range(60):  # noise, a block sliding, a flash, a tear, bars and a change that stays
        img = screen() + rng.integers(-4, 5, size=base.shape).astype(np.int16)
        img[k % 40:k % 40 + 8, 2:22] = (20, 20, 20)
        frames.append(img)
    frames += [black] * 3 + [base] * 8 + [torn] * 2 + [base] * 8 + [bars()] * 3 + [base] * 8
    frames += [screen((30, 30, 30))] * 20
    one = feed(GlitchWatch(0.25, rows=ROWS), frames)
    assert len(one) == 3
    ts = [10.0 + i * DT for i in range(len(frames))]
    batch = GlitchWatch(0.25, rows=ROWS)
    many = []
    for a in range(0, len(frames), 17):  # batches of any size, across the glitches
        many += batch.feed_many(ts[a:a + 17], np.stack([flat(f) for f in frames[a:a + 17]]))
    assert many == one
