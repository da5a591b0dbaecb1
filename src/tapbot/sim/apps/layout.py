"""Where everything is on the twin's screens, as fractions of the screen width W / height H.

Flows, tests and the runner's e2e tests are written against these numbers (launcher page 1,
the counter, the video rect, the nav bar, the crash dialog): change them only together.
"""

from __future__ import annotations

import math

LAUNCHER = "Launcher"
COUNTER = "Counter"
VIDEO = "Video"
MESSAGES = "Messages"
BROWSER = "Browser"
MUSIC = "Music"
SETTINGS = "Settings"
DIALER = "Dialer"
GAME = "Game"
NOTES = "Notes"
WEATHER = "Weather"
CALENDAR = "Calendar"
FILES = "Files"

#: Launcher pages: page 1 keeps Counter, Video, Messages, Browser in its first row.
LAUNCHER_PAGES: tuple[tuple[str, ...], ...] = (
    (COUNTER, VIDEO, MESSAGES, BROWSER, MUSIC, SETTINGS, DIALER, GAME),
    (NOTES, WEATHER, CALENDAR, FILES),
)
#: The apps on launcher page 1 (what the launcher shows after boot or home).
LAUNCHER_APPS: tuple[str, ...] = LAUNCHER_PAGES[0]
#: Every app on any launcher page.
ALL_APPS: tuple[str, ...] = tuple(a for page in LAUNCHER_PAGES for a in page)
APP_NAMES: tuple[str, ...] = (LAUNCHER, *ALL_APPS)
STATIC_APPS = frozenset({NOTES, WEATHER, CALENDAR, FILES})
#: Android-like package names (logcat lines use them).
PACKAGES = {a: f"com.twin.{a.lower()}" for a in APP_NAMES}

ICON_COLS: tuple[float, ...] = (0.125, 0.375, 0.625, 0.875)
ICON_ROWS: tuple[float, ...] = (0.20, 0.33)
ICON_SIZE_W = 0.16  # icon square side, fraction of W
ICON_LABEL_GAP = 0.018  # from the icon's bottom edge to its label's centre line, fraction of H
ICON_CELL_HALF_W = 0.12  # an icon's tap target: its column +- this (W), icon top to label bottom
ICON_LABEL_HALF_H_W = 0.03  # the label's tap target reaches this far below its centre (W)
ICON_COLOURS: dict[str, tuple[int, int, int]] = {  # BGR
    COUNTER: (60, 180, 75), VIDEO: (48, 48, 230), MESSAGES: (200, 130, 0),
    BROWSER: (0, 160, 255), MUSIC: (180, 50, 160), SETTINGS: (128, 128, 128),
    DIALER: (80, 170, 30), GAME: (30, 90, 200), NOTES: (40, 200, 230),
    WEATHER: (230, 170, 60), CALENDAR: (60, 60, 200), FILES: (150, 110, 60),
}
PAGE_DOTS_Y = 0.90

STATUS_BAR_H = 0.04
TITLE_BOTTOM = 0.11
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
DIALOG_BUTTON_Y = (0.52, 0.58)
DIALOG_CLOSE_Y = DIALOG_BUTTON_Y
ANR_WAIT_X = (0.10, 0.50)  # ANR dialog: "Wait" on the left half of the button row
SCRIM_GAIN = 0.35

NOTIF_RECT = (0.03, 0.045, 0.97, 0.125)  # the banner when fully in
NOTIF_SLIDE_S = 0.25
NOTIF_SHOW_S = 4.0

# Music
MUSIC_BUTTONS = {"prev": (0.25, 0.78), "play": (0.50, 0.78), "next": (0.75, 0.78)}
MUSIC_BUTTON_R_W = 0.09
MUSIC_TRACKS: tuple[tuple[str, str, int], ...] = (
    ("Morning Light", "The Twins", 214), ("Blue Circuit", "Robot Hands", 187),
    ("Glass Rain", "Latency", 241), ("Soak Test", "Verdict", 168),
)
#: Each track's cover colour (BGR): a track change repaints the cover, as album art does
#: (brightness 94, 138, 57, 128: a gray camera view sees every change, the wrap included;
#: none bright enough to pass for a dialog).
MUSIC_COVERS: tuple[tuple[int, int, int], ...] = (
    (120, 60, 150), (200, 150, 90), (110, 60, 30), (60, 150, 110),
)
MUSIC_ANIM_FPS = 10.0

# Game: a ball bounces around the field; tapping it scores.
GAME_FIELD = (0.05, 0.20, 0.95, 0.90)
GAME_FPS = 30.0
GAME_BALL_R_W = 0.08

