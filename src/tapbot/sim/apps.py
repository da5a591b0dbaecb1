"""The twin's apps: layout (as fractions of the screen), hit-testing and rendering.

Every coordinate here is a fraction of the screen width W or height H; flows and tests are
written against these numbers, so change them only together with those.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

LAUNCHER = "Launcher"
COUNTER = "Counter"
VIDEO = "Video"
LAUNCHER_APPS: tuple[str, ...] = (
    "Counter", "Video", "Messages", "Browser", "Music", "Settings", "Camera", "Clock",
)
ICON_COLS: tuple[float, ...] = (0.125, 0.375, 0.625, 0.875)
ICON_ROWS: tuple[float, ...] = (0.20, 0.33)
ICON_SIZE_W = 0.16  # icon square side, fraction of W
ICON_COLOURS: tuple[tuple[int, int, int], ...] = (  # BGR
    (60, 180, 75), (48, 48, 230), (200, 130, 0), (0, 160, 255),
    (180, 50, 160), (128, 128, 128), (30, 90, 200), (160, 160, 40),
)

STATUS_BAR_H = 0.04
NAV_BAR_Y = 0.95
NAV_Y = 0.975
NAV_X = {"back": 0.25, "home": 0.50, "recents": 0.75}
NAV_HALF_W = 0.10

COUNTER_NUMBER_Y = 0.42
COUNTER_BUTTON = (0.50, 0.62)
COUNTER_BUTTON_R_W = 0.12  # radius, fraction of W

VIDEO_RECT = (0.05, 0.30, 0.95, 0.55)  # x0, y0, x1, y1
VIDEO_FPS = 30.0
VIDEO_LOOP_FRAMES = 900

DIALOG_CARD = (0.10, 0.40, 0.90, 0.58)
DIALOG_CLOSE_Y = (0.52, 0.58)
SCRIM_GAIN = 0.35

_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True, slots=True)
class DisplayKey:
    """Everything the screen's pixels depend on; equal keys give identical screens."""

    app: str
    counter: int | None = None
    video_frame: int | None = None
    paused: bool = False
    dialog: str | None = None


def icon_center(index: int) -> tuple[float, float]:
    """Centre of launcher icon ``index`` as (x/W, y/H)."""
    return ICON_COLS[index % 4], ICON_ROWS[index // 4]


def hit_test(app: str, dialog: str | None, x_px: float, y_px: float, w: int, h: int) -> str:
    """What a touch at screen px (x, y) hits on the given front screen (a truth target name)."""
    fx, fy = x_px / w, y_px / h
    nav = None
    if fy >= NAV_BAR_Y:
        for name, cx in NAV_X.items():
            if abs(fx - cx) <= NAV_HALF_W:
                nav = name
    if dialog is not None:
        x0, _, x1, _ = DIALOG_CARD
        if x0 <= fx <= x1 and DIALOG_CLOSE_Y[0] <= fy <= DIALOG_CLOSE_Y[1]:
            return "dialog:close"
        if nav in ("back", "home"):
            return f"nav:{nav}"
        return "ignored:dialog"
    if nav is not None:
        return f"nav:{nav}"
    if fy < STATUS_BAR_H or fy >= NAV_BAR_Y:
        return "none"
    if app == LAUNCHER:
        half = ICON_SIZE_W * w / 2
        for i, name in enumerate(LAUNCHER_APPS):
            cx, cy = icon_center(i)
            if abs(x_px - cx * w) <= half and abs(y_px - cy * h) <= half:
                return f"launcher:{name}"
        return "none"
    if app == COUNTER:
        bx, by = COUNTER_BUTTON
        if np.hypot(x_px - bx * w, y_px - by * h) <= COUNTER_BUTTON_R_W * w:
            return "counter:+"
        return "none"
    if app == VIDEO:
        x0, y0, x1, y1 = VIDEO_RECT
        if x0 <= fx <= x1 and y0 <= fy <= y1:
            return "video:toggle"
        return "none"
    return "none"


# ----------------------------------------------------------------------------- rendering


class _Painter:
    """Draws in fractions of the screen onto an image of size (w, h)."""

    def __init__(self, img: np.ndarray) -> None:
        self.img = img
        self.h, self.w = img.shape[:2]
        self.u = self.w / 1080.0  # unit: one px of the default 1080-wide screen

    def p(self, fx: float, fy: float) -> tuple[int, int]:
        return round(fx * self.w), round(fy * self.h)

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, ...]) -> None:
        cv2.rectangle(self.img, self.p(x0, y0), self.p(x1, y1), colour, -1)

    def text(
        self, s: str, fx: float, fy: float, size: float, colour: tuple[int, ...],
        align: str = "center", bold: int = 2,
    ) -> None:
        """Text with its baseline-centre (or left/right end) at (fx, fy); size in 1080-px units."""
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


