"""Drawing the twin's screens from a :class:`DisplayKey`, in fractions of any screen size.

Text uses OpenCV's Hershey fonts at sizes OCR can read (cap height >= ~28 px on a 1080-px-wide
screen). Static screens are cached per size; animated screens (video, game, music, boot) reuse
a cached background and redraw only their moving parts; scrolling and loading pages (browser,
Settings, the Messages list) are a page drawn once with the visible window of their content
pasted in, or the progress bar drawn over; a transition writes each row once. One frame at the
camera's render scale costs well under a millisecond. ``render_screen(..., cached=False)``
draws those pages whole: tests check both give the same pixels.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from tapbot.sim.apps.layout import (
    ADDRESS_BAR,
    ANR_WAIT_X,
    BROWSER,
    BROWSER_CONTENT_H,
    BROWSER_LINK_Y,
    BROWSER_PAGES,
    CALENDAR,
    CALL_BUTTON_R_W,
    CALL_HANGUP,
    CALL_MUTE,
    CALL_SPEAKER,
    CALL_STATUS_Y,
    CONTACTS,
    COUNTER,
    COUNTER_BUTTON,
    COUNTER_BUTTON_R_W,
    COUNTER_NUMBER_Y,
    DIALER,
    DIALER_CALL,
    DIALER_COLS,
    DIALER_DEL,
    DIALER_KEY_R_W,
    DIALER_KEYS,
    DIALER_ROWS,
    DIALOG_BUTTON_Y,
    DIALOG_CARD,
    FILES,
    GAME,
    GAME_BALL_R_W,
    GAME_FIELD,
    ICON_COLOURS,
    ICON_LABEL_GAP,
    ICON_SIZE_W,
    KEY_ROW_H,
    KEY_ROW_X0,
    KEY_ROWS,
    KEY_W,
    KEYBOARD_TOP,
    LAUNCHER,
    LAUNCHER_PAGES,
    LIST_ROW_H,
    LIST_TOP,
    MESSAGES,
    MSG_FIELD,
    MSG_SEND,
    MUSIC,
    MUSIC_BUTTON_R_W,
    MUSIC_BUTTONS,
    MUSIC_COVERS,
    MUSIC_TRACKS,
    NAV_BAR_Y,
    NAV_X,
    NAV_Y,
    NOTES,
    NOTIF_RECT,
    PAGE_DOTS_Y,
    PAGE_TOP,
    PROGRESS_Y,
    RELOAD,
    SCRIM_GAIN,
    SETTINGS,
    SETTINGS_ROW_H,
    SETTINGS_ROWS,
    SPACE_X,
    SPINNER_AT,
    SPINNER_DOTS,
    STATUS_BAR_H,
    TITLE_BOTTOM,
    TOGGLE_X,
    VIDEO,
    VIDEO_LOOP_FRAMES,
    VIDEO_RECT,
    WEATHER,
    game_ball,
    icon_center,
    key_center,
    key_preview_rect,
    list_content_h,
)

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_LABEL = 1.4  # smallest text size for anything a flow may look for (1080-px units)
_MESSAGES_BG = (250, 250, 250)
_BROWSER_BG = (255, 255, 255)
_SETTINGS_BG = (248, 248, 248)
OFF = "Off"
BOOT = "Boot"
LOCK = "Lock"


@dataclass(frozen=True, slots=True)
class DisplayKey:
    """Everything the screen's pixels depend on; equal keys give identical screens.

    ``app`` is the screen in front (an app name, ``"Lock"``, ``"Boot"`` or ``"Off"``) and
    ``content`` its state; ``transition`` = (kind, from_app, from_content, step, steps) while
    an app opens or closes; ``status`` = (clock text, battery %); ``notif`` = (text, slide
    permille); ``dialog`` = (kind, app, again); ``glitch`` = (style, frame); ``dots`` = touch
    points shown by "show taps" (full-resolution px); ``image`` = id of a shown image.
    """

    app: str
    content: tuple = ()
    transition: tuple | None = None
    status: tuple | None = None
    notif: tuple | None = None
    dialog: tuple | None = None
    glitch: tuple | None = None
    dots: tuple = ()
    image: int | None = None
    # the hash of the fields above, worked out once: a key is looked up several times in
    # the caches of screens and composites (a frame's, and the twin's copy's), and hashing
    # its nested tuples each time cost more than making it
    _hash: int = field(init=False, repr=False, compare=False)

    def _fields(self) -> tuple:
        return (self.app, self.content, self.transition, self.status, self.notif, self.dialog,
                self.glitch, self.dots, self.image)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self._fields()))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, DisplayKey):
            return NotImplemented
        return self._hash == other._hash and self._fields() == other._fields()

    def __reduce__(self) -> tuple:
        # made again where it is unpickled: its strings hash otherwise in another process
        return DisplayKey, self._fields()

    @property
    def dialog_app(self) -> str | None:
        """The app named by the dialog on screen, if any."""
        return None if self.dialog is None else self.dialog[1]


class _Painter:
    """Draws in fractions of the screen (``w`` x ``h``) onto ``img`` (may be taller: lists)."""

    def __init__(self, img: np.ndarray, h: int | None = None) -> None:
        self.img = img
        self.w = img.shape[1]
        self.h = img.shape[0] if h is None else h
        self.u = self.w / 1080.0  # unit: one px of the default 1080-wide screen

    def p(self, fx: float, fy: float) -> tuple[int, int]:
        return round(fx * self.w), round(fy * self.h)

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, ...],
             thickness: int = -1) -> None:
        cv2.rectangle(self.img, self.p(x0, y0), self.p(x1, y1), colour, thickness)

    def circle(self, fx: float, fy: float, r_w: float, colour: tuple[int, ...],
               thickness: int = -1) -> None:
        cv2.circle(self.img, self.p(fx, fy), max(1, round(r_w * self.w)), colour, thickness,
                   cv2.LINE_AA)

    def text(
        self, s: str, fx: float, fy: float, size: float, colour: tuple[int, ...],
        align: str = "center", bold: int = 2,
    ) -> None:
        """Text vertically centred on ``fy``; ``size`` in 1080-px units; align left/center/right."""
        scale = max(size * self.u, 0.05)
        thick = max(1, round(bold * self.u * 1.5))
        (tw, th), _ = cv2.getTextSize(s, _FONT, scale, thick)
        x, y = self.p(fx, fy)
        if align == "center":
            x -= tw // 2
        elif align == "right":
            x -= tw
        cv2.putText(self.img, s, (x, y + th // 2), _FONT, scale, colour, thick, cv2.LINE_AA)

    def rounded_square(self, cx: float, cy: float, side_w: float, colour: tuple[int, ...]) -> None:
        half = side_w * self.w / 2
        x, y = cx * self.w, cy * self.h
        r = half * 0.3
        x0, y0, x1, y1 = x - half, y - half, x + half, y + half
        cv2.rectangle(self.img, (round(x0 + r), round(y0)), (round(x1 - r), round(y1)), colour, -1)
        cv2.rectangle(self.img, (round(x0), round(y0 + r)), (round(x1), round(y1 - r)), colour, -1)
        for qx, qy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
            cv2.circle(self.img, (round(qx), round(qy)), max(1, round(r)), colour, -1,
                       cv2.LINE_AA)


def _frozen(img: np.ndarray) -> np.ndarray:
    img.setflags(write=False)
    return img


def _fill(view: np.ndarray, colour: tuple[int, ...] | np.ndarray) -> None:
    """Paint every pixel of the (rows, cols, 3) ``view`` in ``colour``.

    Assigning a 3-tuple to an image broadcasts pixel by pixel (~1.7 ms for a 290 x 640
    page); broadcasting one painted row copies whole rows (~50x faster), same pixels.
    """
    if view.size == 0:
        return
    row = np.empty((view.shape[1], 3), np.uint8)
    row[:] = colour
    view[:] = row


def _blank(w: int, h: int, colour: tuple[int, int, int]) -> tuple[np.ndarray, _Painter]:
    img = np.empty((h, w, 3), np.uint8)
    _fill(img, colour)
    return img, _Painter(img)


def _title(pt: _Painter, title: str, dark: bool = False) -> None:
    pt.rect(0.0, STATUS_BAR_H, 1.0, TITLE_BOTTOM, (60, 60, 60) if dark else (225, 215, 205))
    pt.text(title, 0.06, (STATUS_BAR_H + TITLE_BOTTOM) / 2, 2.0,
            (230, 230, 230) if dark else (40, 40, 40), align="left", bold=3)


# ----------------------------------------------------------------------------- launcher


@functools.lru_cache(maxsize=8)
def _launcher_page(page: int, w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (90, 40, 20))
    for i, name in enumerate(LAUNCHER_PAGES[page]):
        cx, cy = icon_center(i)
        pt.rounded_square(cx, cy, ICON_SIZE_W, ICON_COLOURS[name])
        pt.text(name[0], cx, cy, 2.6, (255, 255, 255), bold=4)
        # layout.icon_label_center, in the arithmetic the pixels were first drawn with
        label_y = cy + (ICON_SIZE_W * pt.w / pt.h) / 2 + ICON_LABEL_GAP
        pt.text(name, cx, label_y, _LABEL, (240, 240, 240))
    n = len(LAUNCHER_PAGES)
    for k in range(n):
        fx = 0.5 + (k - (n - 1) / 2) * 0.05
        pt.circle(fx, PAGE_DOTS_Y, 0.012, (250, 250, 250) if k == page else (150, 120, 110))
    return _frozen(img)


def _launcher_at(offset: float, w: int, h: int) -> np.ndarray:
    """The launcher scrolled to ``offset`` (fraction of W: 0 = page 1, 1 = page 2)."""
    n = len(LAUNCHER_PAGES)
    offset = min(max(offset, 0.0), n - 1.0)
    page = math.floor(offset)
    shift = round((offset - page) * w)
    if shift == 0:
        return _launcher_page(page, w, h)
    out = np.empty((h, w, 3), np.uint8)
    out[:, : w - shift] = _launcher_page(page, w, h)[:, shift:]
    out[:, w - shift:] = _launcher_page(min(page + 1, n - 1), w, h)[:, :shift]
    return out


# ----------------------------------------------------------------------------- simple apps


@functools.lru_cache(maxsize=64)
def _counter(value: int, w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (245, 245, 245))
    _title(pt, "Counter")
    pt.text(str(value), 0.5, COUNTER_NUMBER_Y, 9.0, (30, 30, 30), bold=8)
    bx, by = pt.p(*COUNTER_BUTTON)
    r = round(COUNTER_BUTTON_R_W * pt.w)
    cv2.circle(pt.img, (bx, by), r, (210, 120, 30), -1, cv2.LINE_AA)
    arm, thick = round(r * 0.5), max(1, round(r * 0.16))
    cv2.line(pt.img, (bx - arm, by), (bx + arm, by), (255, 255, 255), thick)
    cv2.line(pt.img, (bx, by - arm), (bx, by + arm), (255, 255, 255), thick)
    return _frozen(img)


_STATIC_TEXT = {
    NOTES: ("Shopping list", "Milk, eggs, bread", "Call the lab", "Charge the robot"),
    WEATHER: ("Twin City", "21 C  Sunny", "Wind 3 m/s", "Tomorrow 19 C"),
    CALENDAR: ("Today", "09:30 Standup", "11:00 Soak review", "15:00 Calibrate"),
    FILES: ("Downloads", "report.pdf", "frames.zip", "notes.txt"),
}


@functools.lru_cache(maxsize=16)
def _static(app: str, w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (245, 245, 245))
    _title(pt, app)
    for i, line in enumerate(_STATIC_TEXT.get(app, (f"{app}",))):
        pt.text(line, 0.08, 0.18 + i * 0.07, 1.7 if i == 0 else _LABEL, (40, 40, 40),
                align="left", bold=3 if i == 0 else 2)
    return _frozen(img)


# ----------------------------------------------------------------------------- video


@functools.lru_cache(maxsize=8)
def _video_chrome(w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (25, 25, 25))
    _title(pt, "Video", dark=True)
    pt.text("Big Buck Twin", 0.06, 0.62, _LABEL, (220, 220, 220), align="left")
    pt.rect(VIDEO_RECT[0], 0.57, VIDEO_RECT[2], 0.58, (90, 90, 90))
    return _frozen(img)


def _video(content: tuple, w: int, h: int) -> np.ndarray:
    frame, paused = content
    img = _video_chrome(w, h).copy()
    pt = _Painter(img)
    x0, y0 = pt.p(VIDEO_RECT[0], VIDEO_RECT[1])
    x1, y1 = pt.p(VIDEO_RECT[2], VIDEO_RECT[3])
    hue = (frame * 11) % 180
    bg = cv2.cvtColor(np.uint8([[[hue, 200, 200]]]), cv2.COLOR_HSV2BGR)[0, 0]
    _fill(img[y0:y1, x0:x1], bg)
    vw, vh = x1 - x0, y1 - y0
    # A ball bouncing left-right and a bar sweeping top-down: a big change every video frame.
    period = 24
    phase = frame % (2 * period)
    pos = phase if phase < period else 2 * period - phase
    r = max(2, round(vh * 0.18))
    cx = x0 + r + round((vw - 2 * r) * pos / period)
    cv2.circle(img, (cx, y0 + vh // 2), r, (255, 255, 255), -1, cv2.LINE_AA)
    by = y0 + round(vh * ((frame * 7) % 20) / 20)
    _fill(img[by:min(y1, by + max(1, vh // 12)), x0:x1], (20, 20, 20))
    if paused:  # the player dims the picture under its pause sign, as players do
        img[y0:y1, x0:x1] //= 2
        pw, ph = max(1, round(vw * 0.03)), round(vh * 0.3)
        mx, my = x0 + vw // 2, y0 + vh // 2
        for dx in (-2 * pw, pw):
            _fill(img[my - ph // 2:my + ph // 2, mx + dx:mx + dx + pw], (250, 250, 250))
    frac = (frame % VIDEO_LOOP_FRAMES) / VIDEO_LOOP_FRAMES
    xend = VIDEO_RECT[0] + (VIDEO_RECT[2] - VIDEO_RECT[0]) * frac
    pt.rect(VIDEO_RECT[0], 0.57, xend, 0.58, (40, 40, 235))
    return img


# ----------------------------------------------------------------------------- music


@functools.lru_cache(maxsize=16)
def _music_chrome(track: int, playing: bool, w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (40, 25, 35))
    _title(pt, "Music", dark=True)
    name, artist, _ = MUSIC_TRACKS[track]
    pt.rect(0.2, 0.16, 0.8, 0.16 + 0.6 * w / h, MUSIC_COVERS[track % len(MUSIC_COVERS)])
    pt.text(name, 0.5, 0.52, 1.8, (240, 240, 240), bold=3)
    pt.text(artist, 0.5, 0.57, _LABEL, (190, 190, 190))
    pt.rect(0.1, 0.66, 0.9, 0.665, (110, 110, 110))
    white = (245, 245, 245)
    for name_b, (cx, cy) in MUSIC_BUTTONS.items():
        pt.circle(cx, cy, MUSIC_BUTTON_R_W, (90, 60, 80))
        x, y = pt.p(cx, cy)
        s = round(MUSIC_BUTTON_R_W * w * 0.45)
        if name_b == "play" and playing:
            for dx in (-s // 2 - s // 4, s // 4):
                cv2.rectangle(img, (x + dx, y - s // 2), (x + dx + s // 2, y + s // 2), white, -1)
        elif name_b == "play":
            tri = np.array([[x - s // 2, y - s // 2 - 2], [x - s // 2, y + s // 2 + 2],
                            [x + s // 2 + 2, y]], np.int32)
            cv2.fillPoly(img, [tri], white, cv2.LINE_AA)
        else:
            d = -1 if name_b == "prev" else 1
            tri = np.array([[x - d * s // 2, y - s // 2], [x - d * s // 2, y + s // 2],
                            [x + d * s // 2, y]], np.int32)
            cv2.fillPoly(img, [tri], white, cv2.LINE_AA)
    return _frozen(img)


def _music(content: tuple, w: int, h: int) -> np.ndarray:
    track, playing, elapsed_s, anim = content
    img = _music_chrome(track, playing, w, h).copy()
    pt = _Painter(img)
    total = MUSIC_TRACKS[track][2]
    pt.text(f"{elapsed_s // 60}:{elapsed_s % 60:02d}", 0.1, 0.70, _LABEL, (220, 220, 220),
            align="left")
    pt.text(f"{total // 60}:{total % 60:02d}", 0.9, 0.70, _LABEL, (220, 220, 220), align="right")
    pt.rect(0.1, 0.655, 0.1 + 0.8 * elapsed_s / total, 0.67, (60, 200, 240))
    # equaliser bars over the cover, moving while playing
    y_base = 0.16 + 0.6 * w / h - 0.01
    for i in range(8):
        level = 0.2 + 0.8 * abs(math.sin(anim * 0.9 + i * 1.7)) if playing else 0.15
        x0 = 0.24 + i * 0.066
        pt.rect(x0, y_base - 0.12 * level, x0 + 0.045, y_base, (230, 210, 250))
    return img


# ----------------------------------------------------------------------------- game


@functools.lru_cache(maxsize=8)
def _game_chrome(w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (30, 60, 30))
    _title(pt, "Game", dark=True)
    pt.rect(*GAME_FIELD, (40, 110, 40))
    pt.text("Tap the ball", 0.5, 0.93, _LABEL, (220, 240, 220))
    return _frozen(img)


def _game(content: tuple, w: int, h: int) -> np.ndarray:
    frame, score = content
    img = _game_chrome(w, h).copy()
    pt = _Painter(img)
    pt.text(f"Score {score}", 0.94, 0.15, 1.8, (250, 250, 250), align="right", bold=3)
    bx, by = game_ball(frame)
    pt.circle(bx, by, GAME_BALL_R_W, (0, 215, 255))
    pt.circle(bx, by, GAME_BALL_R_W * 0.45, (0, 120, 230))
    # a trail of small stars drifting down: the field is never still
    for i in range(6):
        sy = GAME_FIELD[1] + ((frame * 0.004 + i * 0.11) % 0.68)
        pt.circle(0.1 + i * 0.15, sy, 0.01, (200, 255, 200))
    return img


# ----------------------------------------------------------------------------- dialer


@functools.lru_cache(maxsize=32)
def _dialer(content: tuple, w: int, h: int) -> np.ndarray:
    digits, call_s = content[:2]
    if call_s is not None:
        muted, speaker = content[2:]
        img, pt = _blank(w, h, (70, 50, 30))
        pt.text("Calling", 0.5, 0.20, 1.8, (230, 230, 230), bold=2)
        pt.text(digits or "Unknown", 0.5, 0.28, 2.6, (255, 255, 255), bold=4)
        pt.text(f"{call_s // 60:02d}:{call_s % 60:02d}", 0.5, 0.38, 2.4, (200, 255, 200), bold=3)
        status = " - ".join(s for s, on in (("Muted", muted), ("Speaker", speaker)) if on)
        if status:
            pt.text(status, 0.5, CALL_STATUS_Y, 2.4, (255, 255, 255), bold=3)
        for (cx, cy), label, on in ((CALL_MUTE, "Mute", muted), (CALL_SPEAKER, "Speaker", speaker)):
            pt.circle(cx, cy, CALL_BUTTON_R_W, (235, 235, 235) if on else (110, 90, 70))
            pt.text(label, cx, cy, _LABEL, (40, 40, 40) if on else (235, 235, 235), bold=3)
        pt.circle(*CALL_HANGUP, 0.10, (40, 40, 220))
        pt.text("End", *CALL_HANGUP, _LABEL, (255, 255, 255), bold=3)
        return _frozen(img)
    img, pt = _blank(w, h, (250, 250, 250))
    _title(pt, "Dialer")
    pt.text(digits or "Enter number", 0.5, 0.20, 2.4 if digits else 1.6,
            (20, 20, 20) if digits else (150, 150, 150), bold=3)
    if digits:
        pt.text("DEL", *DIALER_DEL, _LABEL, (90, 90, 90), bold=2)
    for i, k in enumerate(DIALER_KEYS):
        cx, cy = DIALER_COLS[i % 3], DIALER_ROWS[i // 3]
        pt.circle(cx, cy, DIALER_KEY_R_W, (232, 232, 232))
        pt.text(k, cx, cy, 2.4, (30, 30, 30), bold=3)
    pt.circle(*DIALER_CALL, 0.10, (80, 180, 40))
    pt.text("Call", *DIALER_CALL, _LABEL, (255, 255, 255), bold=3)
    return _frozen(img)


# ----------------------------------------------------------------------------- messages


@functools.lru_cache(maxsize=4)
def _messages_list_content(w: int, h: int) -> np.ndarray:
    """The conversation list, all rows, as a tall image."""
    content_h = list_content_h(len(CONTACTS), LIST_ROW_H)
    img = np.empty((round(content_h * h), w, 3), np.uint8)
    _fill(img, _MESSAGES_BG)
    pt = _Painter(img, h)
    for i, name in enumerate(CONTACTS):
        y = i * LIST_ROW_H
        pt.circle(0.10, y + LIST_ROW_H / 2, 0.055, ICON_COLOURS[MESSAGES] if i % 2 else
                  (60, 140, 220))
        pt.text(name[0], 0.10, y + LIST_ROW_H / 2, 1.6, (255, 255, 255), bold=3)
        pt.text(name, 0.20, y + LIST_ROW_H * 0.35, 1.6, (30, 30, 30), align="left", bold=3)
        pt.text(f"See you at {9 + i % 8}:00?", 0.20, y + LIST_ROW_H * 0.70, _LABEL,
                (120, 120, 120), align="left")
        pt.rect(0.04, y + LIST_ROW_H - 0.001, 0.96, y + LIST_ROW_H, (220, 220, 220))
    return _frozen(img)


def _messages_list_drawn(scroll_px: int, w: int, h: int, full_h: int) -> np.ndarray:
    """The conversation list scrolled by ``scroll_px`` (full-resolution px), drawn whole."""
    img, pt = _blank(w, h, _MESSAGES_BG)
    tall = _messages_list_content(w, h)
    _paste_scrolled(img, tall, LIST_TOP, NAV_BAR_Y, scroll_px * h / full_h)
    _title(pt, "Messages")
    return img


@functools.lru_cache(maxsize=4)
def _messages_list_base(w: int, h: int) -> np.ndarray:
    return _frozen(_messages_list_drawn(0, w, h, h))


def _messages_list(scroll_px: int, w: int, h: int, full_h: int) -> np.ndarray:
    """:func:`_messages_list_drawn` from the page drawn once at scroll 0 and a window pasted."""
    return _scrolled(_messages_list_base(w, h), _messages_list_content(w, h), LIST_TOP,
                     NAV_BAR_Y, scroll_px * h / full_h, _MESSAGES_BG)


def _scroll_window(h: int, tall_h: int, top: float, bottom: float,
                   scroll: float) -> tuple[int, int, int, int]:
    """(y0, y1, s, n): rows y0..y1 show ``n`` rows of the tall content from its row ``s``."""
    y0, y1 = round(top * h), round(bottom * h)
    s = max(0, min(round(scroll), tall_h - 1))
    return y0, y1, s, min(y1 - y0, tall_h - s)


def _paste_scrolled(img: np.ndarray, tall: np.ndarray, top: float, bottom: float,
                    scroll: float) -> None:
    """Paste the window of ``tall`` starting ``scroll`` px down into rows top..bottom of img."""
    y0, _, s, n = _scroll_window(img.shape[0], tall.shape[0], top, bottom, scroll)
    img[y0:y0 + n] = tall[s:s + n]


def _scrolled(base: np.ndarray, tall: np.ndarray, top: float, bottom: float, scroll: float,
              bg: tuple[int, int, int]) -> np.ndarray:
    """A scrolled page from ``base``, the same page drawn whole at scroll 0.

    Drawn whole, a page is its background, then ``tall``'s window pasted into rows
    ``y0..y1`` (from ``top``/``bottom``), then its bar drawn over rows ``.. y0`` inclusive:
    so the rows up to ``y0`` are the base's, the rows after are the window at ``scroll``
    (and the background below a window that ends early).
    """
    out = base.copy()
    y0, y1, s, n = _scroll_window(out.shape[0], tall.shape[0], top, bottom, scroll)
    out[y0 + 1:y0 + n] = tall[s + 1:s + n]
    if n < y1 - y0:
        _fill(out[y0 + n:y1], bg)
    return out


@functools.lru_cache(maxsize=32)
def _keyboard(w: int, h: int) -> np.ndarray:
    """The keyboard strip (rows KEYBOARD_TOP .. KEYBOARD_TOP + 4 rows)."""
    y0, y1 = round(KEYBOARD_TOP * h), round((KEYBOARD_TOP + 4 * KEY_ROW_H) * h)
    strip = np.empty((y1 - y0, w, 3), np.uint8)
    _fill(strip, (215, 212, 208))
    pt = _Painter(strip, h)

    def key(x0: float, x1: float, row: int, label: str) -> None:
        ya, yb = row * KEY_ROW_H + 0.006, (row + 1) * KEY_ROW_H - 0.006
        pt.rect(x0 + 0.006, ya, x1 - 0.006, yb, (255, 255, 255))
        pt.text(label, (x0 + x1) / 2, (ya + yb) / 2, 1.6, (30, 30, 30), bold=3)

    for row, keys in enumerate(KEY_ROWS):
        for i, k in enumerate(keys):
            x0 = KEY_ROW_X0[row] + i * KEY_W
            key(x0, x0 + KEY_W, row, k.upper())
    key(0.85, 1.0, 2, "<")
    key(SPACE_X[0], SPACE_X[1], 3, "space")
    return _frozen(strip)


@functools.lru_cache(maxsize=32)
def _messages_compose(contact: str, thread: tuple, draft: str, preview: str | None, w: int,
                      h: int) -> np.ndarray:
    img, pt = _blank(w, h, (250, 250, 250))
    _title(pt, contact)
    pt.rect(0.05, 0.13, 0.70, 0.19, (225, 225, 225))
    pt.text("Hi! Are you there?", 0.08, 0.16, _LABEL, (30, 30, 30), align="left")
    for i, msg in enumerate(thread):
        y = 0.22 + i * 0.065
        pt.rect(0.30, y, 0.95, y + 0.055, (250, 200, 140))
        pt.text(msg, 0.92, y + 0.0275, _LABEL, (20, 20, 20), align="right")
    pt.rect(*MSG_FIELD, (235, 235, 235))
    pt.text(draft + "|" if draft else "Type a message", MSG_FIELD[0] + 0.03,
            (MSG_FIELD[1] + MSG_FIELD[3]) / 2, _LABEL, (20, 20, 20) if draft else (150, 150, 150),
            align="left")
    pt.rect(*MSG_SEND, (200, 130, 0))
    pt.text("Send", (MSG_SEND[0] + MSG_SEND[2]) / 2, (MSG_SEND[1] + MSG_SEND[3]) / 2, _LABEL,
            (255, 255, 255), bold=3)
    strip = _keyboard(w, h)
    y0 = round(KEYBOARD_TOP * h)
    img[y0:y0 + strip.shape[0]] = strip
    if preview is not None:
        _key_preview(pt, preview)
    return _frozen(img)


def _key_preview(pt: _Painter, key: str) -> None:
    """Letter ``key`` held: the key darkened and its preview popup above it (a card with a
    shadow and the letter large), as Gboard shows it."""
    cx, cy = key_center(key)
    pt.rect(cx - KEY_W / 2 + 0.006, cy - KEY_ROW_H / 2 + 0.006, cx + KEY_W / 2 - 0.006,
            cy + KEY_ROW_H / 2 - 0.006, (190, 187, 184))
    x0, y0, x1, y1 = key_preview_rect(key)
    pt.rect(x0 + 0.004, y0 + 0.003, x1 + 0.004, y1 + 0.003, (150, 150, 150))  # shadow
    pt.rect(x0, y0, x1, y1, (255, 255, 255))
    pt.rect(x0, y0, x1, y1, (170, 170, 170), thickness=max(1, round(2 * pt.u)))
    pt.text(key.upper(), (x0 + x1) / 2, y0 + (y1 - y0) * 0.45, 2.6, (30, 30, 30), bold=4)


# ----------------------------------------------------------------------------- browser

_ARTICLE = (
    "The twin phone answers every touch", "after a latency drawn per app.", "",
    "Robot fingers touch real glass;", "a camera watches the screen.", "",
    "Monitors find stalls, freezes,", "crashes and glitches in frames.", "",
    "A soak runs a mix of flows", "for many simulated hours.", "",
    "Ground truth stays in the twin;", "scorers compare it with", "what the monitors saw.", "",
    "Scroll on to read more.", "", "Every figure needs a command", "that produced it.", "",
    "Latency is touch to first", "visible change on the display.", "",
)


@functools.lru_cache(maxsize=4)
def _browser_page(page: int, w: int, h: int) -> np.ndarray:
    img = np.empty((round(BROWSER_CONTENT_H * h), w, 3), np.uint8)
    _fill(img, _BROWSER_BG)
    pt = _Painter(img, h)
    _, title = BROWSER_PAGES[page]
    pt.text(title, 0.06, 0.05, 2.4, (20, 20, 20), align="left", bold=4)
    pt.rect(0.06, 0.09, 0.94, 0.30, ICON_COLOURS[BROWSER] if page % 2 == 0 else (120, 90, 60))
    pt.text(f"Picture {page + 1}", 0.5, 0.195, 2.0, (255, 255, 255), bold=3)
    for i, line in enumerate(_ARTICLE * 2):
        y = 0.34 + i * 0.04
        if y > BROWSER_LINK_Y[0] - 0.05:
            break
        if line:
            pt.text(line, 0.06, y, _LABEL, (50, 50, 50), align="left")
    pt.rect(0.06, BROWSER_LINK_Y[0], 0.94, BROWSER_LINK_Y[1], (240, 225, 210))
    pt.text("Next article >", 0.5, sum(BROWSER_LINK_Y) / 2, 1.6, (200, 100, 0), bold=3)
    return _frozen(img)


def _browser_drawn(content: tuple, w: int, h: int, full_h: int) -> np.ndarray:
    """The browser at ``content`` = (page, progress or None once loaded, scroll px, spinner
    step or None), drawn whole."""
    page, progress, scroll_px, spin = content
    img, pt = _blank(w, h, _BROWSER_BG)
    loaded = progress is None
    if loaded:
        _paste_scrolled(img, _browser_page(page, w, h), PAGE_TOP, NAV_BAR_Y,
                        scroll_px * h / full_h)
    pt.rect(0.0, STATUS_BAR_H, 1.0, PAGE_TOP, (240, 240, 240))
    pt.rect(*ADDRESS_BAR, (225, 225, 225))
    pt.text(BROWSER_PAGES[page][0], ADDRESS_BAR[0] + 0.03, (ADDRESS_BAR[1] + ADDRESS_BAR[3]) / 2,
            _LABEL, (30, 30, 30), align="left")
    pt.circle(*RELOAD, 0.035, (80, 80, 80), thickness=max(1, round(4 * pt.u)))
    if not loaded:
        _progress_bar(pt, progress)
        pt.text("Loading...", 0.5, 0.40, 1.6, (160, 160, 160))
        if spin is not None:
            _spinner(pt, spin)
    return img


def _progress_bar(pt: _Painter, progress: int) -> None:
    pt.rect(0.0, PROGRESS_Y[0], progress / 100.0, PROGRESS_Y[1], (235, 140, 30))


def _spinner(pt: _Painter, step: int) -> None:
    """A ring of dots, the one at ``step`` (and, fainter, the one before) dark."""
    cx, cy = SPINNER_AT
    aspect = pt.h / pt.w
    for i in range(SPINNER_DOTS):
        a = 2 * math.pi * i / SPINNER_DOTS
        lag = (step - i) % SPINNER_DOTS
        colour = (70, 70, 70) if lag == 0 else (140, 140, 140) if lag == 1 else (215, 215, 215)
        pt.circle(cx + 0.08 * math.sin(a), cy - 0.08 * math.cos(a) / aspect, 0.025, colour)


@functools.lru_cache(maxsize=8)
def _browser_base(page: int, loading: bool, w: int, h: int) -> np.ndarray:
    """The browser drawn whole at scroll 0, or loading at progress 0 (no spinner)."""
    return _frozen(_browser_drawn((page, 0 if loading else None, 0, None), w, h, h))


def _browser(content: tuple, w: int, h: int, full_h: int) -> np.ndarray:
    """:func:`_browser_drawn` from a page drawn once: loading, the bar drawn over the one at
    0 % (it covers it; "Loading..." lies elsewhere) and the spinner; loaded, a window pasted."""
    page, progress, scroll_px, spin = content
    if progress is None:
        return _scrolled(_browser_base(page, False, w, h), _browser_page(page, w, h), PAGE_TOP,
                         NAV_BAR_Y, scroll_px * h / full_h, _BROWSER_BG)
    img = _browser_base(page, True, w, h).copy()
    pt = _Painter(img)
    _progress_bar(pt, progress)
    if spin is not None:
        _spinner(pt, spin)
    return img


# ----------------------------------------------------------------------------- settings


@functools.lru_cache(maxsize=16)
def _settings_content(toggles: tuple, w: int, h: int) -> np.ndarray:
    content_h = list_content_h(len(SETTINGS_ROWS), SETTINGS_ROW_H)
    img = np.empty((round(content_h * h), w, 3), np.uint8)
    _fill(img, _SETTINGS_BG)
    pt = _Painter(img, h)
    aspect = h / w
    for i, (name, on) in enumerate(zip(SETTINGS_ROWS, toggles, strict=True)):
        y = i * SETTINGS_ROW_H + SETTINGS_ROW_H / 2
        pt.text(name, 0.06, y, 1.6, (30, 30, 30), align="left", bold=2)
        track = (200, 150, 30) if on else (180, 180, 180)
        r = 0.025
        pt.rect(TOGGLE_X - 0.05, y - r * 0.8 / aspect * 1.0, TOGGLE_X + 0.05,
                y + r * 0.8 / aspect * 1.0, track)
        pt.circle(TOGGLE_X + (0.05 if on else -0.05), y, r * 1.2,
                  (255, 255, 255) if on else (240, 240, 240))
        pt.text("On" if on else "Off", TOGGLE_X - 0.09, y, _LABEL, (90, 90, 90), align="right")
        pt.rect(0.04, (i + 1) * SETTINGS_ROW_H - 0.001, 0.96, (i + 1) * SETTINGS_ROW_H,
                (222, 222, 222))
    return _frozen(img)


def _settings_drawn(content: tuple, w: int, h: int, full_h: int) -> np.ndarray:
    """Settings at ``content`` = (toggles, scroll px), drawn whole."""
    toggles, scroll_px = content
    img, pt = _blank(w, h, _SETTINGS_BG)
    _paste_scrolled(img, _settings_content(toggles, w, h), LIST_TOP, NAV_BAR_Y,
                    scroll_px * h / full_h)
    _title(pt, "Settings")
    return img


@functools.lru_cache(maxsize=4)
def _settings_base(toggles: tuple, w: int, h: int) -> np.ndarray:
    return _frozen(_settings_drawn((toggles, 0), w, h, h))


def _settings(content: tuple, w: int, h: int, full_h: int) -> np.ndarray:
    """:func:`_settings_drawn` from the page drawn once at scroll 0 and a window pasted."""
    toggles, scroll_px = content
    return _scrolled(_settings_base(toggles, w, h), _settings_content(toggles, w, h), LIST_TOP,
                     NAV_BAR_Y, scroll_px * h / full_h, _SETTINGS_BG)


# ----------------------------------------------------------------------------- system UI


@functools.lru_cache(maxsize=16)
def _lock(clock: str, w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (70, 35, 40))
    pt.text(clock, 0.5, 0.25, 6.0, (250, 250, 250), bold=6)
    pt.text("Sunday, 29 November", 0.5, 0.33, _LABEL, (220, 220, 220))
    pt.text("Swipe up to unlock", 0.5, 0.88, _LABEL, (230, 230, 230))
    pt.rect(0.40, 0.92, 0.60, 0.926, (230, 230, 230))
    return _frozen(img)


def _lock_at(content: tuple, w: int, h: int, full_h: int) -> np.ndarray:
    clock, lift_px = content
    base = _lock(clock, w, h)
    lift = round(lift_px * h / full_h)
    if lift <= 0:
        return base
    out = np.empty_like(base)
    out[: h - lift] = base[lift:]
    _fill(out[h - lift:], (90, 40, 20))  # the launcher's colour shows from below
    return out


@functools.lru_cache(maxsize=4)
def _boot_chrome(w: int, h: int) -> np.ndarray:
    img, pt = _blank(w, h, (0, 0, 0))
    pt.text("twin", 0.5, 0.45, 4.0, (235, 235, 235), bold=5)
    return _frozen(img)


def _boot(content: tuple, w: int, h: int) -> np.ndarray:
    (frame,) = content
    img = _boot_chrome(w, h).copy()
    pt = _Painter(img)
    for i in range(4):
        phase = (frame / 12.0 + i / 4.0) % 1.0
        c = round(80 + 175 * abs(math.sin(math.pi * phase)))
        pt.circle(0.35 + i * 0.1, 0.53, 0.018, (c, c, c))
    return img


@functools.lru_cache(maxsize=64)
def _status_bar(status: tuple, w: int, h: int) -> np.ndarray:
    clock, battery = status
    hb = max(1, round(STATUS_BAR_H * h))
    strip = np.empty((hb, w, 3), np.uint8)
    _fill(strip, (30, 30, 30))
    pt = _Painter(strip, h)
    pt.text(clock, 0.05, STATUS_BAR_H / 2, _LABEL, (235, 235, 235), align="left")
    pt.text(f"{battery}%", 0.88, STATUS_BAR_H / 2, _LABEL, (235, 235, 235), align="right")
    x0, y0, y1 = 0.90, STATUS_BAR_H * 0.3, STATUS_BAR_H * 0.7
    pt.rect(x0, y0, 0.96, y1, (235, 235, 235), thickness=max(1, round(2 * pt.u)))
    fill = (60, 200, 60) if battery > 20 else (40, 40, 230)
    pt.rect(x0, y0, x0 + 0.06 * battery / 100, y1, fill)
    return _frozen(strip)


@functools.lru_cache(maxsize=8)
def _nav_bar(w: int, h: int) -> np.ndarray:
    y0 = round(NAV_BAR_Y * h)
    strip = np.zeros((h - y0, w, 3), np.uint8)
    size = 0.012 * h
    g = (230, 230, 230)
    off = y0
    bx, by = round(NAV_X["back"] * w), round(NAV_Y * h) - off
    tri = np.array([[bx - size, by], [bx + size * 0.8, by - size], [bx + size * 0.8, by + size]])
    cv2.fillPoly(strip, [np.round(tri).astype(np.int32)], g, cv2.LINE_AA)
    hx = round(NAV_X["home"] * w)
    cv2.circle(strip, (hx, by), max(1, round(size)), g, max(1, round(size * 0.25)), cv2.LINE_AA)
    rx = round(NAV_X["recents"] * w)
    s = round(size * 0.85)
    cv2.rectangle(strip, (rx - s, by - s), (rx + s, by + s), g, max(1, round(size * 0.25)))
    return _frozen(strip)


@functools.lru_cache(maxsize=16)
def _notification(text: str, w: int, h: int) -> np.ndarray:
    x0, y0, x1, y1 = NOTIF_RECT
    hb = round((y1 - y0) * h)
    card = np.empty((hb, round((x1 - x0) * w), 3), np.uint8)
    _fill(card, (250, 250, 250))
    pt = _Painter(card, h)
    pt.circle(0.04, (y1 - y0) / 2, 0.025, ICON_COLOURS[MESSAGES])
    pt.text(text, 0.09, (y1 - y0) / 2, _LABEL, (30, 30, 30), align="left")
    return _frozen(card)


def _dialog(img: np.ndarray, dialog: tuple) -> None:
    kind, app, again = dialog
    img[:] = (img * SCRIM_GAIN).astype(np.uint8) if img.size < 400_000 else \
        cv2.convertScaleAbs(img, alpha=SCRIM_GAIN)
    pt = _Painter(img)
    x0, y0, x1, y1 = DIALOG_CARD
    pt.rect(x0, y0, x1, y1, (255, 255, 255))
    if kind == "anr":
        title = f"{app} isn't responding"
    else:
        title = f"{app} keeps stopping" if again else f"{app} has stopped"
    size = 1.6 if len(title) <= 22 else 1.6 * 22 / len(title) + 0.0
    pt.text(title, x0 + 0.05, y0 + 0.04, max(size, _LABEL), (30, 30, 30), align="left", bold=3)
    by = (DIALOG_BUTTON_Y[0] + DIALOG_BUTTON_Y[1]) / 2
    pt.text("Close app", x1 - 0.06, by, _LABEL, (200, 110, 20), align="right", bold=3)
    if kind == "anr":
        pt.text("Wait", ANR_WAIT_X[0] + 0.06, by, _LABEL, (200, 110, 20), align="left", bold=3)
    elif again:
        pt.text("App info", x0 + 0.06, by, _LABEL, (120, 120, 120), align="left", bold=2)


def _glitch(img: np.ndarray, glitch: tuple) -> None:
    style, frame = glitch
    h, w = img.shape[:2]
    if style == "black":
        img[:] = 0
    elif style == "bars":
        colours = ((255, 255, 255), (0, 255, 255), (255, 255, 0), (0, 255, 0), (255, 0, 255),
                   (0, 0, 255), (255, 0, 0), (0, 0, 0))
        n = len(colours)
        for i in range(n):
            j = (i + frame) % n
            _fill(img[:, i * w // n:(i + 1) * w // n], colours[j])
    else:  # tearing: a band of rows shifted sideways, its colours scrambled
        y0 = round(h * (0.3 + 0.15 * (frame % 3)))
        y1 = min(h, y0 + max(1, round(h * 0.12)))
        shift = max(1, round(w * 0.22))
        img[y0:y1] = np.roll(img[y0:y1], shift, axis=1)[:, :, ::-1] ^ 0x40


def _dots(img: np.ndarray, dots: tuple, full_w: int) -> None:
    s = img.shape[1] / full_w
    r = max(1, round(28 * s * full_w / 1080))
    for x, y in dots:
        cv2.circle(img, (round(x * s), round(y * s)), r, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(img, (round(x * s), round(y * s)), max(1, r * 2 // 3), (128, 128, 128), -1,
                   cv2.LINE_AA)


# ----------------------------------------------------------------------------- compose


def _content(app: str, content: tuple, w: int, h: int, full: tuple[int, int],
             cached: bool = True) -> np.ndarray:
    full_w, full_h = full
    if not cached and app in _DRAWN_WHOLE and (app != MESSAGES or content[0] == "list"):
        return _DRAWN_WHOLE[app](content[1] if app == MESSAGES else content, w, h, full_h)
    if app == LAUNCHER:
        return _launcher_at(content[0] / full_w, w, h)
    if app == COUNTER:
        return _counter(content[0], w, h)
    if app == VIDEO:
        return _video(content, w, h)
    if app == MUSIC:
        return _music(content, w, h)
    if app == GAME:
        return _game(content, w, h)
    if app == DIALER:
        return _dialer(content, w, h)
    if app == MESSAGES:
        if content[0] == "list":
            return _messages_list(content[1], w, h, full_h)
        _, contact, thread, draft, preview = content
        return _messages_compose(contact, thread, draft, preview, w, h)
    if app == BROWSER:
        return _browser(content, w, h, full_h)
    if app == SETTINGS:
        return _settings(content, w, h, full_h)
    if app == LOCK:
        return _lock_at(content, w, h, full_h)
    if app == BOOT:
        return _boot(content, w, h)
    if app == OFF:
        return np.zeros((h, w, 3), np.uint8)
    return _static(app, w, h)


#: Pages composed from cached pieces, and how to draw them whole (``cached=False``).
_DRAWN_WHOLE = {BROWSER: _browser_drawn, SETTINGS: _settings_drawn,
                MESSAGES: _messages_list_drawn}


def _bars(app: str, status: tuple | None, w: int, h: int) -> list[tuple[int, np.ndarray]]:
    """The system bars drawn over ``app``'s content, as (first row, strip)."""
    if app in (OFF, BOOT):
        return []
    bars = []
    if status is not None:
        bars.append((0, _status_bar(status, w, h)))
    if app != LOCK:
        nav = _nav_bar(w, h)
        bars.append((h - nav.shape[0], nav))
    return bars