# Dialer
DIALER_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
DIALER_COLS = (0.25, 0.50, 0.75)
DIALER_ROWS = (0.36, 0.47, 0.58, 0.69)
DIALER_KEY_R_W = 0.10
DIALER_CALL = (0.50, 0.83)
DIALER_DEL = (0.80, 0.20)
CALL_HANGUP = (0.50, 0.80)
#: The in-call screen's toggles (as every phone's has): mute and speaker, round buttons that
#: fill when on; what is on is also written under the call timer (CALL_STATUS_Y).
CALL_MUTE = (0.25, 0.62)
CALL_SPEAKER = (0.75, 0.62)
CALL_BUTTON_R_W = 0.09
CALL_STATUS_Y = 0.45
DIALER_MAX_DIGITS = 14

# Messages
CONTACTS: tuple[str, ...] = (
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
    "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil",
)
LIST_TOP = TITLE_BOTTOM
LIST_ROW_H = 0.09
LIST_VIEW_H = NAV_BAR_Y - LIST_TOP  # visible height of a list, fraction of H
MSG_FIELD = (0.03, 0.50, 0.80, 0.57)
MSG_SEND = (0.82, 0.50, 0.97, 0.57)
KEYBOARD_TOP = 0.60
KEY_ROW_H = 0.085
KEY_ROWS: tuple[str, ...] = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
KEY_ROW_X0 = (0.0, 0.05, 0.15)
KEY_W = 0.10
SPACE_X = (0.25, 0.75)
BACKSPACE_X = (0.85, 1.0)
MAX_DRAFT = 40
#: Keys that show a preview popup above them while held (the letters, as Gboard does by
#: default), and how long it lingers after the finger lifts (AOSP's keyboard: 70 ms).
PREVIEW_KEYS = frozenset("".join(KEY_ROWS))
KEY_PREVIEW_LINGER_S = 0.07
#: The preview: this wide (fraction of W) and this many key rows tall, its bottom on the
#: pressed key's top edge.
KEY_PREVIEW_W = 0.13
KEY_PREVIEW_ROWS = 1.15
THREAD_KEEP = 4

# Browser
ADDRESS_BAR = (0.03, 0.05, 0.85, 0.10)
RELOAD = (0.92, 0.075)
PROGRESS_Y = (0.105, 0.112)
#: The page's loading spinner: a ring of dots under "Loading...", one step on this often (a
#: page that is loading keeps moving, as browsers' spinners do).
SPINNER_STEPS_PER_S = 12.0
SPINNER_DOTS = 8
SPINNER_AT = (0.5, 0.47)
PAGE_TOP = 0.115
BROWSER_PAGES: tuple[tuple[str, str], ...] = (
    ("twin.example/news", "Twin News"), ("twin.example/robots", "Robot Fingers"),
    ("twin.example/latency", "On Latency"), ("twin.example/soak", "The 24 h Soak"),
)
BROWSER_CONTENT_H = 2.6  # page height, fraction of H
BROWSER_LINK_Y = (2.35, 2.45)  # the "Next article" link, fraction of H from the page top

# Settings
SETTINGS_ROWS: tuple[str, ...] = (
    "Wi-Fi", "Bluetooth", "Airplane mode", "Mobile data", "Hotspot", "NFC", "Location",
    "Dark theme", "Auto-rotate", "Battery saver", "Do not disturb", "Show taps",
    "Vibrate", "Auto brightness", "Night light", "Developer mode",
)
SETTINGS_DEFAULTS: tuple[bool, ...] = (
    True, True, False, True, False, False, True, False, True, False, False, False,
    True, True, False, False,
)
SETTINGS_ROW_H = 0.085
TOGGLE_X = 0.85

# Lock screen and boot
LOCK_UNLOCK_FRAC = 0.25  # swipe up at least this fraction of H to unlock
BOOT_FPS = 30.0


