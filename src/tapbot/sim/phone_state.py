"""The simulated phone's logical state: what is in front and where everything stands.

:class:`UiState` is immutable (the display history keeps old ones); positions that move by
themselves (a fling, a page snapping) are :class:`Motion` laws of time, so a state says where
they are at any display time. :class:`PhoneEvent` is one entry of the phone's event queue;
:class:`FingerTouch` is a finger on the glass as the phone's input system tracks it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tapbot.sim.apps import layout as L
from tapbot.sim.faults import FaultEvent
from tapbot.sim.truth import TruthFault, TruthTouch

EPS = 1e-9
FLING_TAU_S = 0.325  # momentum scrolling decays with this time constant
FLING_STOP_PX_S = 40.0  # a fling ends below this speed
SNAP_S = 0.25  # launcher page / lock screen snap


@dataclass(frozen=True, slots=True)
class Motion:
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


HELD = Motion(0.0, 0.0)


@dataclass(frozen=True, slots=True)
class UiState:
    """The logical UI state (immutable; the display history keeps old ones)."""

    mode: str = "on"  # "on" | "lock" | "reboot"
    t_mode: float = 0.0  # reboot: when it began
    lock_lift: Motion = HELD
    app: str = L.LAUNCHER
    launcher: Motion = HELD  # horizontal position in px (page * W)
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
    call_muted: bool = False
    call_speaker: bool = False
    msg_view: str = "list"
    msg_contact: str = ""
    msg_thread: tuple[str, ...] = ()
    msg_draft: str = ""
    key_preview: tuple | None = None  # (key, v_end): the pressed key's preview popup, shown
    # until display time v_end (None: the key is still held)
    msg_scroll: Motion = HELD
    br_page: int = 0
    br_load: tuple[float, float] | None = None  # (start, duration)
    br_scroll: Motion = HELD
    toggles: tuple[bool, ...] = L.SETTINGS_DEFAULTS
    set_scroll: Motion = HELD
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
class PhoneEvent:
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
class FingerTouch:
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
    t_pressed: float | None = None  # when the reaction to a press on touch-down is due
    samples: deque = field(default_factory=lambda: deque(maxlen=12))
