"""Glitch: a few abnormal frames (a black flash, colour bars, a tearing band) that come and go.

The other monitors look at thinned, rectified screen views; a glitch lasts a few display
frames and would slip between them. This one looks at every frame through a grid of points
(:class:`~tapbot.monitors.sampler.FrameSampler`) and four cheap tests (:class:`GlitchWatch`):

* **abnormal frames**: a frame that is near black, or vertical bars of saturated colours, after
  a normal frame, and gone within ``glitch_max_s``;
* **the screen came back**: many points (``JUMP_FRAC`` of the grid) jumped away from a calm
  screen and, within ``glitch_max_s``, came back all at once to within half their excursion
  and ``BACK_CAP`` (an animation under the glitch moves on a little meanwhile) and stayed
  back, and still (a video playing on after a freeze passes back through the colours it had,
  and moves on), while the rest of the screen stayed as it was;
* **a band came back**: at least ``BAND_ROWS`` adjacent grid rows, calm until then, jumped
  across (nearly) their whole width and came back, the rows beside them staying calm (a bar
  sliding through moves on to them), whatever the rest of the screen does (a video) as long
  as it does not *sweep*: most of the rows calm before the band changing on one frame while
  it is away is a transition (a screen sliding in and out again, a page opening over it);
  nor may the rows beside it change whole the frame after it jumped: that is an app's edge
  sliding on (its slide eases out, so its last frames move only the rows at its edge, over a
  calm screen), and an app closed as it opens slides back, its rows coming back a few at a
  time;
* **a tear** (a band of rows showing other content over a screen that already moves: a video,
  a scroll): at least ``TEAR_ROWS`` adjacent rows *surge*, each changing ``SURGE_K`` times
  what it changed on the two frames before (``STEADY_K`` times, over a pace that held steady:
  a video's picture drifting through its colours does not double its own change in a frame),
  or changing whole together where before only parts of them changed (``PART_FRAC``: a fast
  scroll changes a row where edges cross its points, its pace jumping as text passes); a
  row between two that surged joins them when it surged over their pace before (its own was
  a spike of its own: a video's bar crossing it just before);
  the band ends when its rows change about as much again, as many times the pace before of the
  rows that surged by themselves (a row the band reaches over may have spiked on its own: a
  video's bar), within ``glitch_max_s``, undoing at
  least ``UNDO_FRAC`` of their jump colour by colour (a band comes back; an app's edge rising
  on past them does not: its body goes further the same way, and such a change drops the
  band), the screen not sweeping meanwhile and most of the rest of it not changing then; in
  between, its rows strayed from the straight path the screen took from the frame before the
  band to the frame after it, where the rows two beyond it did not stray as far (a scroll or a
  video strays off a straight path too, but everywhere alike); and the frame after, its rows
  (its typical row, its edges back: a video's bar may cross it) move no faster than before it
  (a scroll starting goes on), nor the rows right beside it (a card growing past it), unless
  as it ended its points were back to what they were before it (a band over a still screen,
  the next screen coming right after it). A band that is torn again right after it came back
  (a flickering tear) waits for its next end: one that undoes that jump (``UNDO_FRAC``),
  however it compares with the first (the picture under it moved on and changed its contrast).
  A tap near the band as it began (a swipe: as it went down or lifted; while it moves, its
  effect is the page it moves; a tap the runner found no answer to: up to TOUCH_EFFECT_S
  after it), a touch near it that went down after it began and was up before it ended (the
  tool over its rows), or a response found then whose touch went near it (or that came long
  after any touch: a thaw), explains it (for the band test as for this one: the
  runner may take a glitch for the response to a key pressed far from it); a band back to
  exactly what it was, only if it began by the time the finger was up (a pressed row's
  highlight: one that comes and goes after it is a glitch the runner took for the answer as
  the app it opened began to slide in).

A real change (a screen opening, a scroll, a response) jumps but does not come back; motion
comes back bit by bit; the finger and arm cover few points and never a whole row. A change
that comes back is a glitch "with no touch" (``glitch_max_s``): not when it began as a
touch's response (a page that blanks while it reloads; or shortly after a touch whose
response the runner did not find: a key, a swipe, a touch off target) or a robot touch came
in between (an app opened by mistake and closed with home). Abnormal frames are glitches
whatever the robot did.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tapbot.core.frames import PixelSample
from tapbot.monitors.sampler import as_samples

#: A point "jumped": its three colour channels moved by this much in all (0-765) ...
JUMP_LEVEL = 60
#: ... and a frame jumped when this fraction of the grid did, the frame before it changing by
#: at most CALM_FRAC of that (a transition, or the second half of a change a camera frame
#: blended, is not a glitch's start).
JUMP_FRAC = 0.08
CALM_FRAC = 0.3
#: A point is back within half its excursion of its value before, and within BACK_CAP of it.
BACK_CAP = 90
#: Back: this fraction of the jumped points, after fewer than STILL_AWAY two frames before (a
#: camera frame may blend two display frames); a jump with PARTLY_BACK of its points back
#: three frames running is coming back bit by bit (motion).
RETURN_FRAC = 0.6
STILL_AWAY = 0.15
PARTLY_BACK = 0.3
#: When the screen is back, at most this fraction of the other points may differ from before.
ELSEWHERE_FRAC = 0.15
MAX_OPEN = 8
#: A band: this many adjacent rows, each with BAND_FRAC of its points changed by BAND_LEVEL,
#: all back (BAND_BACK of each row's points) within BAND_SPREAD_S of each other.
BAND_ROWS = 3
BAND_FRAC = 0.85
BAND_LEVEL = 30
BAND_BACK = 0.7
#: ... back within this (a tearing band comes back to exactly what it was; a bar sliding
#: through, a screen sliding in, leaves something else behind).
BAND_BACK_CAP = 40
BAND_SPREAD_S = 0.04
#: ... each row calm the frame before (less than this fraction of it changed: a sliding
#: transition moves rows frame after frame).
CALM_ROW = 0.3
#: ... while the rest of the screen (outside the rows that jumped whole) hardly changed;
OUTSIDE_FRAC = 0.1
#: ... and, the frame after they jumped, none of the SWEPT_ROWS rows beside them changed whole:
#: an app sliding in (eased out: its last frames move only a few rows at its edge, the rest of
#: the screen calm) has its edge move on to them; if it then slides back (closed as it opened,
#: or home right after), the rows come back and look like a band that came and went.
SWEPT_ROWS = 2
#: ... and, while the band (or a tear's) was away, at most SWEEP_FRAC of the points of the
#: other rows calm before it changed (BAND_LEVEL, as the band's own) on any one frame: a
#: screen sliding in and out again, or a page opening over it, sweeps the screen; a glitch
#: leaves the rest as it was (a tear that flickers from place to place covers a band or two
#: at a time).
SWEEP_FRAC = 0.5
#: A tear (a band showing other content, over whatever the screen does, a video or a scroll):
#: at least TEAR_ROWS adjacent rows SURGE: each changed (mean over its points) at least
#: SURGE_K times what it changed on each of the two frames before, by at least SURGE_LEVEL,
#: with SURGE_FRAC of its points changed by BAND_LEVEL (the robot's tool may hide the rest).
TEAR_ROWS = 3
SURGE_K = 2.5
SURGE_LEVEL = 20.0
SURGE_FRAC = 0.5
#: ... or STEADY_K times, for a row whose change held steady over the STEADY_FRAMES frames
#: before (the most at most STEADY_RATIO times the least): SURGE_K leaves room for a pace that
#: wanders from frame to frame (a scroll: what passes a row varies); content moving at a
#: steady pace (a video's picture drifting through its colours) is predictable, and its own
#: motion does not double its change in one frame. A tear over such content adds a change of
#: its own about the pace's size (the band's colours scrambled over a flat picture), which
#: SURGE_K cannot tell from a wandering pace.
STEADY_K = 2.0
STEADY_FRAMES = 3
STEADY_RATIO = 1.3
#: ... (a single row between two rows that surged, which surged over the pace before of the
#: rows beside it rather than its own, is of the run: its own pace was a spike of its own,
#: a video's bar crossing that row a frame or two before, and the band covered it too; the
#: run still needs TEAR_ROWS rows that surged over their own pace);
#: ... or it changed whole (BAND_FRAC of its points, by SURGE_LEVEL on average) where on each
#: of the two frames before at most PART_FRAC of its points changed: a scroll changes a row
#: where edges pass its points, a few of them at a time, its pace jumping as a line of text
#: crosses it; a band of other content changes them all at once.
PART_FRAC = 0.5
#: ... the band reaches over the rows beside it that changed at least WIDEN_K times as much
#: as its rows on average (a video's own spike in one of them);
WIDEN_K = 0.5
#: ... it ends when END_FRAC of the points that surged change again (within glitch_max_s), the
#: rows as much as END_K times they did as it began (and still a surge);
END_FRAC = 0.6
END_K = 0.8
#: ... and at most END_OUTSIDE of the rest of the screen jumped (JUMP_LEVEL) as it ended;
END_OUTSIDE = 0.3
#: ... and its points' change then undid at least UNDO_FRAC of their jump into the band
#: (signed, colour by colour: a band comes back, less than exactly where the content under it
#: moves on; a block sliding through, an app's edge sliding in, moves on or further the same
#: way). A band torn again right after it came back (a flickering tear) ends when its points
#: undo that jump so, whatever its size against the first (the picture under it may have
#: changed its contrast meanwhile: a video);
UNDO_FRAC = 0.3
#: ... in between, the band's rows strayed from the straight path the screen took from before
#: the band to after it: STRAY_FRAC of the surged points off it by BAND_LEVEL, while the rows
#: two beyond the band (on one side at least) strayed (on average) at most 1 / STRAY_RATIO as
#: far as those points
#: (a scroll or a video strays off a straight path too, but everywhere alike);
STRAY_FRAC = 0.6
STRAY_RATIO = 3.0
#: ... and the frame after, the band's rows moved at most AFTER_K times as fast as before it
#: (plus AFTER_PAD for noise): a change that goes on (a scroll starting) is not a tear. Its
#: typical (median) row is judged when its edge rows are back to that pace (a video's bar
#: crossing a row inside it then is the video's own); and the rows right beside it must not
#: move faster than that or than they did before it (a card growing past it, a screen's edge
#: sliding on: the change goes on past the band).
AFTER_K = 1.5
AFTER_PAD = 8.0
#: Abnormal frames: this fraction of the grid (the tool may hide the rest) black (every
#: channel at most BLACK_LEVEL), or of its columns one colour, with BARS_COLOURS colours.
ABNORMAL_FRAC = 0.75
BLACK_LEVEL = 16
BARS_COLOURS = 4
#: A jump this soon after a response's first frame is still that response (blended frames);
#: so is one a frame before it (at most this long before): the runner dates a response by its
#: first frame that clearly moved (many points by JUMP_LEVEL), and a faint start (an app of
#: about the launcher's colours sliding in) may show a frame earlier at BAND_LEVEL.
RESPONSE_SPREAD_S = 0.05
#: A change starting this soon after a touch the runner found no response to (it looked for
#: none, or the touch landed off target) may be that touch's response (a screen sliding in).
TOUCH_EFFECT_S = 0.8
#: A touch at most this long is a tap (longer: a swipe, a long press).
TAP_S = 0.2
#: A band is a touch's doing (a pressed row's highlight) only if it lies within this fraction
#: of the grid's rows of where the touch went; a tear elsewhere is a glitch whatever the robot
#: did meanwhile.
TOUCH_ROWS_MARGIN = 0.1


@dataclass(frozen=True, slots=True)
class GlitchSighting:
    """Abnormal frames from ``t_start`` to ``t_end`` (capture times of the first and last
    abnormal frame); ``frac`` of the grid jumped; ``how`` names the test that saw it."""

    t_start: float
    t_end: float
    frac: float
    how: str


def _channel_sum(d: np.ndarray) -> np.ndarray:
    """``d.sum(axis=-1)`` over its (one or three) colour channels, as plain adds: numpy's
    reduction over a length-3 last axis is ten times slower."""
    if d.shape[-1] != 3:
        return d.sum(axis=-1)
    return d[..., 0] + d[..., 1] + d[..., 2]


def _shares(flags: np.ndarray, axis: int) -> np.ndarray:
    """The fraction of ``flags`` (a boolean array) set along ``axis``: its mean there, as
    numpy's mean gives it, without numpy's general mean (a float sum of the whole array)."""
    return np.count_nonzero(flags, axis=axis) / flags.shape[axis]


def _means(values: np.ndarray, axis: int) -> np.ndarray:
    """The mean of integer ``values`` along ``axis``, as numpy's mean gives it (a sum of
    integers is exact in either), summed as integers."""
    return values.sum(axis=axis, dtype=np.int64) / values.shape[axis]


def fraction(flags: np.ndarray) -> float:
    """The fraction of ``flags`` (a boolean array) that are set: its mean, without numpy's
    general mean (several times slower on the small arrays of one frame); NaN when empty."""
    return np.count_nonzero(flags) / flags.size if flags.size else math.nan


def change_level(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per point, how much it changed: the sum over channels of the absolute difference."""
    return _channel_sum(np.abs(a - b))


