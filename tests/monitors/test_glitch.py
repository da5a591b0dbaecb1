"""The glitch watch on hand-made grid samples: what comes and goes is a glitch, what stays or
moves on is not, and a touch's own response is not; and on what the twin's camera sees as an
app opens."""

import numpy as np
import pytest

from tapbot.monitors.glitch import GlitchWatch
from tapbot.monitors.sampler import FrameSampler
from tapbot.rig import build_rig
from tapbot.runner.watch import grid_moved
from tapbot.sim.apps import layout

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


def test_a_band_the_runner_took_for_a_key_press_response_far_from_it_is_a_glitch():
    base = screen()
    torn = base.copy()
    torn[24:30] = torn[24:30, ::-1, ::-1] ^ 0x40
    # back pressed at the bottom; the band came as the key went down, and the runner took it
    # for the key's response, which came (the screen before, fading in) right after it
    previous = screen((40, 40, 40))
    slide = [(base * (4 - k) + previous * k) // 4 for k in range(1, 5)]  # it fades in
    frames = [base] * 5 + [torn] * 2 + [base] + slide + [previous] * 5
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 4 * DT, 10.0 + 5 * DT, rows=(46, 47))
    watch.responded(10.0 + 5 * DT)
    assert len(feed(watch, frames)) == 1
    frames = [base] * 5 + [torn] * 2 + [base] * 5
    watch = GlitchWatch(0.25, rows=ROWS)  # a tap on the band's rows: its highlight
    watch.touched(10.0 + 4 * DT, 10.0 + 5 * DT, rows=(26, 27))
    watch.responded(10.0 + 5 * DT)
    assert feed(watch, frames) == []
    watch = GlitchWatch(0.25, rows=ROWS)  # a frozen screen thawing long after the last touch
    watch.touched(8.0, 8.06, rows=(46, 47))
    watch.responded(10.0 + 5 * DT)
    assert feed(watch, frames) == []
    blank = base.copy()  # a page that blanks while it reloads, after a touch anywhere
    blank[8:40] = (250, 250, 250)
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 4 * DT, 10.0 + 5 * DT)
    watch.responded(10.0 + 5 * DT)
    assert feed(watch, [base] * 5 + [blank] * 8 + [base] * 5) == []


def test_a_tear_over_a_still_screen_that_came_back_as_a_fade_began_is_a_glitch():
    # the robot's tool hides a third of the band's width (not a whole-row band); the band
    # came back exactly, and on the frame after it the next screen began to fade in
    base = screen()
    base[:, :8] = (70, 70, 80)  # the tool, standing over the left third
    torn = base.copy()
    torn[24:30, 8:] = tear(base, 24, 30)[24:30, 8:]
    nxt = screen((40, 40, 40))
    nxt[:, :8] = (70, 70, 80)
    fade = [(base * (4 - k) + nxt * k) // 4 for k in range(1, 5)]
    frames = noisy([base] * 5 + [torn] * 2 + [base] + fade + [nxt] * 5)
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), frames)
    assert abs(seen.t_start - (10.0 + 5 * DT)) < 1e-9


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


# -- tears over a screen that already moves ----------------------------------------------


def _tall_page() -> np.ndarray:
    """A long list, ten px per grid row: items of three to six rows, each a coloured icon
    and a line of dark text of its own length on white, with a thin divider."""
    rng = np.random.default_rng(11)
    img = np.empty((4000, COLS, 3), np.int16)
    img[:] = (245, 245, 245)
    y = 0
    while y < len(img):
        h = int(rng.integers(30, 61))
        img[y:y + 3] = (200, 200, 200)  # divider
        a, b = y + h // 3, y + 2 * h // 3
        img[a:b, 1:4] = rng.integers(0, 256, size=3)  # icon
        n = int(rng.integers(6, 19))
        img[a:b, 5:5 + n] = (40, 40, 40)  # text
        img[a:b, 5:5 + n:3] = (245, 245, 245)  # between words
        y += h
    kernel = np.ones(5) / 5  # edges a little soft, as a camera sees them
    soft = np.apply_along_axis(lambda c: np.convolve(c, kernel, "same"), 0, img)
    return soft.astype(np.int16)


TALL = _tall_page()