def _draw_launcher(pt: _Painter) -> None:
    pt.img[:] = (90, 40, 20)  # dark blue
    for i, name in enumerate(LAUNCHER_APPS):
        cx, cy = icon_center(i)
        pt.rounded_square(cx, cy, ICON_SIZE_W, ICON_COLOURS[i])
        label_y = cy + (ICON_SIZE_W * pt.w / pt.h) / 2 + 0.018
        pt.text(name, cx, label_y, 1.3, (240, 240, 240))


def _draw_title(pt: _Painter, title: str) -> None:
    pt.img[:] = (245, 245, 245)
    pt.rect(0.0, STATUS_BAR_H, 1.0, 0.11, (225, 215, 205))
    pt.text(title, 0.06, 0.075, 2.0, (40, 40, 40), align="left", bold=3)


def _draw_counter(pt: _Painter, value: int) -> None:
    _draw_title(pt, "Counter")
    pt.text(str(value), 0.5, COUNTER_NUMBER_Y, 9.0, (30, 30, 30), bold=8)
    bx, by = pt.p(*COUNTER_BUTTON)
    r = round(COUNTER_BUTTON_R_W * pt.w)
    cv2.circle(pt.img, (bx, by), r, (210, 120, 30), -1, cv2.LINE_AA)
    arm, thick = round(r * 0.5), max(1, round(r * 0.16))
    cv2.line(pt.img, (bx - arm, by), (bx + arm, by), (255, 255, 255), thick)
    cv2.line(pt.img, (bx, by - arm), (bx, by + arm), (255, 255, 255), thick)


@functools.lru_cache(maxsize=8)
def _video_chrome(w: int, h: int) -> np.ndarray:
    """The video player's static parts (background, title, system bars), drawn once."""
    img = np.zeros((h, w, 3), np.uint8)
    pt = _Painter(img)
    pt.img[:] = (25, 25, 25)
    pt.text("Video", 0.06, 0.075, 2.0, (220, 220, 220), align="left", bold=3)
    _draw_bars(pt)
    img.setflags(write=False)
    return img