def back_fraction(moved: np.ndarray, size: np.ndarray) -> float:
    """Of the points that jumped by ``size`` (:func:`change_level` from before the jump),
    the fraction back within half their excursion and ``BACK_CAP`` (``moved``: how far each
    is from before now): a screen came back at ``RETURN_FRAC``."""
    return fraction(moved < np.minimum(size / 2, BACK_CAP))


def rest_as_before(moved_all: np.ndarray, jumped: np.ndarray) -> bool:
    """Whether the points that did not jump (``jumped`` False) are still as before: at most
    ``ELSEWHERE_FRAC`` of all points moved ``JUMP_LEVEL`` elsewhere (``moved_all``: each
    point's :func:`change_level` from before)."""
    elsewhere = moved_all >= JUMP_LEVEL
    elsewhere[jumped] = False
    return fraction(elsewhere) <= ELSEWHERE_FRAC


def came_back_many(moved: np.ndarray, size: np.ndarray, jumped: np.ndarray) -> np.ndarray:
    """Per frame (a row of ``moved``: each point's :func:`change_level` from before a jump
    of ``size``, where ``jumped``), whether the screen came back: :func:`back_fraction` of
    the points that jumped at least ``RETURN_FRAC`` and :func:`rest_as_before`."""
    n_jumped, n = int(np.count_nonzero(jumped)), moved.shape[1]
    if not n_jumped or not n:
        return np.zeros(len(moved), bool)
    back = np.count_nonzero(moved[:, jumped] < np.minimum(size[jumped] / 2, BACK_CAP),
                            axis=1) / n_jumped >= RETURN_FRAC
    elsewhere = np.count_nonzero((moved >= JUMP_LEVEL) & ~jumped, axis=1) / n
    return back & (elsewhere <= ELSEWHERE_FRAC)