def page(offset: float) -> np.ndarray:
    """The list scrolled by ``offset`` grid rows under a fixed header (rows 0-3) and a
    navigation bar (rows 44-47)."""
    img = np.empty((ROWS, COLS, 3), np.int16)
    y = (np.arange(4, 44) + offset) * 10
    i = np.floor(y).astype(int)
    w = (y - i)[:, None, None]
    img[4:44] = (1 - w) * TALL[i] + w * TALL[i + 1]
    img[:4] = (30, 90, 160)
    img[44:] = (20, 20, 20)
    return img


def video(k: int) -> np.ndarray:
    """Frame ``k`` of a video playing in rows 8-31 (a scene panning sideways) under a title
    and over a list of comments."""
    img = page(0.0)
    yy, xx = np.mgrid[8:32, 0:COLS]
    phase = (xx + 0.4 * k) * 0.7 + yy * 0.3
    img[8:32, :, 0] = 90 + 60 * np.sin(phase)
    img[8:32, :, 1] = 110 + 50 * np.sin(phase * 1.3 + 1)
    img[8:32, :, 2] = 70 + 40 * np.cos(phase * 0.7)
    return img


def tear(img: np.ndarray, lo: int = 20, hi: int = 26) -> np.ndarray:
    """The twin's tearing band: rows shifted sideways, colours scrambled."""
    out = img.copy()
    out[lo:hi] = np.roll(out[lo:hi], 5, axis=1)[:, :, ::-1] ^ 0x40
    return out


def noisy(frames: list[np.ndarray], seed: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [f + rng.integers(-3, 4, size=f.shape).astype(np.int16) for f in frames]


def scroll(speeds) -> list[np.ndarray]:
    """Pages scrolled by ``speeds`` grid rows per frame (one frame per speed)."""
    out, y = [], 0.0
    for v in speeds:
        y += v
        out.append(page(y))
    return out


def test_a_tear_over_a_scroll_or_a_playing_video_is_a_glitch():
    frames = scroll([0.3] * 30)
    frames[15] = tear(frames[15])
    frames[16] = tear(frames[16])
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))
    assert abs(seen.t_start - (10.0 + 15 * DT)) < 1e-9
    frames = [video(k) for k in range(30)]
    for k in (12, 13, 14):
        frames[k] = tear(frames[k], 14, 20)
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))
    assert abs(seen.t_start - (10.0 + 12 * DT)) < 1e-9


def test_a_tear_over_a_video_right_after_a_spike_in_one_of_its_rows_is_a_glitch():
    # the twin's video: a flat picture whose colour changes a little every frame, a dark bar
    # flashing across one row; the camera catches the tear's band half its exposure (a change
    # only some four times the video's own), torn, back, torn again, back
    def clip(k: int) -> np.ndarray:
        img = page(0.0)
        img[8:32] = (60 + 10 * (k % 2), 110 + 10 * (k % 2), 150 - 10 * (k % 2))
        return img

    for bar_row in range(14, 21):  # the bar in any of the band's rows, just before it
        frames = [clip(k) for k in range(40)]
        frames[18] = frames[18].copy()
        frames[18][bar_row] = (20, 20, 20)
        assert feed(GlitchWatch(0.25, rows=ROWS), noisy(frames)) == []
        for k in (20, 22):
            frames[k] = (frames[k] + tear(frames[k], 14, 21)) // 2
        (seen,) = feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))
        assert abs(seen.t_start - (10.0 + 20 * DT)) < 1e-9


def test_scrolls_flings_slides_loading_and_a_thawing_video_are_no_glitch():
    # a steady scroll, a fling (fast start, slowing down) that starts from rest and stops
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(scroll([0.3] * 40))) == []
    fling = [0.0] * 10 + [1.8 * 0.9 ** k for k in range(40)] + [0.0] * 10
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(scroll(fling))) == []
    # a screen sliding in from below over the list, with an ease-out
    other = screen((250, 250, 250))
    slide = []
    for k in range(20):
        img = page(0.0)
        top = round(ROWS * (1 - (1 - min(1.0, k / 16)) ** 3))
        img[ROWS - top:] = other[:top]
        slide.append(img)
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy([page(0.0)] * 5 + slide)) == []
    # a page loading in stages: blocks of rows appear one after the other and stay
    stages, img = [], page(0.0)
    img[4:44] = (245, 245, 245)
    for k in range(40):
        if k in (8, 14, 20):
            lo = 4 + (k - 8) * 2
            img = img.copy()
            img[lo:lo + 6] = page(0.0)[lo:lo + 6] // 2 + 60
        stages.append(img)
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(stages)) == []
    # a video frozen for a while that plays on again
    thaw = [video(0)] * 20 + [video(k) for k in range(30, 60)]
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(thaw)) == []


