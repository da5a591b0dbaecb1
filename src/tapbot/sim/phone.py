"""The simulated phone: apps and system UI that react to touches after seeded latencies, a
display that changes only on refresh boundaries, injected faults, and ground truth.

Events are processed lazily: a time-ordered queue holds pending UI reactions, display updates
and faults, and everything due at or before ``t`` is processed whenever the phone is touched
or asked for its screen at ``t``. A short history of logical states lets the camera render
frames of the recent past; everything that moves by itself (video, game, music, transitions,
momentum scrolling, the clock, notifications, boot animation) is a pure function of the state
and the display time, so the display key of any frame is cheap and exact.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tapbot.core.clock import Clock
from tapbot.devices.link import TouchEvent
from tapbot.devices.profile import DeviceProfile
from tapbot.sim.apps import layout as L
from tapbot.sim.apps.draw import BOOT, LOCK, OFF, DisplayKey, render_screen
from tapbot.sim.faults import AMOUNT_DEFAULTS, FaultEvent, FaultOptions
from tapbot.sim.profiles import load_profile
from tapbot.sim.truth import GroundTruth, TruthFault, TruthResponse, TruthTouch

logger = logging.getLogger(__name__)

HISTORY_S = 12.0  # how far back screen_at can look
_EPS = 1e-9
TOUCH_SLOP_W = 0.02  # a finger moving less than this (fraction of W) still taps
FLING_TAU_S = 0.325  # momentum scrolling decays with this time constant
FLING_STOP_PX_S = 40.0  # a fling ends below this speed
SNAP_S = 0.25  # launcher page / lock screen snap
GHOST_HOLD_S = 0.06
APP_FAULT_POLL_S = 1.0
STALL_WAIT_S = 60.0  # an armed stall with no reaction to slow within this time lapses
_NOTIF_TEXTS = ("Alice: See you at 10?", "Bob: Lunch today?", "Update available",
                "Carol: Call me back", "Battery saver tip", "Dave: Photos sent")


class Lognormal(BaseModel):
    """A response-latency distribution: lognormal with the given median (ms) and sigma."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    median_ms: float = Field(gt=0)
    sigma: float = Field(ge=0)


def _ln(median_ms: float, sigma: float) -> Lognormal:
    return Lognormal(median_ms=median_ms, sigma=sigma)