def near_black(sample: np.ndarray) -> bool:
    """Most of the screen is black (the robot's tool may hide some of it)."""
    return bool(near_black_many(sample[None])[0])


def colour_bars(sample: np.ndarray, rows: int) -> bool:
    """The screen is vertical bars of several saturated colours: most grid columns are one
    colour from top to bottom, and the columns show at least BARS_COLOURS colours."""
    return bool(colour_bars_many(sample[None], rows)[0])


def colour_bars_many(samples: np.ndarray, rows: int) -> np.ndarray:
    """:func:`colour_bars` of each frame of ``samples`` (``(frames, points, channels)``)."""
    out = np.zeros(len(samples), bool)
    if rows < 2 or samples.shape[2] != 3 or not len(samples):
        return out
    grid = samples.reshape(len(samples), rows, -1, 3)
    median = _column_medians(grid)  # per frame and column
    uniform = _shares(_channel_sum(np.abs(grid - median[:, None])) <= JUMP_LEVEL, 1) \
        >= ABNORMAL_FRAC
    for i in np.flatnonzero(_shares(uniform, 1) >= ABNORMAL_FRAC):
        codes = (median[i][uniform[i]] >= 128).astype(np.int8) @ np.array([1, 2, 4], np.int8)
        out[i] = len(np.unique(codes)) >= BARS_COLOURS
    return out