def test_a_tear_over_a_video_fed_in_batches_is_found_as_frame_by_frame():
    frames = [video(k) for k in range(60)]
    for k in (20, 21, 40):  # a tear, and a band that flickers: torn, back, torn, back
        frames[k] = tear(frames[k], 14, 20)
    frames[42] = tear(frames[42], 14, 20)
    frames = noisy(frames)
    one = feed(GlitchWatch(0.25, rows=ROWS), frames)
    assert len(one) == 2
    ts = [10.0 + i * DT for i in range(len(frames))]
    batch = GlitchWatch(0.25, rows=ROWS)
    many = []
    for a in range(0, len(frames), 7):
        many += batch.feed_many(ts[a:a + 7], np.stack([flat(f) for f in frames[a:a + 7]]))
    assert many == one


def test_a_screen_sliding_in_and_out_after_a_tap_far_from_its_edge_is_no_glitch():
    # a tap on an icon at the top opens an app that slides up from the bottom, dark on dark:
    # its toolbar shows first, as a band over the calm screen, then the rest of the panel
    # sweeps over most of the screen; it slides away again (the app closed), the toolbar last
    home = screen((40, 50, 110))
    app = home.copy()
    app[4:40, :18] = (30, 30, 30)  # the panel's dark content over most of each row
    app[40:46] = (70, 70, 70)  # its toolbar
    edge = home.copy()
    edge[40:46] = app[40:46]
    frames = noisy([home] * 6 + [edge] + [app] * 4 + [edge] + [home] * 8)
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 2 * DT, 10.0 + 3 * DT, rows=(3, 4))
    assert feed(watch, frames) == []
    # the same toolbar band coming and going over a screen that stays as it was: a glitch
    frames = noisy([home] * 6 + [edge] * 6 + [home] * 8)
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 2 * DT, 10.0 + 3 * DT, rows=(3, 4))
    assert len(feed(watch, frames)) == 1



def test_a_tear_over_a_video_whose_bar_crosses_the_band_as_it_ends_is_a_glitch():
    # the frame after the band, the video's own dark bar crosses two of its middle rows: its
    # edge rows are back to the video's pace, and so is its typical row
    frames = [video(k) for k in range(30)]
    for k in (12, 13):
        frames[k] = tear(frames[k], 14, 21)
    frames[14] = frames[14].copy()
    frames[14][17:19] = (20, 20, 20)
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))
    assert abs(seen.t_start - (10.0 + 12 * DT)) < 1e-9


def test_a_card_that_shows_as_a_band_and_grows_past_it_is_no_glitch():
    # a card opens: its header shows as a band over the calm screen, its page replaces the
    # header the next frame, and the frame after the page grows over the rows above: the
    # change goes on past the band, it does not come and go
    home = screen((40, 50, 110))
    strip = home.copy()
    strip[27:30] = (200, 120, 60)
    card = home.copy()
    card[27:30] = (245, 245, 245)
    grown = card.copy()
    grown[21:27] = (245, 245, 245)
    grown2 = grown.copy()
    grown2[12:21] = (245, 245, 245)
    frames = noisy([home] * 6 + [strip, card, grown] + [grown2] * 8)
    assert feed(GlitchWatch(0.25, rows=ROWS), frames) == []


def _fading_clip(k: int) -> np.ndarray:
    """A flat picture in rows 8-31 that brightens and darkens by 30 (0-765) every frame."""
    p = k % 20
    v = 40 + 10 * (p if p < 10 else 20 - p)
    img = page(0.0)
    img[8:32] = (v, v + 5, v + 10)
    return img


def test_a_flickering_tear_over_a_video_whose_second_end_is_smaller_is_a_glitch():
    # torn, back, torn, back over a brightening picture: each end is smaller than the jump
    # before it by twice the picture's own change, and the second band (the picture under it
    # changed) is fainter: its end is under 0.8 of the first jump, yet it undoes its own
    frames = [_fading_clip(k) for k in range(60)]
    for k, off in ((21, 100), (22, 100), (24, 93), (25, 93)):
        frames[k] = frames[k].copy()
        frames[k][14:21] = np.clip(frames[k][14:21] + off, 0, 255)
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))
    assert abs(seen.t_start - (10.0 + 21 * DT)) < 1e-9
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy([_fading_clip(k) for k in range(60)])) == []


