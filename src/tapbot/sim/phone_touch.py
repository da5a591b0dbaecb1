"""The simulated phone's digitizer and touch handling: fingers down, moving and up, what
each touch hits on the front screen, taps (on touch-down or on lift) and drags that make
content follow the finger."""

from __future__ import annotations

import logging
import math
from collections import deque

from tapbot.devices.link import TouchEvent
from tapbot.sim.apps import layout as L
from tapbot.sim.phone_state import FingerTouch, PhoneEvent, UiState
from tapbot.sim.truth import TruthTouch

logger = logging.getLogger(__name__)

TOUCH_SLOP_W = 0.02  # a finger moving less than this (fraction of W) still taps
DIGITIZER_KEPT = 20000  # touch reports kept for digitizer_events


class PhoneTouch:
    """Touch input (a part of :class:`~tapbot.sim.phone.SimPhone`).

    Owns the fingers on the glass (``_fingers``) and the digitizer's report log.
    """

    def _init_touch(self) -> None:
        self._fingers: dict[int, FingerTouch] = {}
        self._next_finger = 1000
        self._digitizer: deque[TouchEvent] = deque(maxlen=DIGITIZER_KEPT)

    def touch_down(self, t: float, x_px: float, y_px: float, finger: int | None = None) -> int:
        """A finger lands on the glass at screen px (x, y) at time ``t``; returns the id it
        goes by.

        ``finger`` identifies the finger for multi-touch (by default a new id); moves and
        lifts given that id are that finger's; without one, they go to the nearest finger
        down (which may be another: pass the id where it is known).
        """
        self.update(t)
        if finger is None:
            finger = self._next_finger
            self._next_finger += 1
        self._down(t, float(x_px), float(y_px), finger, ghost=False)
        return finger

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

    def digitizer_events(self, since: float) -> list[TouchEvent]:
        """Touch reports the digitizer delivered after ``since`` (like getevent; bounded)."""
        self.update(self.clock.now())
        log = self._digitizer
        out: list[TouchEvent] = []
        for e in reversed(log):  # reports come in time order: read back to ``since`` only
            if e.t <= since:
                break
            out.append(e)
        out.reverse()
        return out

    def _finger_id(self, finger: int | None, x: float, y: float) -> int | None:
        if finger is not None:
            return finger if finger in self._fingers else None
        if not self._fingers:
            return None
        return min(self._fingers, key=lambda f: math.hypot(
            self._fingers[f].truth.x_px - x, self._fingers[f].truth.y_px - y)
            if self._fingers[f].truth.t_up is None else math.inf)

    def _down(self, t: float, x: float, y: float, fid: int, ghost: bool) -> None:
        rx, ry = self._reported(t, x, y)
        reported = (rx, ry) if (rx, ry) != (x, y) else None
        truth = TruthTouch(t, x, y, None, True, "none", ghost=ghost, reported_px=reported)
        touch = FingerTouch(truth, rx, ry)
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
            touch.t_pressed = self._react(t, target, t)
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
            self._push(t + touch.lag, PhoneEvent("ui", action=f"release:{touch.container}",
                                             payload=(pos, v), screen=self._state.screen_id()))
        elif touch.click is not None:
            self._react(t, touch.click, touch.truth.t_down)
        elif touch.truth.target.startswith("key:") and touch.t_pressed is not None:
            # the keyboard hears the lift through the same input path as the press: as long
            # after the lift as the press took, so never before it
            lag = touch.t_pressed - touch.truth.t_down
            self._push(t + lag, PhoneEvent("ui", action="key:lift", t_ready=t + lag,
                                           screen=self._state.screen_id()))

    def _drag_to(self, t: float, touch: FingerTouch, along: float, first: bool) -> None:
        pos = touch.p_start - (along - touch.a_start)
        ev = PhoneEvent("ui", action=f"drag:{touch.container}", payload=pos,
                    screen=self._state.screen_id())
        if first:
            ev.t_touch, ev.what = touch.truth.t_down, f"{touch.container} follows the finger"
        ev.t_ready = t + touch.lag
        self._push(t + touch.lag, ev)

    def _container_pos(self, st: UiState, container: str, t: float) -> float:
        return {"launcher": st.launcher, "msg": st.msg_scroll, "br": st.br_scroll,
                "set": st.set_scroll, "lock": st.lock_lift}[container].at(t)

    def _hit(self, st: UiState, fx: float, fy: float, t: float) -> tuple[str, str, str | None]:
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
                if L.in_circle(fx, fy, L.CALL_MUTE, L.CALL_BUTTON_R_W, a):
                    return "call:mute", "press", None
                if L.in_circle(fx, fy, L.CALL_SPEAKER, L.CALL_BUTTON_R_W, a):
                    return "call:speaker", "press", None
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