def icon_center(index: int) -> tuple[float, float]:
    """Centre of launcher icon ``index`` on its page as (x/W, y/H)."""
    return ICON_COLS[index % 4], ICON_ROWS[index // 4] if index < 8 else 0.46


def icon_label_center(index: int, aspect: float) -> tuple[float, float]:
    """Centre of launcher icon ``index``'s label (its app name, under the icon) as (x/W, y/H);
    ``aspect`` = H / W of the screen."""
    cx, cy = icon_center(index)
    return cx, cy + ICON_SIZE_W / aspect / 2 + ICON_LABEL_GAP


def icon_target(index: int, aspect: float) -> tuple[float, float, float, float]:
    """The tap target of launcher icon ``index`` (x0, y0, x1, y1): the icon and its label, one
    target as on a real launcher; ``aspect`` = H / W of the screen."""
    cx, cy = icon_center(index)
    _, label_y = icon_label_center(index, aspect)
    return (cx - ICON_CELL_HALF_W, cy - ICON_SIZE_W / aspect / 2, cx + ICON_CELL_HALF_W,
            label_y + ICON_LABEL_HALF_H_W / aspect)


def list_content_h(rows: int, row_h: float) -> float:
    """Height of a list's content, fraction of H."""
    return rows * row_h + 0.02


def max_scroll(content_h: float) -> float:
    """How far (fraction of H) a list of ``content_h`` scrolls."""
    return max(0.0, content_h - LIST_VIEW_H)


def keyboard_key(fx: float, fy: float) -> str | None:
    """The on-screen keyboard key under (fx, fy): a letter, ``" "``, ``"del"`` or None."""
    if fy < KEYBOARD_TOP or fy >= KEYBOARD_TOP + 4 * KEY_ROW_H:
        return None
    row = int((fy - KEYBOARD_TOP) / KEY_ROW_H)
    if row == 3:
        if SPACE_X[0] <= fx < SPACE_X[1]:
            return " "
        return None
    if row == 2 and BACKSPACE_X[0] <= fx <= BACKSPACE_X[1]:
        return "del"
    col = math.floor((fx - KEY_ROW_X0[row]) / KEY_W)
    keys = KEY_ROWS[row]
    if 0 <= col < len(keys):
        return keys[col]
    return None


def key_center(key: str) -> tuple[float, float]:
    """Centre of keyboard ``key`` (a letter, ``" "`` or ``"del"``) as (x/W, y/H)."""
    if key == " ":
        return (SPACE_X[0] + SPACE_X[1]) / 2, KEYBOARD_TOP + 3.5 * KEY_ROW_H
    if key == "del":
        return (BACKSPACE_X[0] + BACKSPACE_X[1]) / 2, KEYBOARD_TOP + 2.5 * KEY_ROW_H
    for row, keys in enumerate(KEY_ROWS):
        if key in keys:
            return (KEY_ROW_X0[row] + (keys.index(key) + 0.5) * KEY_W,
                    KEYBOARD_TOP + (row + 0.5) * KEY_ROW_H)
    raise ValueError(f"no key {key!r} on the twin's keyboard")


def key_preview_rect(key: str) -> tuple[float, float, float, float]:
    """The preview popup of letter ``key`` as fractions of the screen (x0, y0, x1, y1): above
    the key, centred on it, moved in from the screen's edges."""
    cx, cy = key_center(key)
    x0 = min(max(0.005, cx - KEY_PREVIEW_W / 2), 0.995 - KEY_PREVIEW_W)
    top = cy - KEY_ROW_H / 2
    return x0, top - KEY_PREVIEW_ROWS * KEY_ROW_H, x0 + KEY_PREVIEW_W, top + 0.006


def dialer_key(fx: float, fy: float, aspect: float) -> str | None:
    """The dialer keypad key under (fx, fy); ``aspect`` = H / W of the screen."""
    r = DIALER_KEY_R_W
    for i, k in enumerate(DIALER_KEYS):
        cx, cy = DIALER_COLS[i % 3], DIALER_ROWS[i // 3]
        if math.hypot(fx - cx, (fy - cy) * aspect) <= r:
            return k
    return None


def in_circle(fx: float, fy: float, c: tuple[float, float], r_w: float, aspect: float) -> bool:
    """Whether (fx, fy) lies within ``r_w`` (fraction of W) of centre ``c``."""
    return math.hypot(fx - c[0], (fy - c[1]) * aspect) <= r_w


def game_ball(frame: int) -> tuple[float, float]:
    """Where the game's ball is at game ``frame``, fractions of (W, H) — a closed orbit."""
    x0, y0, x1, y1 = GAME_FIELD
    u = frame / GAME_FPS
    fx = 0.5 + 0.5 * math.sin(u * 1.3) * math.cos(u * 0.31)
    fy = 0.5 + 0.5 * math.sin(u * 0.83 + 1.0)
    m = GAME_BALL_R_W
    return x0 + m + (x1 - x0 - 2 * m) * fx, y0 + 0.05 + (y1 - y0 - 0.10) * fy


def in_rect(fx: float, fy: float, rect: tuple[float, float, float, float]) -> bool:
    """Whether (fx, fy) lies in ``rect`` = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = rect
    return x0 <= fx <= x1 and y0 <= fy <= y1