def test_a_band_after_the_tap_near_it_was_up_that_the_runner_took_for_its_answer_is_a_glitch():
    # an icon tapped at rows 10-11; 100 ms after the finger lifted a tear comes over them and
    # goes two frames later, as the app the tap opened slides in from the bottom: the runner
    # took the tear for the answer (the screen did not come back: the app came in meanwhile)
    base = screen()
    app = screen((30, 120, 60))
    frames = [base] * 10 + [tear(base, 9, 16)] * 2
    frames += [np.concatenate([base[:ROWS - h], app[:h]]) for h in (6, 12, 20, 30, 40, 48)]
    frames += [app] * 8
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 1 * DT, 10.0 + 4 * DT, rows=(10, 11))
    watch.responded(10.0 + 10 * DT)
    (seen,) = feed(watch, noisy(frames))
    assert abs(seen.t_start - (10.0 + 10 * DT)) < 1e-9
    # the same band while the finger was down (a pressed row's highlight) is the tap's doing
    frames = [base] * 3 + [tear(base, 9, 16)] * 2 + frames[12:]
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 2 * DT, 10.0 + 4 * DT, rows=(10, 11))
    watch.responded(10.0 + 3 * DT)
    assert feed(watch, noisy(frames)) == []


def test_a_tear_between_a_tap_and_the_answer_the_runner_found_for_it_is_a_glitch():
    # seed 9, 5868.6 s: an icon tapped at rows 10-11; 350 ms after the finger lifted a tear
    # comes over them for two frames, then the app opens: the runner passed the tear over (it
    # came back) and took the app for the answer. The tap was answered: the tear is no effect
    # of it
    base = screen()
    app = screen((30, 120, 60))
    frames = [base] * 25 + [tear(base, 9, 16)] * 2 + [base] * 2 + [app] * 8
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 1 * DT, 10.0 + 4 * DT, rows=(10, 11))
    watch.responded(10.0 + 29 * DT)
    (seen,) = feed(watch, noisy(frames))
    assert abs(seen.t_start - (10.0 + 25 * DT)) < 1e-9
    # with no answer found, it may be the tap's own late effect (a screen sliding in)
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 1 * DT, 10.0 + 4 * DT, rows=(10, 11))
    assert feed(watch, noisy(frames)) == []


def test_a_tear_that_began_just_before_a_tap_and_ended_while_it_was_down_is_a_glitch():
    # seed 10, 1918.7 s: a tear over rows 9-15 in the dialer; the finger landed at rows 12-13
    # as it ended, and was still down as it came back. What began before the touch is no
    # effect of it
    base = screen()
    frames = [base] * 10 + [tear(base, 9, 16)] * 2 + [base] * 8
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 11.6 * DT, 10.0 + 15.2 * DT, rows=(12, 13))
    (seen,) = feed(watch, noisy(frames))
    assert abs(seen.t_start - (10.0 + 10 * DT)) < 1e-9
    # a touch that came and went while the band was up: the tool over those rows
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 10.6 * DT, 10.0 + 11.4 * DT, rows=(12, 13))
    assert feed(watch, noisy(frames)) == []


def test_an_app_whose_edge_shows_as_a_band_and_then_its_body_stays_is_no_glitch():
    # an app slides up over a dark screen, above the navigation bar (rows 44-47): its lit
    # edge shows first over three rows and rises on while its lighter body fills them and
    # stays: the rows change as much again, but further the same way, not back
    home = screen((40, 50, 110))
    edge, body = (120, 105, 95), (170, 165, 150)
    frames = [home] * 6
    for top in (41, 34, 26, 17, 8, 0):
        img = home.copy()
        img[top:top + 3] = edge
        img[top + 3:44] = body
        frames.append(img)
    frames += [frames[-1]] * 8
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 1 * DT, 10.0 + 2 * DT, rows=(3, 4))  # the app's icon, far above
    assert feed(watch, noisy(frames)) == []