def _with_bars(img: np.ndarray, app: str, status: tuple | None, w: int, h: int) -> np.ndarray:
    bars = _bars(app, status, w, h)
    if bars and not img.flags.writeable:
        img = img.copy()
    for y, strip in bars:
        img[y:y + strip.shape[0]] = strip
    return img


def slide_shown(frac: float) -> float:
    """How far a sliding screen has come (0-1) a fraction ``frac`` into its slide: eased
    out, fast then slow."""
    return 1.0 - (1.0 - frac) ** 3


def slide_frac(shown: float) -> float:
    """The fraction into a slide at which it has come ``shown`` (:func:`slide_shown`'s
    inverse)."""
    return 1.0 - (1.0 - min(1.0, max(0.0, shown))) ** (1.0 / 3.0)


def _slid(top: np.ndarray, under: np.ndarray, dy: int) -> np.ndarray:
    """``top`` moved down by ``dy`` rows over ``under``."""
    out = under.copy()
    h = top.shape[0]
    if dy < h:
        out[dy:] = top[: h - dy]
    return out


def _rows_with_bars(out: np.ndarray, y_out: int, img: np.ndarray,
                    bars: list[tuple[int, np.ndarray]], y0: int, y1: int) -> None:
    """Rows ``y0..y1`` of ``img`` under its ``bars`` into ``out`` from row ``y_out``."""
    out[y_out:y_out + y1 - y0] = img[y0:y1]
    for ys, strip in bars:
        a, b = max(y0, ys), min(y1, ys + strip.shape[0])
        if b > a:
            out[y_out + a - y0:y_out + b - y0] = strip[a - ys:b - ys]