def _column_medians(grid: np.ndarray) -> np.ndarray:
    """``np.median(grid, axis=1)`` (float64), by a sort: numpy's median partitions along an
    axis that is not the last several times slower."""
    ordered = np.sort(grid, axis=1)
    n = grid.shape[1]
    if n % 2:
        return ordered[:, n // 2].astype(np.float64)
    return (ordered[:, n // 2 - 1].astype(np.float64) + ordered[:, n // 2]) / 2


def near_black_many(samples: np.ndarray) -> np.ndarray:
    """:func:`near_black` of each frame of ``samples``."""
    brightest = samples[..., 0]
    for c in range(1, samples.shape[-1]):  # (numpy's max over a short last axis is slow)
        brightest = np.maximum(brightest, samples[..., c])
    return _shares(brightest <= BLACK_LEVEL, 1) >= ABNORMAL_FRAC


def _swept(calm: np.ndarray, lo: int, hi: int, changed: np.ndarray) -> bool:
    """Whether the rows ``calm`` (per row: calm before a band), but for the band's ``lo..hi``,
    changed on this frame (``changed``: per row, the fraction of its points changed by
    BAND_LEVEL) more than SWEEP_FRAC on average: a transition sweeping the screen."""
    rest = calm.copy()
    rest[lo:hi + 1] = False
    return bool(rest.any()) and float(changed[rest].mean()) > SWEEP_FRAC


def _paces(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From rows' mean change on the STEADY_FRAMES frames before (``hist``, oldest first,
    over any further axes): the most each changed on either of the two frames before, and
    whether its change held steady over them all (see STEADY_K)."""
    lo, hi = hist.min(axis=0), hist.max(axis=0)
    return np.maximum(hist[-1], hist[-2]), hi <= STEADY_RATIO * lo


def _bridges(up: np.ndarray, rates: np.ndarray, changed: np.ndarray, before: np.ndarray
             ) -> np.ndarray:
    """Per row (last axis): a row that did not surge (``up`` False) between two that did,
    which surged over the pace before of the rows beside it (SURGE_K times the faster of
    them, with SURGE_LEVEL and SURGE_FRAC as a surge): its own pace before was a spike of its
    own (a video's bar crossing that row just before a tear), not the content's pace, which
    its neighbours show; the band that covered them covered it too."""
    out = np.zeros_like(up)
    if up.shape[-1] < 3:
        return out
    mid = ~up[..., 1:-1] & up[..., :-2] & up[..., 2:]
    if not mid.any():  # nearly always: checked first, the rest only then
        return out
    pace = np.maximum(before[..., :-2], before[..., 2:])
    out[..., 1:-1] = mid & (rates[..., 1:-1] >= SURGE_K * pace) & \
        (rates[..., 1:-1] >= SURGE_LEVEL) & (changed[..., 1:-1] >= SURGE_FRAC)
    return out


def _step(sample: np.ndarray, prev: np.ndarray, points: np.ndarray) -> np.ndarray:
    """How ``points`` changed from ``prev`` to ``sample``, per channel (signed, float32)."""
    return (sample[points] - prev[points]).astype(np.float32)


def _undone(jump: np.ndarray, step: np.ndarray) -> float:
    """How much of ``jump`` (per point and channel, :func:`_step`) ``step`` undid: its
    projection on ``-jump`` over ``jump``'s length (1: exactly back; 0: a change across it, a
    content sliding on; below 0: further the same way)."""
    size = float(np.vdot(jump, jump))
    return -float(np.vdot(jump, step)) / size if size > 0 else 0.0


@dataclass
class _Jump:
    before: np.ndarray  # the frame before the jump
    jumped: np.ndarray  # indices of the points that jumped
    size: np.ndarray  # how far each of them has been from its value before
    t: float
    frac: float
    t_last: float
    backs: list[float]  # the fraction back, frame by frame
    response: bool = False


class _Rows(NamedTuple):
    """One frame's figures per row of the grid (for the batch, computed at once)."""

    rates: np.ndarray  # each row's mean change level from the frame before
    changed: np.ndarray  # the fraction of its points changed by BAND_LEVEL
    before: np.ndarray  # the most it changed on either of the two frames before (_paces)
    steady: np.ndarray  # whether its pace held steady over STEADY_FRAMES (_paces)
    part: np.ndarray  # the most of its points changed on either of the two frames before
    up: np.ndarray  # the rows in a surge (:meth:`GlitchWatch._surged`)
    bridged: np.ndarray  # of those, the ones that surged only over their neighbours' pace


@dataclass
class _Tear:
    """A band of rows that surged at ``t0`` (rows ``lo..hi``; ``points``: the grid points that
    changed then), waiting to end (``post``) and then for the frame after it."""

    lo: int
    hi: int
    t0: float
    t_pre: float
    pre: np.ndarray  # the frame before the band
    start: np.ndarray  # the band's first frame
    points: np.ndarray  # indices of the points that surged
    pre_rate: float  # how much the rows that surged changed per frame before it (mean level)
    rate: float  # how much they changed as it began
    t_last: float
    calm: np.ndarray  # per row: calm on the frame before it (see SWEEP_FRAC)
    pre_rows: np.ndarray  # per row: the most it changed on either of the two frames before
    jump: np.ndarray  # how its points jumped into it (per channel; torn again: then)
    k: float = SURGE_K  # how many times their pace before its rows changed (a steady pace's)
    post: np.ndarray | None = None
    t_post: float = 0.0
    flickered: bool = False  # it came back once and was torn again


class GlitchWatch:
    """Feed every frame's grid sample in time order (``rows`` rows of points); a sighting
    comes when one of the four tests (module doc) sees a glitch end. Tell it about robot
    touches (:meth:`touched`) and responses the runner found (:meth:`responded`)."""

    def __init__(self, glitch_max_s: float, rows: int = 1) -> None:
        self.glitch_max_s = glitch_max_s
        self.rows = rows
        self._touches: deque[tuple[float, float, int, int]] = deque(maxlen=64)
        self._responses: deque[float] = deque(maxlen=64)
        self._anywhere: deque[float] = deque(maxlen=64)  # responses checked to be no glitch
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a gap in the frames)."""
        self._prev: np.ndarray | None = None
        self._t_prev = -np.inf
        self._frame_dt = 0.0  # the last interval between frames
        self._prev_frac = 0.0
        self._prev_abnormal = True
        self._run: tuple[float, float] | None = None  # abnormal frames: first, last
        self._open: list[_Jump] = []
        self._back: _Jump | None = None  # came back on the previous frame: confirm it stays
        self._rows_before: np.ndarray | None = None  # per point: its row's value before a jump
        self._rows_size: np.ndarray | None = None
        self._rows_t = np.full(self.rows, np.nan)  # when each open row jumped
        self._rows_calm = np.zeros(self.rows, bool)  # rows calm before the open ones jumped
        self._rows_changed = np.ones(self.rows)  # how much each row changed the frame before
        self._rows_back = np.full(self.rows, np.nan)  # when each row came back (and jumped)
        self._rows_back_t0 = np.full(self.rows, np.nan)
        self._rows_swept = np.zeros(self.rows, bool)  # open rows an edge swept on past
        self._quiet_until = -np.inf
        # rows' mean change on the STEADY_FRAMES frames before (the last is the frame before)
        self._row_rate = np.full((STEADY_FRAMES, self.rows), np.inf)
        self._row_part = np.ones((2, self.rows))  # rows' fraction changed, 2 frames before
        self._tears: list[_Tear] = []

    def touched(self, t_down: float, t_up: float, rows: tuple[int, int] | None = None
                ) -> None:
        """The robot touched the screen from ``t_down`` to ``t_up`` over the grid ``rows``
        (first, last; ``None``: anywhere): a change that comes back across it is its doing (an
        app opened by mistake and closed with home), and so is one starting within
        ``TOUCH_EFFECT_S`` after it when no response to it was found (a response the runner
        did not look for: a key, a swipe, a touch off target). A band must lie near ``rows``
        to be the touch's doing."""
        lo, hi = (0, self.rows - 1) if rows is None else rows
        self._touches.append((t_down, t_up, lo, hi))

    def responded(self, t: float, anywhere: bool = False) -> None:
        """A touch's response appeared at ``t`` (the runner found it): a change starting
        then that comes back is the response (a page that blanks while it reloads).
        ``anywhere``: the runner made sure the change was the touch's doing although it came
        back (nothing else answered the touch: an app that opened and closed at once), so it
        explains a band however far from the touch it is (the app sliding in from the
        bottom)."""
        self._responses.append(t)
        if anywhere:
            self._anywhere.append(t)

    def set_glitch_max(self, glitch_max_s: float) -> None:
        """The longest a glitch lasts, from the next frame on (a flow's or step's own)."""
        self.glitch_max_s = glitch_max_s

    def feed_pixels(self, samples: list[PixelSample]) -> list[GlitchSighting]:
        """:meth:`feed_many` for the grid's samples as a camera hands them: the watch is a
        :class:`~tapbot.cameras.base.PixelSink`, which a camera may run where it makes them
        (:meth:`~tapbot.cameras.base.Camera.pixel_sink`)."""
        if not samples:
            return []
        return self.feed_many([px.t for px in samples], as_samples(samples))

    def feed(self, t: float, sample: np.ndarray) -> GlitchSighting | None:
        """One frame's grid sample (``(points, channels)`` int16) captured at ``t``."""
        prev, self._prev = self._prev, sample
        sighting = self._feed(t, sample, prev)
        self._t_prev = t
        return sighting

    def feed_many(self, ts: Iterable[float], samples: np.ndarray) -> list[GlitchSighting]:
        """:meth:`feed` for a batch of frames (``samples``: ``(frames, points, channels)``
        int16, in time order), with the same result: the frame-to-frame changes are computed
        for the whole batch at once, and the frames where nothing jumped and nothing is open
        (nearly all of them) only move the state along."""
        ts = [float(t) for t in ts]
        if not ts:
            return []
        out: list[GlitchSighting] = []
        start = 0
        if self._prev is None:
            self.feed(ts[0], samples[0])
            start = 1
        if start >= len(ts):
            return out
        prev = self._prev
        assert prev is not None
        levels = _channel_sum(np.abs(np.diff(np.concatenate([prev[None], samples[start:]]),
                                             axis=0)))
        fracs = _shares(levels >= JUMP_LEVEL, 1)
        changed = _shares((levels >= BAND_LEVEL).reshape(len(levels), self.rows, -1), 2)
        rates = _means(levels.reshape(len(levels), self.rows, -1), 2)
        h = STEADY_FRAMES
        hist = np.concatenate([self._row_rate, rates])  # hist[k + h] is frame k's
        parts = np.concatenate([self._row_part, changed])  # parts[k + 2] is frame k's
        before, steady = _paces(np.stack([hist[d:d + len(rates)] for d in range(h)]))
        part = np.maximum(parts[:-2], parts[1:-1])
        surged, bridged = self._surged(rates, changed, before, steady, part)
        quiet = (fracs < JUMP_FRAC) & ~(changed >= BAND_FRAC).any(axis=1) & \
            ~surged.any(axis=1)
        # abnormal frames (black, bars): judged at once for the frames that jumped
        jumped = np.flatnonzero(fracs >= JUMP_FRAC)
        abnormal: dict[int, bool] = {}
        if len(jumped):
            batch = samples[start + jumped]
            flags = near_black_many(batch) | colour_bars_many(batch, self.rows)
            abnormal = dict(zip(jumped.tolist(), flags.tolist(), strict=True))
        # for each frame, the first frame at or after it that is not quiet (or the batch's end)
        loud = np.append(np.flatnonzero(~quiet), len(quiet))
        next_loud = loud[np.searchsorted(loud, np.arange(len(quiet)))]
        i = 0
        while i < len(quiet):
            if quiet[i] and self._idle():
                # idle through quiet frames stays idle: only the last one's state counts
                j = int(next_loud[i]) - 1
                self._prev_frac = float(fracs[j])
                self._rows_changed = changed[j]
                self._row_rate = hist[j + 1:j + 1 + h].copy()
                self._row_part = parts[j + 1:j + 3].copy()
                self._prev = samples[start + j]
                self._t_prev = ts[start + j]
                i = j + 1
                continue
            k = start + i
            sample = samples[k]
            prev, self._prev = self._prev, sample
            rows = _Rows(rates[i], changed[i], before[i], steady[i], part[i], surged[i],
                         bridged[i])
            sighting = self._feed(ts[k], sample, prev, levels[i], abnormal.get(i), rows)
            self._t_prev = ts[k]
            if sighting is not None:
                out.append(sighting)
            i += 1
        return out

    def _idle(self) -> bool:
        """Nothing open: no abnormal run, no jump or band waiting to come back."""
        return (self._run is None and not self._open and self._back is None
                and not self._tears and bool(np.isnan(self._rows_t).all()))

    def _feed(self, t: float, sample: np.ndarray, prev: np.ndarray | None,
              level: np.ndarray | None = None, abnormal: bool | None = None,
              rows: _Rows | None = None) -> GlitchSighting | None:
        if prev is None:
            self._prev_abnormal = self._is_abnormal(sample)
            return None
        self._frame_dt = t - self._t_prev
        if level is None:
            level = change_level(sample, prev)
        jumped = level >= JUMP_LEVEL
        frac = fraction(jumped)
        before_frac, self._prev_frac = self._prev_frac, frac
        if rows is None:
            rows = self._rows_of(level)
        tear = self._tear_step(t, sample, prev, level, rows)
        sighting = (self._abnormal_frames(t, sample, frac >= JUMP_FRAC, abnormal)
                    or self._bands(t, sample, prev, level, rows.changed) or tear
                    or (self._screen_returns(t, sample, prev) if self._open or self._back
                        else None))
        if sighting is not None:
            self._open.clear()
            self._back = None
            if sighting.t_start <= self._quiet_until:
                return None  # the same glitch, seen by two tests
            self._quiet_until = t
            return sighting
        if frac >= JUMP_FRAC and before_frac <= CALM_FRAC * frac:
            idx = np.flatnonzero(jumped)
            self._open.append(_Jump(prev, idx, level[idx], t, frac, t, [0.0],
                                    self._is_response(t)))
            self._open = self._open[-MAX_OPEN:]
        return None

    def feed_all(self, frames: Iterable[tuple[float, np.ndarray]]) -> list[GlitchSighting]:
        """:meth:`feed` for each ``(t, sample)``; the sightings."""
        return [s for t, x in frames if (s := self.feed(t, x)) is not None]

    # -- abnormal frames ------------------------------------------------------------------
    def _is_abnormal(self, sample: np.ndarray) -> bool:
        return near_black(sample) or colour_bars(sample, self.rows)

    def _abnormal_frames(self, t: float, sample: np.ndarray, jumped: bool,
                         abnormal: bool | None = None) -> GlitchSighting | None:
        if not jumped and self._run is None:
            return None  # as (ab)normal as the frame before
        if abnormal is None:
            abnormal = self._is_abnormal(sample)
        was, self._prev_abnormal = self._prev_abnormal, abnormal
        if abnormal:
            if self._run is None and not was:
                self._run = (t, t)
            elif self._run is not None:
                self._run = (self._run[0], t)
                if t - self._run[0] > self.glitch_max_s:
                    self._run = None  # it stays: a dark screen, not a flash
            return None
        run, self._run = self._run, None
        if run is None:
            return None
        return GlitchSighting(run[0], run[1], 1.0, "abnormal frames")

    # -- the screen came back -------------------------------------------------------------
    def _near(self, lo: int, hi: int, rows: tuple[int, int] | None) -> bool:
        """Whether a touch over grid rows ``lo..hi`` lies near ``rows`` (None: anywhere)."""
        if rows is None:
            return True
        m = round(TOUCH_ROWS_MARGIN * self.rows)
        return lo - m <= rows[1] and rows[0] <= hi + m

    def _touched_between(self, t0: float, t1: float, rows: tuple[int, int] | None = None
                         ) -> bool:
        return any(t0 <= t_down <= t1 and self._near(lo, hi, rows)
                   for t_down, _, lo, hi in self._touches)

    def _is_response(self, t: float, rows: tuple[int, int] | None = None,
                     back: bool = False) -> bool:
        """Whether a change starting at ``t`` (over grid ``rows``) is a touch's doing: the
        start of a response the runner found (for a band, ``rows`` given: to a touch that
        went near it, or long after any touch: a thaw; ``back``, see
        :meth:`_found_response`), or within TOUCH_EFFECT_S of a touch (near ``rows``) it
        found none for."""
        if self._found_response(t, rows, back):
            return True
        return any(t_down <= t <= t_up + TOUCH_EFFECT_S and self._near(lo, hi, rows)
                   and not any(t_down <= r <= t for r in self._responses)
                   for t_down, t_up, lo, hi in self._touches)

    def _screen_returns(self, t: float, sample: np.ndarray, prev: np.ndarray
                        ) -> GlitchSighting | None:
        confirm, self._back = self._back, None
        still_open = []
        for jump in self._open:
            moved_all = change_level(sample, jump.before)
            moved = moved_all[jump.jumped]
            back = back_fraction(moved, jump.size)
            if confirm is jump:
                # back and still, as it was before it jumped (its points changing less than
                # SURGE_LEVEL on average: noise): content that goes on moving only passed
                # back through the colours it had (a video whose picture cycles through its
                # hues, playing on after a freeze)
                still = float(change_level(sample[jump.jumped], prev[jump.jumped]).mean()) \
                    < SURGE_LEVEL
                if back >= RETURN_FRAC and still and not jump.response and \
                        not self._touched_between(jump.t, t):
                    return GlitchSighting(jump.t, jump.t_last, jump.frac, "screen came back")
                continue  # moved on (a scroll), a touch's response, or undone by a touch
            earlier = jump.backs[-2] if len(jump.backs) >= 2 else 0.0
            if back >= RETURN_FRAC and earlier < STILL_AWAY and self._back is None and \
                    rest_as_before(moved_all, jump.jumped):
                self._back = jump
                still_open.append(jump)
                continue
            gradual = len(jump.backs) >= 2 and min(back, *jump.backs[-2:]) >= PARTLY_BACK
            if not gradual and t - jump.t <= self.glitch_max_s:
                np.maximum(jump.size, moved, out=jump.size)
                jump.backs.append(back)
                if back < PARTLY_BACK:
                    jump.t_last = t
                still_open.append(jump)
            # else: coming back bit by bit (motion) or staying (a real change): not a glitch
        self._open = still_open
        return None

    # -- a band came back -----------------------------------------------------------------
    def _bands(self, t: float, sample: np.ndarray, prev: np.ndarray, level: np.ndarray,
               changed: np.ndarray) -> GlitchSighting | None:
        """Rows that jumped whole and came back (``changed``: each row's fraction of points
        changed by BAND_LEVEL); a sighting when BAND_ROWS adjacent ones did at about the same
        time."""
        if self.rows < BAND_ROWS:
            return None
        n = sample.shape[0] // self.rows
        calm, self._rows_changed = self._rows_changed, changed
        open_rows = ~np.isnan(self._rows_t)
        if open_rows.any():
            assert self._rows_before is not None and self._rows_size is not None
            moved = change_level(sample, self._rows_before).reshape(self.rows, n)
            size = self._rows_size.reshape(self.rows, n)
            back = _shares(moved < np.minimum(size / 2, BAND_BACK_CAP), 1) >= BAND_BACK
            came = open_rows & back
            self._rows_back[came] = t
            self._rows_back_t0[came] = self._rows_t[came]
            expired = open_rows & ~back & (t - self._rows_t > self.glitch_max_s)
            if _swept(self._rows_calm & ~open_rows, 0, -1, changed):
                expired |= open_rows & ~back  # the screen is sweeping by: a transition's doing
            self._rows_t[came | expired] = np.nan
            still = ~np.isnan(self._rows_t)
            np.maximum(size, np.where(still[:, None], moved, 0), out=size)
            self._sweeping_on(still & (self._rows_t == self._t_prev), changed >= BAND_FRAC)
            if came.any():
                sighting = self._band_sighting(t, changed)
                if sighting is not None:
                    return sighting
        whole = changed >= BAND_FRAC
        new = whole & (calm < CALM_ROW) & np.isnan(self._rows_t)
        if new.any():
            outside = np.repeat(~whole, n)
            if not outside.any() or fraction(level[outside] >= JUMP_LEVEL) > OUTSIDE_FRAC:
                return None  # much of the rest changed too: a transition, not a band
            if self._rows_before is None:
                self._rows_before = prev.copy()
                self._rows_size = np.zeros(prev.shape[0], np.int16)
            if np.isnan(self._rows_t).all():
                self._rows_calm = calm < CALM_ROW
            points = np.repeat(new, n)
            self._rows_before[points] = prev[points]
            self._rows_size[points] = level[points]  # type: ignore[index]
            self._rows_t[new] = t
            self._rows_swept[new] = False
        return None

    def _sweeping_on(self, fresh: np.ndarray, whole: np.ndarray) -> None:
        """Mark as swept the ``fresh`` rows (open, they jumped on the frame before) of each run
        of them with one of the SWEPT_ROWS rows on either side changed ``whole`` on this frame:
        the leading edge of a screen sliding in that moved on, not a band."""
        if not fresh.any():
            return
        edges = np.flatnonzero(np.diff(np.r_[0, fresh.astype(np.int8), 0]))
        for lo, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            if whole[max(0, lo - SWEPT_ROWS):lo].any() or whole[end:end + SWEPT_ROWS].any():
                self._rows_swept[lo:end] = True

    def _band_sighting(self, t: float, changed: np.ndarray) -> GlitchSighting | None:
        recent = self._rows_back >= t - BAND_SPREAD_S
        run = np.convolve(recent.astype(np.int8), np.ones(BAND_ROWS, np.int8), "valid")
        starts = np.flatnonzero(run >= BAND_ROWS)
        for s in starts:
            rows = slice(s, s + BAND_ROWS)
            t0s = self._rows_back_t0[rows]
            if float(np.ptp(t0s)) > BAND_SPREAD_S:
                continue  # they did not jump together
            t0 = float(t0s.min())
            a, b = s, s + BAND_ROWS  # the whole run of rows back now, and its neighbours
            while a > 0 and recent[a - 1]:
                a -= 1
            while b < self.rows and recent[b]:
                b += 1
            band = (a, b - 1)
            if any(self._is_response(x, band, back=True) for x in t0s) or \
                    self._touched_between(t0, t, band):
                continue
            beside = np.r_[changed[max(0, a - 2):a], changed[b:b + 2]]
            if (beside >= CALM_ROW).any():
                continue  # the rows beside it changed too: a bar sliding on, not a band
            if self._rows_swept[a:b].any():
                continue  # an app's edge that slid on as it came, and back as it went
            self._rows_back[recent] = np.nan
            return GlitchSighting(t0, max(t0, self._t_prev), BAND_ROWS / self.rows,
                                  "band came back")
        return None

    # -- a tear: a band that surged over whatever the screen did, and came back ------------
    def _surged(self, rates: np.ndarray, changed: np.ndarray, before: np.ndarray,
                steady: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per frame (rows of ``rates``, each row's mean change; ``changed``, the fraction of
        its points changed by BAND_LEVEL; ``before``, the most it changed on either of the two
        frames before; ``steady``, whether its pace held steady, :func:`_paces`; ``part``, the
        most of its points changed on either of the two frames before): the rows in a run of
        TEAR_ROWS or more adjacent ones that surged; and, of those, the rows that surged only
        over the pace of the rows beside them (:func:`_bridges`)."""
        up = (rates >= np.where(steady, STEADY_K, SURGE_K) * before) & \
            (rates >= SURGE_LEVEL) & (changed >= SURGE_FRAC)
        if self.rows < TEAR_ROWS:
            return np.zeros_like(up), np.zeros_like(up)
        m = self.rows - TEAR_ROWS + 1
        full = np.logical_and.reduce([up[..., d:d + m] for d in range(TEAR_ROWS)])
        out = np.zeros_like(up)
        for d in range(TEAR_ROWS):  # every row of a full window
            out[..., d:d + full.shape[-1]] |= full
        gap = _bridges(up, rates, changed, before)
        bridged = np.zeros_like(up)
        for i in np.flatnonzero(gap.any(axis=-1)) if gap.any() else ():
            # runs of rows that surged, but for single rows between them that surged over
            # their neighbours' pace: a band when TEAR_ROWS of them surged over their own
            joined = up[i] | gap[i]
            edges = np.flatnonzero(np.diff(joined.astype(np.int8), prepend=0, append=0))
            for lo, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
                if gap[i, lo:end].any() and np.count_nonzero(up[i, lo:end]) >= TEAR_ROWS:
                    out[i, lo:end] = True
                    bridged[i, lo:end] = gap[i, lo:end]
        # a run of rows that changed whole together, where before only parts of them did
        # (unless rows of it surged as above: that band is judged as such)
        whole = (changed >= BAND_FRAC).any(axis=-1)
        if not whole.any():
            return out, bridged
        cand = (changed >= SURGE_FRAC) & (rates >= SURGE_LEVEL)
        for i in np.flatnonzero(whole & (cand & (part <= PART_FRAC)).any(axis=-1)):
            edges = np.flatnonzero(np.diff(cand[i].astype(np.int8), prepend=0, append=0))
            for lo, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
                k = end - lo
                if k >= TEAR_ROWS and float(changed[i, lo:end].sum()) >= BAND_FRAC * k and \
                        float(part[i, lo:end].sum()) <= PART_FRAC * k and \
                        not out[i, lo:end].any():
                    out[i, lo:end] = True
        return out, bridged

    def _rows_of(self, level: np.ndarray) -> _Rows:
        """The per-row figures of one frame of change ``level`` (:class:`_Rows`), from the
        watch's history of the frames before it."""
        n = level.shape[0] // self.rows
        rates = _means(level.reshape(self.rows, n), 1)
        changed = _shares((level >= BAND_LEVEL).reshape(self.rows, n), 1)
        before, steady = _paces(self._row_rate)
        part = self._row_part.max(axis=0)
        up, bridged = self._surged(rates[None], changed[None], before[None], steady[None],
                                   part[None])
        return _Rows(rates, changed, before, steady, part, up[0], bridged[0])

    def _tear_step(self, t: float, sample: np.ndarray, prev: np.ndarray, level: np.ndarray,
                   rows_now: _Rows) -> GlitchSighting | None:
        n = sample.shape[0] // self.rows
        rates, changed, before, steady = (rows_now.rates, rows_now.changed, rows_now.before,
                                          rows_now.steady)
        sighting = None
        kept: list[_Tear] = []
        busy = np.zeros(self.rows, bool)
        for tear in self._tears:
            rows = slice(tear.lo, tear.hi + 1)
            if tear.post is not None:  # the frame after its end: back to its pace?
                rate = float(rates[rows].mean())
                pace = AFTER_K * tear.pre_rate + AFTER_PAD
                beside = [r for r in (tear.lo - 1, tear.hi + 1) if 0 <= r < self.rows]
                # the rows beside it faster than they and it were before: moving on past it
                on = any(rates[r] > AFTER_K * max(tear.pre_rows[r], tear.pre_rate) + AFTER_PAD
                         for r in beside)
                # its edge rows back to pace: a row inside it that still moves is the content's
                # own (a video's bar crossing it); judge its typical row
                edges_back = max(rates[tear.lo], rates[tear.hi]) <= pace
                after = float(np.median(rates[rows])) if edges_back else rate
                if (after <= pace and not on) or self._came_back(tear):
                    if sighting is None and not self._tear_excused(tear, t):
                        sighting = GlitchSighting(tear.t0, tear.t_last,
                                                  (tear.hi - tear.lo + 1) / self.rows, "tear")
                    continue
                if t - tear.t0 > self.glitch_max_s or rate < END_K * tear.rate or \
                        fraction(level[tear.points] >= BAND_LEVEL) < END_FRAC:
                    continue
                # torn again (a band that flickers): its next end must undo this jump
                tear.post, tear.t_last, tear.flickered = None, t, True
                tear.jump = _step(sample, prev, tear.points)
                busy[rows] = True
                kept.append(tear)
                continue
            busy[rows] = True
            # it ends as it began, undoing its jump: as much again (but a band that came
            # back once and flickers: the picture under it may have changed its contrast)
            like = 0.0 if tear.flickered else END_K * tear.rate
            again = fraction(level[tear.points] >= BAND_LEVEL) >= END_FRAC and \
                float(rates[rows].mean()) >= max(tear.k * tear.pre_rate, SURGE_LEVEL, like)
            if again and _undone(tear.jump, _step(sample, prev, tear.points)) < UNDO_FRAC:
                continue  # its rows changed as much again but on, not back: moving content
            if again:
                outside = np.ones(sample.shape[0], bool)
                outside[tear.lo * n:(tear.hi + 1) * n] = False
                if not outside.any() or \
                        fraction(level[outside] >= JUMP_LEVEL) > END_OUTSIDE:
                    continue  # the whole screen changed (a dialog, a transition): not a band
                tear.post, tear.t_post = sample, t
                if self._strayed(tear):
                    kept.append(tear)
                continue
            if t - tear.t0 <= self.glitch_max_s and not _swept(tear.calm, tear.lo, tear.hi,
                                                               changed):
                tear.t_last = t
                kept.append(tear)
            # else: too long, or the screen swept by meanwhile (a transition): not a glitch
        up, bridged = rows_now.up & ~busy, rows_now.bridged
        if up.any():
            edges = np.flatnonzero(np.diff(np.r_[0, up.astype(np.int8), 0]))
            runs: list[tuple[int, int]] = []
            for lo, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
                hot = WIDEN_K * float(rates[lo:end].mean())
                while lo > 0 and not busy[lo - 1] and rates[lo - 1] >= hot and \
                        changed[lo - 1] >= SURGE_FRAC:
                    lo -= 1
                while end < self.rows and not busy[end] and rates[end] >= hot and \
                        changed[end] >= SURGE_FRAC:
                    end += 1
                if runs and lo <= runs[-1][1]:
                    lo = runs.pop()[0]
                runs.append((lo, end))
            for lo, end in runs:
                if busy[max(0, lo - 1)] or busy[min(self.rows - 1, end)]:
                    continue  # right beside an open band: an edge sliding on, not a new band
                rows = slice(lo, end)
                pts = np.arange(lo * n, end * n)
                pts = pts[level[pts] >= BAND_LEVEL]
                # its pace before: that of the rows that surged (a row it reached over may
                # have had a spike of its own: a video's bar passing)
                own = up[rows] & ~bridged[rows]
                if not own.any():
                    own = np.ones(end - lo, bool)
                pre = before[rows][own]
                # it ends as it began: a change as much above that pace as its start needed
                k = STEADY_K if steady[rows][own].all() else SURGE_K
                if not (rates[rows][own] >= k * before[rows][own]).all():
                    k = 0.0  # it changed whole: it ends changing whole again, back
                kept.append(_Tear(int(lo), int(end - 1), t, self._t_prev, prev, sample, pts,
                                  float(pre.mean()), float(rates[rows].mean()), t,
                                  self._rows_changed < CALM_ROW, before.copy(),
                                  _step(sample, prev, pts), k))
        self._tears = kept[-MAX_OPEN:]
        self._row_rate = np.concatenate([self._row_rate[1:], rates[None]])
        self._row_part = np.stack([self._row_part[1], changed])
        return sighting

    def _strayed(self, tear: _Tear) -> bool:
        """Whether the band's first frame strayed from the straight path between the frames
        before and after it, where the rows two beyond it (on one side at least: the other
        may hold a video's own spike, its bar) did not."""
        assert tear.post is not None
        span = tear.t_post - tear.t_pre
        w = (tear.t0 - tear.t_pre) / span if span > 0 else 0.5
        path = tear.pre + w * (tear.post - tear.pre).astype(np.float32)
        off = _channel_sum(np.abs(tear.start - path))
        band = off[tear.points]
        if fraction(band >= BAND_LEVEL) < STRAY_FRAC:
            return False
        n = off.shape[0] // self.rows
        beside = [r for r in (tear.lo - 2, tear.hi + 2) if 0 <= r < self.rows]
        if not beside:
            return False
        limit = float(band.mean()) / STRAY_RATIO
        return any(float(off[r * n:(r + 1) * n].mean()) <= limit for r in beside)

    @staticmethod
    def _came_back(tear: _Tear) -> bool:
        """Whether the band's points were, as it ended, what they were before it (within
        BAND_BACK_CAP, BAND_BACK of them): a band over a still screen that came back is a
        glitch whatever the screen does next (a touch's response starting)."""
        assert tear.post is not None
        moved = change_level(tear.post[tear.points], tear.pre[tear.points])
        return bool(len(moved)) and fraction(moved < BAND_BACK_CAP) >= BAND_BACK

    def _tear_excused(self, tear: _Tear, t: float) -> bool:
        """A touch near the band as it began (a swipe: as it went down or lifted; a tap the
        runner found no answer to: up to TOUCH_EFFECT_S after it), one that went down after
        it began and was up before it ended, or a response found as it began whose touch went
        near it."""
        band = (tear.lo, tear.hi)
        if any(tear.t0 <= t_down and t_up <= t and self._near(lo, hi, band)
               for t_down, t_up, lo, hi in self._touches):
            # a touch that went down after the band began and was up before it ended: the
            # tool over those rows as it came and went. Not one still down as the band came
            # back: a glitch that began just before a tap (seed 10, 1918.7 s)
            return True
        touches = list(self._touches)
        for i, (t_down, t_up, lo, hi) in enumerate(touches):
            # a tap's effect (a pressed row's highlight) may come a while after it
            late = RESPONSE_SPREAD_S
            t_next = touches[i + 1][0] if i + 1 < len(touches) else math.inf
            if t_up - t_down <= TAP_S and not any(t_down <= r < t_next
                                                  for r in self._responses):
                # a tap the runner found no response to: it may be this. One it found a
                # response to, after the band came back, was not answered by it (seed 9,
                # 5868.6 s: a tear on the launcher between a tap on an icon and its app)
                late = TOUCH_EFFECT_S
            if t_up - t_down > TAP_S and t_down + TAP_S < tear.t0 < t_up:
                # a swipe's effect while the finger moves is the page it moves: motion, which
                # this test tells from a band that comes back (a pressed row's highlight
                # shows as it goes down, and goes as the page starts to move)
                continue
            if t_down <= tear.t0 <= t_up + late and self._near(lo, hi, band):
                return True
        return self._found_response(tear.t0, band, self._came_back(tear))

    def _found_response(self, t: float, rows: tuple[int, int] | None = None,
                        back: bool = False) -> bool:
        """Whether a change starting at ``t`` is the start of a response the runner found;
        for a band over grid ``rows``, only if the touch it answered went near the band (the
        runner may take a glitch for the response to a key press far from it) and, for a
        band ``back`` to exactly what it was, the band began by RESPONSE_SPREAD_S after that
        touch was up (a pressed row's highlight goes as the finger lifts; one that comes and
        goes after it is a glitch the runner took for the answer, as the app it opened began
        to slide in: its own test of an answer that came back wants the rest of the screen as
        before), if the runner made sure it was no glitch (:meth:`responded`'s
        ``anywhere``), or if it was found more than TOUCH_EFFECT_S after the last touch was
        up (a frozen screen thawing: no touch's doing, wherever it is). A change starting a
        frame before the response is its start too (RESPONSE_SPREAD_S)."""
        lead = min(self._frame_dt, RESPONSE_SPREAD_S) + 1e-6
        for r in self._responses:
            if r - lead <= t <= r + RESPONSE_SPREAD_S:
                if rows is None or r in self._anywhere:
                    return True
                touches = [x for x in self._touches if x[0] <= r]
                if not touches:
                    return True
                if self._near(touches[-1][2], touches[-1][3], rows) and \
                        not (back and t > touches[-1][1] + RESPONSE_SPREAD_S):
                    return True
                if r > touches[-1][1] + TOUCH_EFFECT_S:
                    return True
        return False