def _twin_app_closed_as_it_opens(app: str, close_at_s: float) -> list:
    """The sightings of a watch fed the glitch grid of every twin camera frame (seed 1) as
    ``app``'s launcher icon is tapped at 1 s and a close fault shuts the app at
    ``close_at_s``, while it still slides in: it slides back down from where it stands. The
    watch is told of the tap and of its answer as the runner tells it: the first frame whose
    grid clearly moved from the one before the tap (:func:`~tapbot.runner.watch.grid_moved`),
    made sure of (``anywhere``: nothing else answered the tap)."""
    fault = {"kind": "close", "at_s": close_at_s - 1.0, "app": app}  # waits for the app
    rig = build_rig(None, seed=1, overrides={"device": {"faults": {"schedule": [fault]}}})
    phone, clock = rig.camera.world.phone, rig.clock
    w, h = rig.device.screen_px
    x, y = layout.icon_center(layout.LAUNCHER_APPS.index(app))
    clock.sleep(1.0 - clock.now())
    phone.touch_down(1.0, x * w, y * h)
    clock.sleep(0.06)
    phone.touch_up(1.06, x * w, y * h)
    clock.sleep(1.5)
    phone.update(clock.now())
    (closed,) = [f for f in rig.truth.faults if f.kind == "close"]
    assert abs(closed.t_start - close_at_s) < 1e-6  # it closed as it slid in (open_s: 0.3)
    sampler = FrameSampler(rig.calibration, rig.device.screen_px)
    got = rig.camera.pixels(0.5, clock.now(), sampler.points(rig.camera.size_px))
    ts = [s.t for s in got]
    samples = np.stack([s.values for s in got]).astype(np.int16)
    before = samples[int(np.searchsorted(ts, 1.0)) - 1]
    seen = np.ones(samples.shape[1], bool)
    t_answer = next(t for t, s in zip(ts, samples, strict=True)
                    if t > 1.0 and grid_moved(before, s, seen))
    watch = GlitchWatch(0.25, rows=sampler.rows)
    watch.touched(1.0, 1.06, sampler.rows_between(y * h, y * h))
    watch.responded(t_answer, anywhere=True)
    return watch.feed_many(ts, samples)


@pytest.mark.parametrize(("app", "close_at_s"), [("Music", 1.3), ("Game", 1.35), ("Music", 1.27)])
def test_an_app_that_slides_in_and_back_out_as_a_fault_closes_it_is_no_glitch(app, close_at_s):
    # the twin's apps slide up from the bottom, eased out: after a few frames only the rows
    # at their top edge change, one run at a time, over a calm screen; closed then, the app
    # slides back down and those rows come back to the launcher, a few at a time, as bands
    # do. Each jumped as the edge came and the edge moved on past it the frame after; the
    # answer the runner found (the app's first frame that clearly moved) came a frame after
    # the first faint rows. Closed at once (1.27 s), the app shows six rows and goes: no edge
    # moved on, but those rows began a frame before that answer, which made sure of it
    assert _twin_app_closed_as_it_opens(app, close_at_s) == []


def _drifting_clip(k: int) -> np.ndarray:
    """A flat picture in rows 8-31 whose colour walks round the hue wheel, one channel 26
    (0-255) a frame, as the twin's video does: a steady pace, turning every six frames."""
    lo, hi = 40, 196  # six steps of 26 between corners
    corners = [(hi, lo, lo), (hi, hi, lo), (lo, hi, lo), (lo, hi, hi), (lo, lo, hi),
               (hi, lo, hi)]
    seg, i = divmod(k % 36, 6)
    a, b = np.array(corners[seg]), np.array(corners[(seg + 1) % 6])
    img = page(0.0)
    img[8:32] = a + (b - a) * i // 6
    return img


def _faint_tear(img: np.ndarray, lo: int = 14, hi: int = 21) -> np.ndarray:
    """A tear over the picture as the twin's camera sees one over its video: one channel
    of the band's rows (red: still, at these frames) off by 40, a change about the size of
    the picture's own per frame."""
    out = img.copy()
    out[lo:hi, :, 0] = np.clip(out[lo:hi, :, 0] + 40, 0, 255)
    return out


def test_a_faint_tear_over_a_video_drifting_at_a_steady_pace_is_a_glitch():
    # the picture's rows change ~30 a frame, steadily; the tear adds ~40 to them for two
    # frames and takes it away: under SURGE_K times their pace, but twice a pace that held
    # steady, which the picture's own motion does not do in one frame
    frames = [_drifting_clip(k) for k in range(40)]
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(frames)) == []
    for k in (20, 21):
        frames[k] = _faint_tear(frames[k])
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))
    assert abs(seen.t_start - (10.0 + 20 * DT)) < 1e-9
    # the picture's own pace stepping up (a faster fade) surges too, but goes on
    frames = [_drifting_clip(k) for k in range(20)] + [_drifting_clip(20 + 3 * k)
                                                       for k in range(7)]
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(frames)) == []