def _slid_with_bars(top: np.ndarray, top_bars: list[tuple[int, np.ndarray]],
                    under: np.ndarray, under_bars: list[tuple[int, np.ndarray]],
                    dy: int) -> np.ndarray:
    """``_slid(top with its bars, under with its bars, dy)``, each row written once."""
    h = top.shape[0]
    dy = min(dy, h)
    out = np.empty_like(top)
    _rows_with_bars(out, 0, under, under_bars, 0, dy)
    _rows_with_bars(out, dy, top, top_bars, 0, h - dy)
    return out


def render_screen(key: DisplayKey, w: int, h: int, full: tuple[int, int] | None = None,
                  image: np.ndarray | None = None, *, cached: bool = True) -> np.ndarray:
    """Render the screen for ``key`` as a BGR uint8 image of (h, w, 3).

    ``full`` is the screen's full resolution (scroll offsets in the key are full-resolution
    px); ``image`` is the picture for ``key.image`` (from the device link's ``show_image``).
    ``cached=False`` draws the scrolled and loading pages whole instead of composing them
    from pieces drawn once (slower; the same pixels, which tests check).
    """
    full = full or (w, h)
    if key.image is not None and image is not None:
        img = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    else:
        img = _content(key.app, key.content, w, h, full, cached)
        if key.transition is not None and key.transition[3] < key.transition[4]:
            kind, src_app, src_content, step, steps = key.transition
            src = _content(src_app, src_content, w, h, full, cached)
            a = slide_shown(step / steps)
            # the new screen slides up over the old one; a closing one slides down
            # (full-width bands: nothing on the way looks like a dialog card)
            if cached:
                bars = _bars(key.app, key.status, w, h)
                src_bars = _bars(src_app, key.status, w, h)
                if kind == "open":
                    img = _slid_with_bars(img, bars, src, src_bars, round((1.0 - a) * h))
                else:
                    img = _slid_with_bars(src, src_bars, img, bars, round(a * h))
            else:
                img = _with_bars(img, key.app, key.status, w, h)
                src = _with_bars(src, src_app, key.status, w, h)
                img = _slid(img, src, round((1.0 - a) * h)) if kind == "open" else \
                    _slid(src, img, round(a * h))
        img = _with_bars(img, key.app, key.status, w, h)
        if key.notif is not None:
            text, permille = key.notif
            if not img.flags.writeable:
                img = img.copy()
            card = _notification(text, w, h)
            x0 = round(NOTIF_RECT[0] * w)
            y_in = round(NOTIF_RECT[1] * h)
            y_top = round(y_in - (1.0 - permille / 1000.0) * (y_in + card.shape[0]))
            a, b = max(0, y_top), min(h, y_top + card.shape[0])
            if b > a:
                img[a:b, x0:x0 + card.shape[1]] = card[a - y_top:b - y_top]
        if key.dialog is not None:
            img = img.copy() if not img.flags.writeable else img
            _dialog(img, key.dialog)
    if not img.flags.writeable:
        img = img.copy()
    if key.glitch is not None:
        _glitch(img, key.glitch)
    if key.dots:
        _dots(img, key.dots, full[0])
    return img