def _draw_video(pt: _Painter, frame: int, paused: bool) -> None:
    """The moving parts of the video player (its chrome comes from ``_video_chrome``)."""
    x0, y0 = pt.p(VIDEO_RECT[0], VIDEO_RECT[1])
    x1, y1 = pt.p(VIDEO_RECT[2], VIDEO_RECT[3])
    hue = (frame * 11) % 180
    bg = cv2.cvtColor(np.uint8([[[hue, 200, 200]]]), cv2.COLOR_HSV2BGR)[0, 0]
    cv2.rectangle(pt.img, (x0, y0), (x1, y1), tuple(int(c) for c in bg), -1)
    vw, vh = x1 - x0, y1 - y0
    # A ball bouncing left-right and a bar sweeping top-down: a big change every video frame.
    period = 24
    phase = frame % (2 * period)
    pos = phase if phase < period else 2 * period - phase
    r = max(2, round(vh * 0.18))
    cx = x0 + r + round((vw - 2 * r) * pos / period)
    cv2.circle(pt.img, (cx, y0 + vh // 2), r, (255, 255, 255), -1, cv2.LINE_AA)
    by = y0 + round(vh * ((frame * 7) % 20) / 20)
    cv2.rectangle(pt.img, (x0, by), (x1, min(y1, by + max(1, vh // 12))), (20, 20, 20), -1)
    if paused:
        pw, ph = max(1, round(vw * 0.03)), round(vh * 0.3)
        mx, my = x0 + vw // 2, y0 + vh // 2
        for dx in (-2 * pw, pw):
            cv2.rectangle(pt.img, (mx + dx, my - ph // 2), (mx + dx + pw, my + ph // 2),
                          (250, 250, 250), -1)
    # progress bar
    pt.rect(VIDEO_RECT[0], 0.57, VIDEO_RECT[2], 0.58, (90, 90, 90))
    frac = (frame % VIDEO_LOOP_FRAMES) / VIDEO_LOOP_FRAMES
    xend = VIDEO_RECT[0] + (VIDEO_RECT[2] - VIDEO_RECT[0]) * frac
    pt.rect(VIDEO_RECT[0], 0.57, xend, 0.58, (40, 40, 235))


def _draw_placeholder(pt: _Painter, app: str) -> None:
    _draw_title(pt, app)
    pt.text(f"{app} is not implemented in the twin", 0.5, 0.30, 1.2, (120, 120, 120), bold=1)


def _draw_bars(pt: _Painter) -> None:
    pt.rect(0.0, 0.0, 1.0, STATUS_BAR_H, (30, 30, 30))
    pt.text("12:00", 0.06, STATUS_BAR_H / 2, 1.2, (230, 230, 230), align="left")
    pt.rect(0.0, NAV_BAR_Y, 1.0, 1.0, (0, 0, 0))
    size = 0.012 * pt.h
    g = (230, 230, 230)
    bx, by = pt.p(NAV_X["back"], NAV_Y)
    tri = np.array([[bx - size, by], [bx + size * 0.8, by - size], [bx + size * 0.8, by + size]])
    cv2.fillPoly(pt.img, [np.round(tri).astype(np.int32)], g, cv2.LINE_AA)
    hx, hy = pt.p(NAV_X["home"], NAV_Y)
    cv2.circle(pt.img, (hx, hy), max(1, round(size)), g, max(1, round(size * 0.25)), cv2.LINE_AA)
    rx, ry = pt.p(NAV_X["recents"], NAV_Y)
    s = round(size * 0.85)
    cv2.rectangle(pt.img, (rx - s, ry - s), (rx + s, ry + s), g, max(1, round(size * 0.25)))


def _draw_dialog(pt: _Painter, app: str) -> None:
    pt.img[:] = (pt.img.astype(np.float32) * SCRIM_GAIN).astype(np.uint8)
    x0, y0, x1, y1 = DIALOG_CARD
    pt.rect(x0, y0, x1, y1, (255, 255, 255))
    pt.text(f"{app} has stopped", x0 + 0.05, y0 + 0.04, 1.6, (30, 30, 30), align="left", bold=3)
    pt.text("Close app", x1 - 0.06, (DIALOG_CLOSE_Y[0] + DIALOG_CLOSE_Y[1]) / 2, 1.4,
            (200, 110, 20), align="right", bold=3)


def render_screen(key: DisplayKey, w: int, h: int) -> np.ndarray:
    """Render the screen for ``key`` as a BGR uint8 image of (h, w, 3)."""
    if key.app == VIDEO:  # drawn every video frame: only the moving parts are redrawn
        img = _video_chrome(w, h).copy()
        pt = _Painter(img)
        _draw_video(pt, key.video_frame or 0, key.paused)
    else:
        img = np.zeros((h, w, 3), np.uint8)
        pt = _Painter(img)
        if key.app == LAUNCHER:
            _draw_launcher(pt)
        elif key.app == COUNTER:
            _draw_counter(pt, key.counter or 0)
        else:
            _draw_placeholder(pt, key.app)
        _draw_bars(pt)
    if key.dialog is not None:
        _draw_dialog(pt, key.dialog)
    return img