class LatencyOptions(BaseModel):
    """Response latency (touch to ready; visible at the next refresh) per kind of reaction.

    ``scroll`` is the lag of content following a finger; ``page_load`` is how long the browser
    takes to load a page (the progress bar's duration).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    counter: Lognormal = _ln(70.0, 0.3)
    launch: Lognormal = _ln(180.0, 0.25)
    nav: Lognormal = _ln(90.0, 0.25)
    video: Lognormal = _ln(80.0, 0.3)
    dismiss: Lognormal = _ln(90.0, 0.25)
    dialer: Lognormal = _ln(60.0, 0.25)
    keyboard: Lognormal = _ln(45.0, 0.2)
    messages: Lognormal = _ln(120.0, 0.3)
    browser: Lognormal = _ln(110.0, 0.35)
    music: Lognormal = _ln(90.0, 0.3)
    game: Lognormal = _ln(40.0, 0.2)
    settings: Lognormal = _ln(100.0, 0.3)
    scroll: Lognormal = _ln(25.0, 0.2)
    unlock: Lognormal = _ln(60.0, 0.2)
    page_load: Lognormal = _ln(900.0, 0.5)


class SystemUiOptions(BaseModel):
    """The system UI's realism switches.

    ``clock_ticks``: the status bar clock shows simulated time (from ``clock_start``) and the
    battery drains; when False both stay fixed. ``notifications_per_hour``: a notification
    slides in at random times (seeded). ``transitions``: apps open and close with an animation
    (``open_s``/``close_s``); when False they switch in one frame. ``start``: the phone begins
    unlocked on the launcher, on the lock screen, or booting. ``lock_after_reboot``: a boot
    ends on the lock screen (swipe up to unlock) or, when False, on the launcher.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    clock_ticks: bool = True
    clock_start: str = Field("12:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    battery_start_pct: int = Field(87, ge=1, le=100)
    battery_drain_pct_per_hour: float = Field(4.0, ge=0)
    notifications_per_hour: float = Field(0.0, ge=0)
    transitions: bool = True
    open_s: float = Field(0.30, gt=0, le=2)
    close_s: float = Field(0.28, gt=0, le=2)
    start: Literal["unlocked", "locked", "boot"] = "unlocked"
    lock_after_reboot: bool = True


class SimPhoneOptions(BaseModel):
    """Options of the simulated phone. ``profile`` is a profile name or a full profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: DeviceProfile = DeviceProfile()
    seed: int = Field(0, ge=0)
    faults: FaultOptions = FaultOptions()
    latency: LatencyOptions = LatencyOptions()
    system_ui: SystemUiOptions = SystemUiOptions()
    history_s: float = Field(HISTORY_S, gt=0, description="how far back screen_at can look")

    @field_validator("profile", mode="before")
    @classmethod
    def _named_profile(cls, v: Any) -> Any:
        if isinstance(v, str):
            return load_profile(v)
        return v


@dataclass(frozen=True, slots=True)
class _Motion:
    """A 1-D position over time: held, flung (exponential decay) or snapping to a target."""

    t0: float
    p0: float
    v0: float = 0.0
    lo: float = -math.inf
    hi: float = math.inf
    target: float | None = None
    dur: float = SNAP_S

    def at(self, t: float) -> float:
        dt = max(0.0, t - self.t0)
        if self.target is not None:
            u = min(1.0, dt / self.dur)
            return self.p0 + (self.target - self.p0) * (1.0 - (1.0 - u) ** 3)
        if self.v0 == 0.0:
            return min(max(self.p0, self.lo), self.hi)
        t_stop = FLING_TAU_S * math.log(max(1.0, abs(self.v0) / FLING_STOP_PX_S))
        dt = min(dt, t_stop)
        p = self.p0 + self.v0 * FLING_TAU_S * (1.0 - math.exp(-dt / FLING_TAU_S))
        return min(max(p, self.lo), self.hi)

    def end(self) -> float:
        """When the motion stops."""
        if self.target is not None:
            return self.t0 + self.dur
        if self.v0 == 0.0:
            return self.t0
        return self.t0 + FLING_TAU_S * math.log(max(1.0, abs(self.v0) / FLING_STOP_PX_S))


_HELD = _Motion(0.0, 0.0)


@dataclass(frozen=True, slots=True)
class _State:
    """The logical UI state (immutable; the display history keeps old ones)."""

    mode: str = "on"  # "on" | "lock" | "reboot"
    t_mode: float = 0.0  # reboot: when it began
    lock_lift: _Motion = _HELD
    app: str = L.LAUNCHER
    launcher: _Motion = _HELD  # horizontal position in px (page * W)
    counter: int = 0
    video_paused: bool = False
    video_pos: float = 0.0
    video_anchor: float = 0.0
    music_track: int = 0
    music_playing: bool = False
    music_pos: float = 0.0
    music_anchor: float = 0.0
    game_anchor: float = 0.0
    game_score: int = 0
    dial_digits: str = ""
    call_t0: float | None = None
    msg_view: str = "list"
    msg_contact: str = ""
    msg_thread: tuple[str, ...] = ()
    msg_draft: str = ""
    msg_scroll: _Motion = _HELD
    br_page: int = 0
    br_load: tuple[float, float] | None = None  # (start, duration)
    br_scroll: _Motion = _HELD
    toggles: tuple[bool, ...] = L.SETTINGS_DEFAULTS
    set_scroll: _Motion = _HELD
    transition: tuple | None = None  # (kind, from_app, from_content, t_visible, duration)
    dialog: tuple | None = None  # (kind, app, again)
    dialog_t: float = 0.0  # the app's animations stop here while a dialog is up
    notif: tuple | None = None  # (text, t_in)
    glitch: tuple | None = None  # (style, t0, t1)
    image: int | None = None
    dots: tuple = ()

    def screen_id(self) -> tuple:
        """What a reaction belongs to: if this changes, a pending reaction is dropped."""
        return (self.mode, self.app, self.dialog is not None, self.msg_view,
                self.image is not None)


@dataclass(slots=True)
class _Event:
    kind: str  # "ui" | "show" | "fault" | "arrival" | "end" | "ghost_up" | "notif"
    action: str = ""
    payload: Any = None
    screen: tuple | None = None
    t_touch: float | None = None
    t_ready: float | None = None
    what: str = ""
    fault: FaultEvent | None = None
    stall: TruthFault | None = None
    responses: list[tuple[float, float, str, str, TruthFault | None]] = field(
        default_factory=list)


@dataclass(slots=True)
class _Touch:
    """A finger on the glass, as the phone's input system tracks it."""

    truth: TruthTouch
    x0: float
    y0: float
    dead: bool = False  # not delivered (dead zone) or ignored (frozen, booting)
    in_dead_zone: bool = False
    click: str | None = None  # action fired on lift if the finger did not move
    container: str | None = None  # "launcher" | "msg" | "br" | "set" | "lock"
    dragging: bool = False
    p_start: float = 0.0
    a_start: float = 0.0  # finger coordinate along the drag axis when the drag began
    lag: float = 0.0
    samples: deque = field(default_factory=lambda: deque(maxlen=12))


class SimPhone:
    """A phone on the twin's deck. The world feeds it touches in screen px, in time order."""

    def __init__(self, options: SimPhoneOptions, clock: Clock) -> None:
        self.options = options
        self.profile: DeviceProfile = options.profile
        self.clock = clock
        self._ui = options.system_ui
        self._truth = GroundTruth()
        self._w, self._h = self.profile.screen_px
        self._aspect = self._h / self._w
        self._hz = float(self.profile.refresh_hz)
        self._rng_latency = np.random.default_rng([options.seed, 1])
        self._rng_faults = np.random.default_rng([options.seed, 2])
        self._rng_notif = np.random.default_rng([options.seed, 3])
        self._queue: list[tuple[float, int, _Event]] = []
        self._seq = 0
        self._clock_start_min = int(self._ui.clock_start[:2]) * 60 + int(self._ui.clock_start[3:])
        start = {"unlocked": "on", "locked": "lock", "boot": "reboot"}[self._ui.start]
        self._state = _State(mode=start)
        self._t_done = -math.inf
        # display history: (t_from, state, frozen_at)
        self._history: deque[tuple[float, _State, float | None]] = deque()
        self._history.append((-math.inf, self._state, None))
        self._freeze_end: float | None = None
        self._active: TruthFault | None = None  # the fault going on now
        self._guard = -math.inf  # no fault may start before this time
        self._waiting: list[_Event] = []
        self._stall: tuple[TruthFault | None, float, str | None] | None = None
        self._leak: tuple[float, float] | None = None  # (since, ms per minute)
        self._dead_zone: tuple[float, float, float, float] | None = None  # px rect
        self._drift: tuple[float, float, float] | None = None  # (since, vx, vy) px/s
        self._last_crash: dict[str, float] = {}
        self._fingers: dict[int, _Touch] = {}
        self._dot_pos: dict[int, tuple[int, int]] = {}
        self._stall_due = 0.0
        self._next_finger = 1000
        self._digitizer: deque[TouchEvent] = deque(maxlen=20000)
        self._log: deque[tuple[float, str]] = deque(maxlen=2000)
        self._images: OrderedDict[int, np.ndarray] = OrderedDict()
        self._image_seq = 0
        self._renders: OrderedDict[tuple[DisplayKey, int, int], np.ndarray] = OrderedDict()
        if start == "reboot":
            self._push(self._ui_boot_end(0.0), _Event("end", action="boot"))
        for fe in options.faults.schedule:
            self._push(fe.at_s, _Event("fault", fault=fe))
        for kind, rate in options.faults.rates().items():
            self._push(self._interarrival(rate), _Event("arrival", action=kind))
        if self._ui.notifications_per_hour > 0:
            gap = float(self._rng_notif.exponential(3600.0 / self._ui.notifications_per_hour))
            self._push(gap, _Event("notif"))

    # ------------------------------------------------------------------ public API

    @property
    def truth(self) -> GroundTruth:
        """Ground truth up to the clock's now (pending events are processed first)."""
        self.update(self.clock.now())
        return self._truth

    @property
    def front_app(self) -> str:
        """The app in front right now (logical state, not necessarily visible yet)."""
        self.update(self.clock.now())
        return self._state.app

    def update(self, t: float) -> None:
        """Process every pending event due at or before ``t``."""
        while self._queue and self._queue[0][0] <= t + _EPS:
            te, _, ev = heapq.heappop(self._queue)
            self._handle(te, ev)
        if t > self._t_done:
            self._t_done = t
            self._prune()

    def touch_down(self, t: float, x_px: float, y_px: float, finger: int | None = None) -> None:
        """A finger lands on the glass at screen px (x, y) at time ``t``.

        ``finger`` identifies the finger for multi-touch; without it, moves and lifts go to
        the nearest finger down.
        """
        self.update(t)
        if finger is None:
            finger = self._next_finger
            self._next_finger += 1
        self._down(t, float(x_px), float(y_px), finger, ghost=False)

    def touch_move(self, t: float, x_px: float, y_px: float, finger: int | None = None) -> None:
        """A touching finger moves to screen px (x, y) at time ``t``."""
        self.update(t)
        fid = self._finger_id(finger, x_px, y_px)
        if fid is not None:
            self._move(t, float(x_px), float(y_px), fid)

    def touch_up(self, t: float, x_px: float, y_px: float, finger: int | None = None) -> None:
        """A finger leaves the glass at screen px (x, y) at time ``t``."""
        self.update(t)
        fid = self._finger_id(finger, x_px, y_px)
        if fid is not None:
            self._up(t, float(x_px), float(y_px), fid)

    def screen_at(self, t: float, scale: float = 1.0) -> np.ndarray:
        """What the display shows at ``t``: BGR uint8 of (round(H*scale), round(W*scale), 3).

        The returned array is shared with a cache; copy it before drawing on it.
        """
        key = self.display_key(t)
        w, h = max(1, round(self._w * scale)), max(1, round(self._h * scale))
        ck = (key, w, h)
        img = self._renders.get(ck)
        if img is None:
            image = self._images.get(key.image) if key.image is not None else None
            img = render_screen(key, w, h, (self._w, self._h), image)
            img.setflags(write=False)
            self._renders[ck] = img
            if len(self._renders) > 32:
                self._renders.popitem(last=False)
        else:
            self._renders.move_to_end(ck)
        return img

    def display_key(self, t: float) -> Hashable:
        """A key for the screen content at ``t``: equal keys <=> identical screens."""
        self.update(t)
        st, frozen_at = self._state_shown_at(t)
        te = frozen_at if frozen_at is not None else t
        td = math.floor(te * self._hz + _EPS) / self._hz  # the refresh being shown
        glitch = None
        if st.glitch is not None and st.glitch[1] - _EPS <= td < st.glitch[2] - _EPS:
            glitch = (st.glitch[0], round((td - st.glitch[1]) * self._hz))
        dots = st.dots if self._show_taps(st) else ()
        if st.image is not None:
            return DisplayKey(app="Image", image=st.image, glitch=glitch, dots=dots)
        if st.mode == "reboot":
            dt = td - st.t_mode
            if dt < self._black_s():
                return DisplayKey(app=OFF, glitch=glitch)
            return DisplayKey(app=BOOT, content=(math.floor((dt - self._black_s()) * L.BOOT_FPS
                                                            + _EPS),), glitch=glitch)
        status = self._status(td)
        if st.mode == "lock":
            lift = round(st.lock_lift.at(td))
            return DisplayKey(app=LOCK, content=(status[0], lift), status=("", status[1]),
                              glitch=glitch, dots=dots)
        app, content = self._content(st, st.dialog_t if st.dialog is not None else td)
        transition = None
        if st.transition is not None:
            kind, src_app, src_content, tv, dur = st.transition
            steps = max(1, round(dur * self._hz))
            step = math.floor((td - tv) * self._hz + _EPS) + 1
            if 1 <= step <= steps:
                transition = (kind, src_app, src_content, step, steps)
        notif = None
        if st.notif is not None:
            text, t_in = st.notif
            dt = td - t_in
            total = L.NOTIF_SHOW_S + 2 * L.NOTIF_SLIDE_S
            if 0 <= dt < total:
                frac = min(1.0, dt / L.NOTIF_SLIDE_S, (total - dt) / L.NOTIF_SLIDE_S)
                notif = (text, round(1000 * frac))
        return DisplayKey(app=app, content=content, transition=transition, status=status,
                          notif=notif, dialog=st.dialog, glitch=glitch, dots=dots)

    def boot_state(self, t: float | None = None) -> str:
        """``"booting"`` from a reboot until the lock screen shows, else ``"booted"``."""
        t = self.clock.now() if t is None else t
        self.update(t)
        st, _ = self._state_shown_at(t)
        return "booting" if st.mode == "reboot" else "booted"

    def open_app(self, name: str, t: float | None = None) -> None:
        """Bring ``name`` to the front (like ``adb am start``); no truth response."""
        if name not in L.APP_NAMES:
            raise ValueError(f"unknown app {name!r}; known: {', '.join(L.APP_NAMES)}")
        t = self.clock.now() if t is None else t
        self.update(t)
        self._push(t, _Event("ui", action=f"open:{name}", t_ready=t, payload="am"))

    def show_image(self, image: np.ndarray, t: float | None = None) -> None:
        """Show a full-screen BGR image from the next refresh until ``clear_image`` or home."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"show_image needs a BGR uint8 image, got {image.shape} "
                             f"{image.dtype}")
        t = self.clock.now() if t is None else t
        self.update(t)
        self._image_seq += 1
        self._images[self._image_seq] = image.copy()
        while len(self._images) > 4:
            self._images.popitem(last=False)
        self._set_now(t, replace(self._state, image=self._image_seq))

    def clear_image(self, t: float | None = None) -> None:
        """Stop showing the image from :meth:`show_image`."""
        t = self.clock.now() if t is None else t
        self.update(t)
        if self._state.image is not None:
            self._set_now(t, replace(self._state, image=None))

    def set_show_touches(self, on: bool, t: float | None = None) -> None:
        """Switch "show taps" (Settings row "Show taps"): a dot wherever a finger touches."""
        t = self.clock.now() if t is None else t
        self.update(t)
        i = L.SETTINGS_ROWS.index("Show taps")
        toggles = list(self._state.toggles)
        toggles[i] = bool(on)
        self._set_now(t, replace(self._state, toggles=tuple(toggles)))

    def digitizer_events(self, since: float) -> list[TouchEvent]:
        """Touch reports the digitizer delivered after ``since`` (like getevent; bounded)."""
        self.update(self.clock.now())
        return [e for e in self._digitizer if e.t > since]

    def log_lines(self, since: float) -> list[tuple[float, str]]:
        """Logcat-like crash/ANR lines after ``since`` (bounded history)."""
        self.update(self.clock.now())
        return [(t, s) for t, s in self._log if t > since]

    # ------------------------------------------------------------------ time and display

    def _push(self, t: float, ev: _Event) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (t, self._seq, ev))

    def _visible_at(self, r: float) -> float:
        return math.ceil(r * self._hz - _EPS) / self._hz

    def _black_s(self) -> float:
        return min(1.0, self.options.faults.boot_s * 0.2)

    def _ui_boot_end(self, t0: float) -> float:
        return self._visible_at(t0 + self.options.faults.boot_s)

    def _status(self, td: float) -> tuple[str, int]:
        if not self._ui.clock_ticks:
            return self._ui.clock_start, self._ui.battery_start_pct
        minutes = (self._clock_start_min + math.floor(td / 60.0 + _EPS)) % (24 * 60)
        drained = math.floor(self._ui.battery_drain_pct_per_hour * td / 3600.0 + _EPS)
        battery = max(5, self._ui.battery_start_pct - drained)
        return f"{minutes // 60:02d}:{minutes % 60:02d}", battery

    def _show_taps(self, st: _State) -> bool:
        return st.toggles[L.SETTINGS_ROWS.index("Show taps")]

    def _content(self, st: _State, t: float) -> tuple[str, tuple]:
        """The front app's content key at display time ``t``."""
        app = st.app
        if app == L.LAUNCHER:
            return app, (round(st.launcher.at(t)),)
        if app == L.COUNTER:
            return app, (st.counter,)
        if app == L.VIDEO:
            vt = st.video_pos if st.video_paused else \
                st.video_pos + max(0.0, t - st.video_anchor)
            return app, (math.floor(vt * L.VIDEO_FPS + _EPS), st.video_paused)
        if app == L.MUSIC:
            pos = st.music_pos + (max(0.0, t - st.music_anchor) if st.music_playing else 0.0)
            total = L.MUSIC_TRACKS[st.music_track][2]
            anim = math.floor(max(0.0, t - st.music_anchor) * L.MUSIC_ANIM_FPS + _EPS) \
                if st.music_playing else 0
            return app, (st.music_track, st.music_playing, int(pos) % total, anim)
        if app == L.GAME:
            return app, (self._game_frame(st, t), st.game_score)
        if app == L.DIALER:
            call = None if st.call_t0 is None else int(max(0.0, t - st.call_t0) + _EPS)
            return app, (st.dial_digits, call)
        if app == L.MESSAGES:
            if st.msg_view == "list":
                return app, ("list", round(st.msg_scroll.at(t)))
            return app, ("compose", st.msg_contact, st.msg_thread, st.msg_draft)
        if app == L.BROWSER:
            progress = None
            if st.br_load is not None:
                t0, dur = st.br_load
                u = (t - t0) / dur
                if u < 1.0:
                    progress = min(99, math.floor(100 * (1.0 - (1.0 - max(0.0, u)) ** 2)))
            return app, (st.br_page, progress, round(st.br_scroll.at(t)))
        if app == L.SETTINGS:
            return app, (st.toggles, round(st.set_scroll.at(t)))
        return app, ()

    def _game_frame(self, st: _State, t: float) -> int:
        return math.floor(max(0.0, t - st.game_anchor) * L.GAME_FPS + _EPS)

    def _set_now(self, t: float, st: _State) -> None:
        """Change the state at once (system actions with no latency); visible next refresh."""
        self._state = st
        self._push(self._visible_at(t), _Event("show"))

    # ------------------------------------------------------------------ touches

    def _finger_id(self, finger: int | None, x: float, y: float) -> int | None:
        if finger is not None:
            return finger if finger in self._fingers else None
        if not self._fingers:
            return None
        return min(self._fingers, key=lambda f: math.hypot(
            self._fingers[f].truth.x_px - x, self._fingers[f].truth.y_px - y)
            if self._fingers[f].truth.t_up is None else math.inf)

    def _reported(self, t: float, x: float, y: float) -> tuple[float, float]:
        if self._drift is None:
            return x, y
        t0, vx, vy = self._drift
        return x + vx * (t - t0), y + vy * (t - t0)

    def _in_dead_zone(self, x: float, y: float) -> bool:
        if self._dead_zone is None:
            return False
        x0, y0, x1, y1 = self._dead_zone
        return x0 <= x <= x1 and y0 <= y <= y1

    def _down(self, t: float, x: float, y: float, fid: int, ghost: bool) -> None:
        rx, ry = self._reported(t, x, y)
        reported = (rx, ry) if (rx, ry) != (x, y) else None
        truth = TruthTouch(t, x, y, None, True, "none", ghost=ghost, reported_px=reported)
        touch = _Touch(truth, rx, ry)
        self._truth.touches.append(truth)
        self._fingers[fid] = touch
        if self._in_dead_zone(x, y):
            touch.dead = touch.in_dead_zone = True
            truth.handled, truth.target = False, "ignored:dead_zone"
            logger.debug("touch at %.3f s in the dead zone: not reported", t)
            return
        self._digitizer.append(TouchEvent(t, "down", rx, ry))
        st = self._state
        if self._freeze_end is not None or st.mode == "reboot":
            touch.dead = True
            why = "freeze" if self._freeze_end is not None else "boot"
            truth.handled, truth.target = False, f"ignored:{why}"
            return
        self._dots_changed(t, rx, ry, fid)
        target, mode, container = self._hit(st, rx / self._w, ry / self._h, t)
        truth.target = target
        touch.container = container
        if target == "ignored:dialog":
            truth.handled = False
        if mode == "press":
            self._react(t, target, t)
        elif mode == "click":
            touch.click = target
        touch.samples.append((t, rx, ry))

    def _move(self, t: float, x: float, y: float, fid: int) -> None:
        touch = self._fingers[fid]
        if touch.in_dead_zone:
            return
        rx, ry = self._reported(t, x, y)
        self._digitizer.append(TouchEvent(t, "move", rx, ry))
        if touch.dead:
            return
        self._dots_changed(t, rx, ry, fid)
        touch.samples.append((t, rx, ry))
        if touch.container is None:
            return
        horizontal = touch.container == "launcher"
        along = rx if horizontal else ry
        across = ry if horizontal else rx
        start_along = touch.x0 if horizontal else touch.y0
        start_across = touch.y0 if horizontal else touch.x0
        slop = TOUCH_SLOP_W * self._w
        if not touch.dragging:
            if abs(along - start_along) < slop:
                if abs(across - start_across) >= slop:
                    touch.click = None  # moved the other way: no tap, no scroll
                return
            touch.dragging = True
            touch.click = None
            touch.truth.target = f"drag:{touch.container}"
            touch.a_start = along
            touch.p_start = self._container_pos(self._state, touch.container, t)
            touch.lag = self._latency("unlock" if touch.container == "lock" else "scroll")
            self._drag_to(t, touch, along, first=True)
            return
        self._drag_to(t, touch, along, first=False)

    def _up(self, t: float, x: float, y: float, fid: int) -> None:
        touch = self._fingers.pop(fid)
        touch.truth.t_up = t
        if touch.in_dead_zone:
            return
        rx, ry = self._reported(t, x, y)
        self._digitizer.append(TouchEvent(t, "up", rx, ry))
        if touch.dead:
            return
        self._dots_changed(t, None, None, fid)
        touch.samples.append((t, rx, ry))
        if touch.dragging:
            horizontal = touch.container == "launcher"
            old = [s for s in touch.samples if s[0] >= t - 0.1]
            v = 0.0
            if len(old) >= 2 and old[-1][0] - old[0][0] > 1e-3:
                i = 1 if horizontal else 2
                v = -(old[-1][i] - old[0][i]) / (old[-1][0] - old[0][0])
            along = rx if horizontal else ry
            pos = touch.p_start - (along - touch.a_start)
            self._push(t + touch.lag, _Event("ui", action=f"release:{touch.container}",
                                             payload=(pos, v), screen=self._state.screen_id()))
        elif touch.click is not None:
            self._react(t, touch.click, touch.truth.t_down)

    def _dots_changed(self, t: float, x: float | None, y: float | None, fid: int) -> None:
        if not self._show_taps(self._state):
            return
        dots = dict(self._dot_pos)
        if x is None:
            dots.pop(fid, None)
        else:
            dots[fid] = (round(x), round(y))
        self._dot_pos = dots
        self._set_now(t, replace(self._state, dots=tuple(dots[k] for k in sorted(dots))))

    def _drag_to(self, t: float, touch: _Touch, along: float, first: bool) -> None:
        pos = touch.p_start - (along - touch.a_start)
        ev = _Event("ui", action=f"drag:{touch.container}", payload=pos,
                    screen=self._state.screen_id())
        if first:
            ev.t_touch, ev.what = touch.truth.t_down, f"{touch.container} follows the finger"
        ev.t_ready = t + touch.lag
        self._push(t + touch.lag, ev)

    def _container_pos(self, st: _State, container: str, t: float) -> float:
        return {"launcher": st.launcher, "msg": st.msg_scroll, "br": st.br_scroll,
                "set": st.set_scroll, "lock": st.lock_lift}[container].at(t)

    def _hit(self, st: _State, fx: float, fy: float, t: float) -> tuple[str, str, str | None]:
        """(target, mode, drag container) of a touch at (fx, fy) on the front screen.

        ``mode``: ``press`` reacts on touch-down, ``click`` on lift if the finger stayed,
        ``none`` not at all.
        """
        if st.mode == "lock":
            return "lock", "none", "lock"
        if st.image is not None:
            if fy >= L.NAV_BAR_Y and abs(fx - L.NAV_X["home"]) <= L.NAV_HALF_W:
                return "nav:home", "press", None
            return "image", "none", None
        nav = None
        if fy >= L.NAV_BAR_Y:
            for name, cx in L.NAV_X.items():
                if abs(fx - cx) <= L.NAV_HALF_W:
                    nav = name
        if st.dialog is not None:
            x0, _, x1, _ = L.DIALOG_CARD
            if x0 <= fx <= x1 and L.DIALOG_BUTTON_Y[0] <= fy <= L.DIALOG_BUTTON_Y[1]:
                if st.dialog[0] == "anr" and fx < L.ANR_WAIT_X[1]:
                    return "dialog:wait", "press", None
                return "dialog:close", "press", None
            if nav in ("back", "home"):
                return f"nav:{nav}", "press", None
            return "ignored:dialog", "none", None
        if nav is not None:
            return f"nav:{nav}", "press", None
        if fy < L.STATUS_BAR_H or fy >= L.NAV_BAR_Y:
            return "none", "none", None
        if st.notif is not None and L.in_rect(fx, fy, L.NOTIF_RECT) and \
                0 <= t - st.notif[1] < L.NOTIF_SHOW_S + 2 * L.NOTIF_SLIDE_S:
            return "notification", "none", None
        app = st.app
        a = self._aspect
        if app == L.LAUNCHER:
            page = round(st.launcher.at(t) / self._w)
            for i, name in enumerate(L.LAUNCHER_PAGES[min(page, len(L.LAUNCHER_PAGES) - 1)]):
                if L.in_rect(fx, fy, L.icon_target(i, a)):  # the icon or its label
                    return f"launcher:{name}", "click", "launcher"
            return "none", "none", "launcher"
        if app == L.COUNTER:
            if L.in_circle(fx, fy, L.COUNTER_BUTTON, L.COUNTER_BUTTON_R_W, a):
                return "counter:+", "press", None
        elif app == L.VIDEO:
            if L.in_rect(fx, fy, L.VIDEO_RECT):
                return "video:toggle", "press", None
        elif app == L.MUSIC:
            for name, c in L.MUSIC_BUTTONS.items():
                if L.in_circle(fx, fy, c, L.MUSIC_BUTTON_R_W, a):
                    return f"music:{name}", "press", None
        elif app == L.GAME:
            bx, by = L.game_ball(self._game_frame(st, t))
            if L.in_circle(fx, fy, (bx, by), L.GAME_BALL_R_W * 1.15, a):
                return "game:hit", "press", None
            if L.in_rect(fx, fy, L.GAME_FIELD):
                return "game:miss", "none", None
        elif app == L.DIALER:
            if st.call_t0 is not None:
                if L.in_circle(fx, fy, L.CALL_HANGUP, 0.10, a):
                    return "call:end", "press", None
                return "none", "none", None
            if L.in_circle(fx, fy, L.DIALER_CALL, 0.10, a):
                return "dial:call", "press", None
            if st.dial_digits and L.in_circle(fx, fy, L.DIALER_DEL, 0.08, a):
                return "dial:del", "press", None
            k = L.dialer_key(fx, fy, a)
            if k is not None:
                return f"dial:{k}", "press", None
        elif app == L.MESSAGES:
            if st.msg_view == "list":
                if fy >= L.LIST_TOP:
                    y_content = (fy - L.LIST_TOP) + st.msg_scroll.at(t) / self._h
                    row = math.floor(y_content / L.LIST_ROW_H)
                    if 0 <= row < len(L.CONTACTS):
                        return f"msg:open:{L.CONTACTS[row]}", "click", "msg"
                    return "none", "none", "msg"
            else:
                if L.in_rect(fx, fy, L.MSG_SEND):
                    return "msg:send", "press", None
                k = L.keyboard_key(fx, fy)
                if k is not None:
                    return f"key:{k}", "press", None
        elif app == L.BROWSER:
            if L.in_circle(fx, fy, L.RELOAD, 0.05, a):
                return "br:reload", "press", None
            if fy < L.PAGE_TOP:
                return "br:address", "none", None
            loaded = st.br_load is None or t >= st.br_load[0] + st.br_load[1]
            if loaded:
                y_page = fy - L.PAGE_TOP + st.br_scroll.at(t) / self._h
                if L.BROWSER_LINK_Y[0] <= y_page <= L.BROWSER_LINK_Y[1] and 0.06 <= fx <= 0.94:
                    return "br:link", "click", "br"
            return "none", "none", "br"
        elif app == L.SETTINGS and fy >= L.LIST_TOP:
            y_content = (fy - L.LIST_TOP) + st.set_scroll.at(t) / self._h
            row = math.floor(y_content / L.SETTINGS_ROW_H)
            if 0 <= row < len(L.SETTINGS_ROWS):
                return f"set:toggle:{row}", "click", "set"
            return "none", "none", "set"
        return "none", "none", None

    # ------------------------------------------------------------------ reactions

    def _latency(self, which: str) -> float:
        dist: Lognormal = getattr(self.options.latency, which)
        z = float(self._rng_latency.standard_normal())
        return dist.median_ms / 1000.0 * math.exp(dist.sigma * z)

    def _latency_kind(self, target: str) -> str:
        head = target.split(":", 1)[0]
        return {"counter": "counter", "launcher": "launch", "nav": "nav", "video": "video",
                "dialog": "dismiss", "dial": "dialer", "call": "dialer", "key": "keyboard",
                "msg": "messages", "br": "browser", "music": "music", "game": "game",
                "set": "settings"}.get(head, "nav")

    def _react(self, t_trigger: float, target: str, t_touch: float) -> None:
        """Schedule the reaction to ``target`` (hit at ``t_touch``, triggered at ``t_trigger``)."""
        st = self._state
        action = target
        if target.startswith("launcher:"):
            action = f"open:{target.split(':', 1)[1]}"
        elif target in ("nav:back", "nav:home") and st.dialog is None and st.image is None:
            if target == "nav:home" and st.app == L.LAUNCHER:
                if round(st.launcher.at(t_trigger)) == 0:
                    return
            elif target == "nav:back" and st.app == L.LAUNCHER:
                return
        elif target == "nav:recents":
            return
        delay = self._latency(self._latency_kind(target))
        if self._leak is not None:
            since, ms_per_min = self._leak
            delay += ms_per_min / 1000.0 * max(0.0, t_trigger - since) / 60.0
        ev = _Event("ui", action=action, screen=st.screen_id(), t_touch=t_touch,
                    what=self._describe(action, st))
        if self._stall is not None and (self._stall[2] is None or self._stall[2] == st.app):
            extra = self._stall[1]
            delay += extra
            ev.stall = self._fire_stall(t_touch, extra, st.app)
        ev.t_ready = t_trigger + delay
        self._push(ev.t_ready, ev)

    def _describe(self, action: str, st: _State) -> str:
        if action == "counter:+":
            return f"counter {st.counter} -> {st.counter + 1}"
        if action.startswith("open:"):
            return f"open {action[5:]}"
        if action == "video:toggle":
            return "video play" if st.video_paused else "video pause"
        return action

    def _handle(self, te: float, ev: _Event) -> None:
        k = ev.kind
        if k == "ui":
            self._handle_ui(te, ev)
        elif k == "show":
            self._handle_show(te, ev)
        elif k == "fault":
            self._handle_fault(te, ev)
        elif k == "end":
            self._handle_end(te, ev)
        elif k == "arrival":
            self._push(te + self._interarrival(self.options.faults.rates()[ev.action]),
                       _Event("arrival", action=ev.action))
            self._handle_fault(te, _Event("fault", fault=self._random_fault(ev.action, te)))
        elif k == "ghost_up":
            fid, x, y = ev.payload
            if fid in self._fingers:
                self._up(te, x, y, fid)
        elif k == "notif":
            rate = self._ui.notifications_per_hour
            self._push(te + float(self._rng_notif.exponential(3600.0 / rate)), _Event("notif"))
            text = _NOTIF_TEXTS[int(self._rng_notif.integers(len(_NOTIF_TEXTS)))]
            if self._freeze_end is not None:
                return
            self._set_now(te, replace(self._state, notif=(text, self._visible_at(te))))
            logger.debug("notification %r at %.3f s", text, te)

    def _handle_ui(self, r: float, ev: _Event) -> None:
        if self._freeze_end is not None:  # reactions wait for the freeze to end
            self._push(self._freeze_end, ev)
            return
        st = self._state
        if ev.screen is not None and ev.screen != st.screen_id():
            logger.debug("reaction %s dropped: front screen changed", ev.action)
            if ev.stall is not None:
                self._end_fault(ev.stall, r)
            return
        v = self._visible_at(r)
        new = self._apply(st, ev.action, ev.payload, r, v)
        if new is None:
            return
        self._state = new
        show = _Event("show", action=ev.action)
        if ev.t_touch is not None:
            show.responses.append((ev.t_touch, r, new.app, ev.what, ev.stall))
        self._push(v, show)

    def _transition(self, st: _State, to: _State, kind: str, v: float) -> _State:
        if not self._ui.transitions or st.mode != "on":
            return replace(to, transition=None)
        src_app, src_content = self._content(st, v)
        dur = self._ui.open_s if kind == "open" else self._ui.close_s
        return replace(to, transition=(kind, src_app, src_content, v, dur))

    def _open(self, st: _State, name: str, r: float, v: float) -> _State:
        if name == L.LAUNCHER:
            return self._home(st, r, v)
        new = replace(st, app=name, dialog=None, image=None)
        if name == L.VIDEO and st.app != L.VIDEO:
            new = replace(new, video_pos=0.0, video_anchor=v, video_paused=False)
        elif name == L.GAME and st.app != L.GAME:
            new = replace(new, game_anchor=v)
        elif name == L.BROWSER and st.app != L.BROWSER:
            new = replace(new, br_load=(v, self._latency("page_load")),
                          br_scroll=_Motion(v, 0.0))
        if st.app == name:
            return new
        return self._transition(st, new, "open", v)

    def _home(self, st: _State, r: float, v: float) -> _State:
        new = replace(st, app=L.LAUNCHER, dialog=None, image=None,
                      launcher=_Motion(v, 0.0))
        if st.app == L.LAUNCHER:
            return replace(new, launcher=_Motion(v, st.launcher.at(v), target=0.0))
        return self._transition(st, new, "close", v)

    def _kill(self, st: _State, app: str, v: float) -> _State:
        """``app``'s process dies: its state is reset, the launcher comes to the front."""
        fresh = _State()
        reset: dict[str, Any] = {}
        if app == L.COUNTER:
            reset["counter"] = 0
        elif app == L.VIDEO:
            reset.update(video_pos=0.0, video_paused=False)
        elif app == L.MUSIC:
            reset.update(music_playing=False, music_pos=0.0, music_track=0)
        elif app == L.DIALER:
            reset.update(dial_digits="", call_t0=None)
        elif app == L.MESSAGES:
            reset.update(msg_view="list", msg_draft="", msg_scroll=fresh.msg_scroll)
        elif app == L.BROWSER:
            reset.update(br_page=0, br_load=None, br_scroll=fresh.br_scroll)
        elif app == L.GAME:
            reset["game_score"] = 0
        elif app == L.SETTINGS:
            reset["set_scroll"] = fresh.set_scroll
        st = replace(st, **reset)
        return self._home(replace(st, dialog=None), v, v)

    def _apply(self, st: _State, action: str, payload: Any, r: float, v: float) -> _State | None:
        """The state after ``action`` takes effect at ``r`` (visible at ``v``)."""
        if st.mode == "reboot":
            return None
        if st.dialog is not None:
            kind, app, _ = st.dialog
            if action in ("dialog:close", "nav:back", "nav:home") or action.startswith("open:"):
                if kind == "anr" and action == "nav:back":
                    return replace(st, dialog=None, transition=None)
                if kind == "anr" and action == "nav:home":
                    return self._home(replace(st, dialog=None), r, v)
                new = self._kill(st, app, v)
                if action.startswith("open:") and action[5:] != L.LAUNCHER:
                    new = self._open(new, action[5:], r, v)
                return new
            if action == "dialog:wait":
                return replace(st, dialog=None, transition=None)
            return None
        if action == "nav:home":
            return self._home(st, r, v)
        if action.startswith("open:"):
            name = action[5:]
            if payload == "am" or st.mode == "on":
                if st.mode != "on":
                    st = replace(st, mode="on", lock_lift=_HELD)
                return self._open(st, name, r, v)
            return None
        if action == "nav:back":
            if st.image is not None:
                return replace(st, image=None)
            if st.app == L.MESSAGES and st.msg_view == "compose":
                return replace(st, msg_view="list", msg_draft="")
            if st.app == L.BROWSER and st.br_page > 0:
                return replace(st, br_page=st.br_page - 1, br_load=(v, self._latency("page_load")),
                               br_scroll=_Motion(v, 0.0))
            if st.app == L.DIALER and st.call_t0 is not None:
                return replace(st, call_t0=None, dial_digits="")
            return self._home(st, r, v)
        if action == "counter:+":
            return replace(st, counter=st.counter + 1)
        if action == "video:toggle":
            if st.video_paused:
                return replace(st, video_paused=False, video_anchor=v)
            return replace(st, video_paused=True,
                           video_pos=st.video_pos + max(0.0, v - st.video_anchor))
        if action.startswith("music:"):
            what = action[6:]
            pos = st.music_pos + (max(0.0, v - st.music_anchor) if st.music_playing else 0.0)
            if what == "play":
                return replace(st, music_playing=not st.music_playing, music_pos=pos,
                               music_anchor=v)
            step = 1 if what == "next" else -1
            return replace(st, music_track=(st.music_track + step) % len(L.MUSIC_TRACKS),
                           music_pos=0.0, music_anchor=v)
        if action == "game:hit":
            return replace(st, game_score=st.game_score + 1)
        if action.startswith("dial:"):
            k = action[5:]
            if k == "call":
                return replace(st, call_t0=v)
            if k == "del":
                return replace(st, dial_digits=st.dial_digits[:-1])
            if len(st.dial_digits) >= L.DIALER_MAX_DIGITS:
                return None
            return replace(st, dial_digits=st.dial_digits + k)
        if action == "call:end":
            return replace(st, call_t0=None, dial_digits="")
        if action.startswith("msg:open:"):
            return replace(st, msg_view="compose", msg_contact=action[9:], msg_draft="",
                           msg_thread=())
        if action.startswith("key:"):
            k = action[4:]
            if k == "del":
                return replace(st, msg_draft=st.msg_draft[:-1])
            if len(st.msg_draft) >= L.MAX_DRAFT:
                return None
            return replace(st, msg_draft=st.msg_draft + k)
        if action == "msg:send":
            if not st.msg_draft.strip():
                return None
            thread = (*st.msg_thread, st.msg_draft)[-L.THREAD_KEEP:]
            return replace(st, msg_thread=thread, msg_draft="")
        if action in ("br:link", "br:reload"):
            page = (st.br_page + 1) % len(L.BROWSER_PAGES) if action == "br:link" else st.br_page
            return replace(st, br_page=page, br_load=(v, self._latency("page_load")),
                           br_scroll=_Motion(v, 0.0))
        if action.startswith("set:toggle:"):
            i = int(action[11:])
            toggles = list(st.toggles)
            toggles[i] = not toggles[i]
            return replace(st, toggles=tuple(toggles))
        if action.startswith("drag:"):
            return self._drag_state(st, action[5:], float(payload), v)
        if action.startswith("release:"):
            pos, vel = payload
            return self._release_state(st, action[8:], pos, vel, v)
        if action == "unlocked":
            return replace(st, mode="on", lock_lift=_HELD, app=L.LAUNCHER,
                           launcher=_Motion(v, 0.0), transition=None)
        logger.debug("no reaction for %s", action)
        return None

    def _limits(self, container: str) -> tuple[float, float]:
        if container == "launcher":
            return 0.0, (len(L.LAUNCHER_PAGES) - 1) * self._w
        if container == "msg":
            return 0.0, L.max_scroll(L.list_content_h(len(L.CONTACTS), L.LIST_ROW_H)) * self._h
        if container == "set":
            return 0.0, L.max_scroll(L.list_content_h(len(L.SETTINGS_ROWS),
                                                      L.SETTINGS_ROW_H)) * self._h
        if container == "br":
            return 0.0, (L.BROWSER_CONTENT_H - (L.NAV_BAR_Y - L.PAGE_TOP)) * self._h
        return 0.0, float(self._h)  # lock: how far the lock screen is lifted

    def _drag_state(self, st: _State, container: str, pos: float, v: float) -> _State:
        lo, hi = self._limits(container)
        m = _Motion(v, min(max(pos, lo), hi))
        field_name = {"lock": "lock_lift", "launcher": "launcher", "msg": "msg_scroll",
                      "br": "br_scroll", "set": "set_scroll"}[container]
        return replace(st, **{field_name: m})

    def _release_state(self, st: _State, container: str, pos: float, vel: float,
                       v: float) -> _State:
        lo, hi = self._limits(container)
        pos = min(max(pos, lo), hi)
        if container == "launcher":
            page = pos / self._w
            if abs(vel) > 0.3 * self._w:
                target = math.floor(page) + (1 if vel > 0 else 0)
            else:
                target = round(page)
            target = min(max(target, 0), len(L.LAUNCHER_PAGES) - 1)
            return replace(st, launcher=_Motion(v, pos, target=target * self._w))
        if container == "lock":
            lift = pos
            if lift >= L.LOCK_UNLOCK_FRAC * self._h or vel > 1.5 * self._h:
                self._push(v + SNAP_S, _Event("ui", action="unlocked",
                                              screen=replace(st, lock_lift=_HELD).screen_id()))
                return replace(st, lock_lift=_Motion(v, lift, target=float(self._h)))
            return replace(st, lock_lift=_Motion(v, lift, target=0.0))
        m = _Motion(v, pos, v0=vel, lo=lo, hi=hi)
        field_name = {"msg": "msg_scroll", "br": "br_scroll", "set": "set_scroll"}[container]
        return replace(st, **{field_name: m})

    def _handle_show(self, v: float, ev: _Event) -> None:
        if self._freeze_end is not None:
            self._push(self._visible_at(self._freeze_end), ev)
            return
        _, last_state, last_frozen = self._history[-1]
        if not (last_state == self._state and last_frozen is None):
            self._history.append((v, self._state, None))
        for t_touch, r, app, what, stall in ev.responses:
            self._truth.responses.append(TruthResponse(t_touch, r, v, v - t_touch, app, what))
            if stall is not None:
                stall.details["response_visible_s"] = v
                self._end_fault(stall, v)
        active = self._active
        if active is not None and active.kind in ("crash", "anr") and self._state.dialog is None:
            logger.info("%s dialog dismissed at %.3f s", active.kind, v)
            self._end_fault(active, v)

    # ------------------------------------------------------------------ faults

    def _interarrival(self, rate_per_hour: float) -> float:
        return float(self._rng_faults.exponential(3600.0 / rate_per_hour))

    def _random_fault(self, kind: str, t: float) -> FaultEvent:
        rng, fo = self._rng_faults, self.options.faults
        extra: dict[str, Any] = {}
        if kind in ("freeze", "dead_zone", "drift", "slowdown"):
            lo, hi = fo.duration_range(kind)
            extra["duration_s"] = float(rng.uniform(lo, hi))
        if kind == "glitch":
            extra["style"] = ("black", "bars", "tear")[int(rng.integers(3))]
            extra["frames"] = int(rng.integers(2, 7))
        if kind == "ghost_touch":
            extra["at"] = (float(rng.uniform(0.05, 0.95)), float(rng.uniform(0.08, 0.92)))
        if kind == "dead_zone":
            x0, y0 = float(rng.uniform(0.0, 0.7)), float(rng.uniform(0.05, 0.8))
            extra["region"] = (x0, y0, x0 + 0.3, y0 + 0.12)
        return FaultEvent(kind=kind, at_s=t, **extra)

    def _defer(self, t: float, ev: _Event) -> bool:
        """Hold ``ev`` back if a fault is going on or ended too recently; True if held."""
        if self._active is not None or self._freeze_end is not None:
            if len(self._waiting) < 16:
                self._waiting.append(ev)
            else:
                logger.warning("fault at %.3f s dropped: too many waiting", t)
            return True
        if t < self._guard - _EPS:
            self._push(self._guard, ev)
            return True
        return False

    def _begin(self, kind: str, t0: float, t_end: float | None, app: str,
               due: float, **details: Any) -> TruthFault:
        fault = TruthFault(kind, t0, t_end, app, details)
        if abs(due - t0) > 1e-6:
            fault.details["due_s"] = due
        self._truth.faults.append(fault)
        self._active = fault
        if t_end is not None:
            self._push(t_end, _Event("end", action=kind))
        logger.info("%s fault on %s starts at %.3f s", kind, app, t0)
        return fault

    def _end_fault(self, fault: TruthFault, t: float) -> None:
        if fault.t_end is None:
            fault.t_end = t
        if self._active is fault:
            self._active = None
            self._guard = t + self.options.faults.gap_s
            for i, ev in enumerate(self._waiting):
                self._push(self._guard + i * 1e-6, ev)
            self._waiting.clear()

    def _handle_fault(self, t0: float, ev: _Event) -> None:
        fe = ev.fault
        assert fe is not None
        if self._defer(t0, ev):
            return
        st = self._state
        kind = fe.kind
        due = fe.at_s
        if kind in ("stall", "anr", "crash", "close"):
            front = st.app
            wrong_app = fe.app is not None and fe.app != front
            if st.mode != "on" or wrong_app or (kind == "close" and front == L.LAUNCHER) \
                    or st.dialog is not None:
                self._push(t0 + APP_FAULT_POLL_S, ev)  # wait until that app is in front
                return
        shown, _ = self._state_shown_at(t0)
        app = shown.app if shown.mode == "on" else ("Lock" if shown.mode == "lock" else "System")
        if kind == "freeze":
            end = t0 + (fe.length_s or 0.0)
            self._freeze_end = end
            self._history.append((t0, shown, t0))
            self._begin("freeze", t0, end, app, due)
        elif kind in ("crash", "anr"):
            app = st.app
            again = kind == "crash" and t0 - self._last_crash.get(app, -math.inf) \
                <= self.options.faults.keeps_stopping_window_s
            if kind == "crash":
                self._last_crash[app] = t0
            self._state = replace(st, dialog=(kind, app, again), dialog_t=t0, transition=None)
            self._push(self._visible_at(t0), _Event("show"))
            self._begin(kind, t0, None, app, due, **({"again": True} if again else {}))
            pkg = L.PACKAGES[app]
            if kind == "crash":
                self._log.append((t0, "E AndroidRuntime: FATAL EXCEPTION: main"))
                self._log.append((t0, f"E AndroidRuntime: Process: {pkg}, PID: 4242"))
                self._log.append((t0, "E AndroidRuntime: java.lang.IllegalStateException: "
                                      "twin crash"))
            else:
                self._log.append((t0, f"E ActivityManager: ANR in {pkg} ({pkg}/.MainActivity)"))
                self._log.append((t0, "E ActivityManager: Reason: Input dispatching timed out"))
        elif kind == "close":
            app = st.app
            v = self._visible_at(t0)
            self._state = self._kill(st, app, v)
            self._push(v, _Event("show"))
            end = v + (self._ui.close_s if self._ui.transitions else 0.0)
            self._begin("close", t0, max(end, v), app, due)
            self._log.append((t0, f"I ActivityManager: Process {L.PACKAGES[app]} (pid 4242) "
                                  "has died: fg TOP"))
        elif kind == "reboot":
            self._reboot(t0, due, cause=None)
        elif kind == "glitch":
            frames = fe.frames or 3
            style = fe.style or "bars"
            v = self._visible_at(t0)
            end = v + frames / self._hz
            self._state = replace(st, glitch=(style, v, end))
            self._push(v, _Event("show"))
            self._begin("glitch", v, end, app, due, style=style, frames=frames)
        elif kind == "ghost_touch":
            fx, fy = fe.at if fe.at is not None else (0.5, 0.5)
            x, y = fx * self._w, fy * self._h
            fault = self._begin("ghost_touch", t0, t0 + GHOST_HOLD_S, app, due,
                                x_px=x, y_px=y)
            fid = self._next_finger
            self._next_finger += 1
            self._down(t0, x, y, fid, ghost=True)
            fault.details["target"] = self._truth.touches[-1].target
            self._push(t0 + GHOST_HOLD_S, _Event("ghost_up", payload=(fid, x, y)))
        elif kind == "dead_zone":
            x0, y0, x1, y1 = fe.region or (0.3, 0.4, 0.7, 0.5)
            self._dead_zone = (x0 * self._w, y0 * self._h, x1 * self._w, y1 * self._h)
            self._begin("dead_zone", t0, t0 + (fe.length_s or 0.0), app, due,
                        region=[x0, y0, x1, y1])
        elif kind == "drift":
            rate = fe.amount or AMOUNT_DEFAULTS["drift"]
            angle = float(self._rng_faults.uniform(0, 2 * math.pi))
            self._drift = (t0, rate * math.cos(angle), rate * math.sin(angle))
            self._begin("drift", t0, t0 + (fe.length_s or 0.0), app, due, px_per_s=rate,
                        direction_deg=math.degrees(angle))
        elif kind == "slowdown":
            rate = fe.amount or AMOUNT_DEFAULTS["slowdown"]
            self._leak = (t0, rate)
            self._begin("slowdown", t0, t0 + (fe.length_s or 0.0), app, due,
                        ms_per_minute=rate, ends_with="reboot")
        elif kind == "stall":
            extra = fe.amount or AMOUNT_DEFAULTS["stall"]
            self._stall = (None, extra, fe.app)
            # armed: it blocks other faults until the response it slows has shown
            armed = TruthFault("stall", t0, None, fe.app or "", {"armed": True})
            self._active = armed
            self._stall_due = due
            self._push(t0 + STALL_WAIT_S, _Event("end", action="stall_expire", payload=armed))

    def _fire_stall(self, t_touch: float, extra: float, app: str) -> TruthFault:
        due = self._stall_due
        armed = self._active
        self._stall = None
        fault = TruthFault("stall", t_touch, None, app, {"extra_s": extra, "armed_s": due})
        self._truth.faults.append(fault)
        if armed is not None and armed.kind == "stall":
            self._active = fault
        return fault

    def _handle_end(self, te: float, ev: _Event) -> None:
        kind = ev.action
        if kind == "stall_expire":  # no reaction came to slow down: the stall never happened
            if self._active is ev.payload:
                logger.info("stall armed at %.3f s expired: no touch to slow down", self._stall_due)
                self._stall = None
                self._active = None
                for i, w in enumerate(self._waiting):
                    self._push(te + i * 1e-6, w)
                self._waiting.clear()
            return
        if kind == "boot":  # a boot finished: the lock screen shows
            mode = "lock" if self._ui.lock_after_reboot else "on"
            self._state = replace(self._state, mode=mode, lock_lift=_HELD, t_mode=te)
            self._push(te, _Event("show"))
            if self._active is not None and self._active.kind == "reboot":
                self._end_fault(self._active, te)
            return
        fault = self._active
        if fault is None or fault.kind != kind:
            return
        if kind == "freeze":
            self._freeze_end = None
            self._push(self._visible_at(te), _Event("show"))
            logger.info("phone unfrozen at %.3f s", te)
        elif kind == "glitch":
            self._state = replace(self._state, glitch=None)
        elif kind == "dead_zone":
            self._dead_zone = None
        elif kind == "drift":
            self._drift = None
        elif kind == "slowdown":
            self._end_fault(fault, te)
            self._reboot(te, te, cause="slowdown")
            return
        self._end_fault(fault, te)

    def _reboot(self, t0: float, due: float, cause: str | None) -> None:
        old = self._state
        self._state = _State(mode="reboot", t_mode=self._visible_at(t0), toggles=old.toggles)
        self._leak = None
        self._stall = None
        for touch in self._fingers.values():  # fingers on the glass stay, but go nowhere
            touch.dead = True
            touch.dragging = False
        self._dot_pos = {}
        self._push(self._visible_at(t0), _Event("show"))
        end = self._ui_boot_end(t0)
        app = old.app if old.mode == "on" else "System"
        details = {"cause": cause} if cause else {}
        self._begin("reboot", t0, None, app, due, **details)
        self._push(end, _Event("end", action="boot"))
        self._log.append((t0, "I ActivityManager: Start proc system reboot requested"))

    # ------------------------------------------------------------------ history

    def _state_shown_at(self, t: float) -> tuple[_State, float | None]:
        for t_from, state, frozen_at in reversed(self._history):
            if t_from <= t + _EPS:
                return state, frozen_at
        logger.debug("screen asked for %.3f s, older than the kept history", t)
        _, state, frozen_at = self._history[0]
        return state, frozen_at

    def _prune(self) -> None:
        horizon = self._t_done - self.options.history_s
        while len(self._history) > 1 and self._history[1][0] <= horizon:
            self._history.popleft()