def test_a_tear_over_a_video_whose_middle_row_a_bar_crossed_just_before_is_a_glitch():
    # the video's dark bar crossed row 16 two frames before a tear over rows 14-18 (other
    # content, caught at half the camera's exposure): that row's pace before is the bar's,
    # and it does not surge over it, which leaves two rows that surged on either side of
    # it; over the pace of the rows beside it, it surged as they did
    def clip_with_bar() -> list[np.ndarray]:
        frames = [_drifting_clip(k) for k in range(40)]
        frames[18] = frames[18].copy()
        frames[18][16] = (20, 20, 20)
        return frames

    frames = clip_with_bar()
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(frames)) == []
    other = tear(page(3.0), 14, 19)
    for k in (20, 21):
        frames[k] = frames[k].copy()
        frames[k][14:19] = (frames[k][14:19] + other[14:19]) // 2
    frames = noisy(frames)
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), frames)
    assert abs(seen.t_start - (10.0 + 20 * DT)) < 1e-9
    batch = GlitchWatch(0.25, rows=ROWS)  # fed in batches: the same
    ts = [10.0 + i * DT for i in range(len(frames))]
    many = []
    for a in range(0, len(frames), 7):
        many += batch.feed_many(ts[a:a + 7], np.stack([flat(f) for f in frames[a:a + 7]]))
    assert many == [seen]
    # the same rows showing that content from then on (a caption over the video) stay
    frames = clip_with_bar()
    for k in range(20, 40):
        frames[k] = frames[k].copy()
        frames[k][14:19] = (frames[k][14:19] + other[14:19]) // 2
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(frames)) == []


def test_a_tear_over_a_fast_scroll_whose_rows_change_whole_at_once_is_a_glitch():
    # a fast scroll: each row's change jumps as lines of text cross its points, so the band
    # is no surge over the most its rows changed on the frames before; but before only parts
    # of each row changed, and the band changes them all at once
    frames = scroll([1.5] * 30)
    for k in (15, 16):
        frames[k] = tear(frames[k], 14, 20)
    (seen,) = feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))
    assert abs(seen.t_start - (10.0 + 15 * DT)) < 1e-9
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(scroll([1.5] * 30))) == []


def test_a_tear_over_a_scroll_while_the_finger_swipes_over_it_is_a_glitch():
    # the robot swipes the list (its finger over rows 4-43 from frame 0 to 30); the page it
    # moves is motion, and a band that comes back in the middle of the swipe is no effect
    # of it
    frames = scroll([0.3] * 30)
    for k in (15, 16):
        frames[k] = tear(frames[k], 20, 26)
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0, 10.0 + 30 * DT, rows=(4, 43))
    (seen,) = feed(watch, noisy(frames))
    assert abs(seen.t_start - (10.0 + 15 * DT)) < 1e-9
    # a band as the finger goes down (a pressed row's highlight, gone as the page moves) is
    # the swipe's doing
    watch = GlitchWatch(0.25, rows=ROWS)
    watch.touched(10.0 + 14 * DT, 10.0 + 40 * DT, rows=(4, 43))
    assert feed(watch, noisy(frames)) == []


def test_a_video_that_plays_on_after_a_freeze_through_the_colours_it_froze_at_is_no_glitch():
    # the picture froze at a colour near its path (the twin's hue steps do not land on the
    # same colours twice), and plays on: within a quarter second it cycles back past that
    # colour, the screen back for a frame or two near what it was, but still moving
    frozen = _drifting_clip(0)
    frozen[8:32] = (196, 90, 90)
    frames = [frozen] * 10 + [_drifting_clip(24 + k) for k in range(20)]
    assert feed(GlitchWatch(0.25, rows=ROWS), noisy(frames)) == []
    # the same screen coming back and staying: a glitch
    frames = [frozen] * 10 + [_drifting_clip(24)] * 8 + [frozen] * 10
    assert len(feed(GlitchWatch(0.25, rows=ROWS), noisy(frames))) == 1
