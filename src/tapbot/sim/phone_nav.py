"""The simulated phone's app navigation: reactions to touches after seeded latencies, and
how each action changes the logical state (open, home, back, each app's controls, scrolling,
unlocking, dialogs)."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

import numpy as np

from tapbot.sim.apps import layout as L
from tapbot.sim.apps.draw import slide_frac, slide_shown
from tapbot.sim.mirror import mirrored
from tapbot.sim.phone_options import Lognormal
from tapbot.sim.phone_state import EPS, HELD, SNAP_S, Motion, PhoneEvent, UiState

logger = logging.getLogger(__name__)

#: The dialer with no call: hung up, or left (its number cleared, its toggles off).
NO_CALL = {"dial_digits": "", "call_t0": None, "call_muted": False, "call_speaker": False}


class PhoneNavigation:
    """Reactions and state changes (a part of :class:`~tapbot.sim.phone.SimPhone`).

    Owns the random stream of response latencies.
    """

    def _init_navigation(self) -> None:
        self._rng_latency = np.random.default_rng([self.options.seed, 1])

    @mirrored
    def open_app(self, name: str, t: float | None = None) -> None:
        """Bring ``name`` to the front (like ``adb am start``); no truth response."""
        if name not in L.APP_NAMES:
            raise ValueError(f"unknown app {name!r}; known: {', '.join(L.APP_NAMES)}")
        t = self.clock.now() if t is None else t
        self.update(t)
        self._push(t, PhoneEvent("ui", action=f"open:{name}", t_ready=t, payload="am"))

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

    def _react(self, t_trigger: float, target: str, t_touch: float) -> float | None:
        """Schedule the reaction to ``target`` (hit at ``t_touch``, triggered at ``t_trigger``);
        returns when it is due (None: nothing to do)."""
        st = self._state
        action = target
        if target.startswith("launcher:"):
            action = f"open:{target.split(':', 1)[1]}"
        elif target in ("nav:back", "nav:home") and st.dialog is None and st.image is None:
            if target == "nav:home" and st.app == L.LAUNCHER:
                if round(st.launcher.at(t_trigger)) == 0:
                    return None
            elif target == "nav:back" and st.app == L.LAUNCHER:
                return None
        elif target == "nav:recents":
            return None
        delay = self._latency(self._latency_kind(target))
        if self._leak is not None:
            since, ms_per_min = self._leak
            delay += ms_per_min / 1000.0 * max(0.0, t_trigger - since) / 60.0
        ev = PhoneEvent("ui", action=action, screen=st.screen_id(), t_touch=t_touch,
                    what=self._describe(action, st))
        if self._stall is not None and (self._stall[2] is None or self._stall[2] == st.app):
            extra = self._stall[1]
            delay += extra
            ev.stall = self._fire_stall(t_touch, extra, st.app)
        ev.t_ready = t_trigger + delay
        self._push(ev.t_ready, ev)
        return ev.t_ready

    def _describe(self, action: str, st: UiState) -> str:
        if action == "counter:+":
            return f"counter {st.counter} -> {st.counter + 1}"
        if action.startswith("open:"):
            return f"open {action[5:]}"
        if action == "video:toggle":
            return "video play" if st.video_paused else "video pause"
        return action

    def _handle_ui(self, r: float, ev: PhoneEvent) -> None:
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
        show = PhoneEvent("show", action=ev.action)
        if ev.t_touch is not None:
            show.responses.append((ev.t_touch, r, new.app, ev.what, ev.stall))
        self._push(v, show)

    def _transition(self, st: UiState, to: UiState, kind: str, v: float) -> UiState:
        if not self._ui.transitions or st.mode != "on":
            return replace(to, transition=None)
        src_app, src_content = self._content(st, v)
        dur = self._ui.open_s if kind == "open" else self._ui.close_s
        tv = v
        if kind == "close" and st.transition is not None and st.transition[0] == "open":
            # closed while it still slides in: it slides back down from where it stands (as
            # a phone reverses an animation), not from the top (a frame of the whole app)
            _, _, _, tv_open, dur_open = st.transition
            steps = max(1, round(dur_open * self._hz))
            step = math.floor((v - tv_open) * self._hz + EPS) + 1  # the refresh at v
            if 1 <= step <= steps:  # from the last one shown (none: nothing to slide back)
                hidden = 1.0 - slide_shown((step - 1) / steps)
                tv = v - slide_frac(hidden) * dur
        return replace(to, transition=(kind, src_app, src_content, tv, dur))

    def _open(self, st: UiState, name: str, r: float, v: float) -> UiState:
        if name == L.LAUNCHER:
            return self._home(st, r, v)
        new = self._left(st, replace(st, app=name, dialog=None, image=None), v)
        if name == L.VIDEO and st.app != L.VIDEO:
            new = replace(new, video_pos=0.0, video_anchor=v, video_paused=False)
        elif name == L.GAME and st.app != L.GAME:
            new = replace(new, game_anchor=v)
        elif name == L.BROWSER and st.app != L.BROWSER:
            new = replace(new, br_load=(v, self._latency("page_load")),
                          br_scroll=Motion(v, 0.0))
        if st.app == name:
            return new
        return self._transition(st, new, "open", v)

    @staticmethod
    def _left(st: UiState, new: UiState, v: float) -> UiState:
        """``new`` after leaving ``st``'s app at ``v``: the music player pauses when it goes
        to the background (a foreground player, like the video's), so every visit starts
        from a known state."""
        if st.app == L.MUSIC and new.app != L.MUSIC and st.music_playing:
            return replace(new, music_playing=False,
                           music_pos=st.music_pos + max(0.0, v - st.music_anchor),
                           music_anchor=v)
        return new

    def _home(self, st: UiState, r: float, v: float) -> UiState:
        new = replace(st, app=L.LAUNCHER, dialog=None, image=None,
                      launcher=Motion(v, 0.0))
        new = self._left(st, new, v)
        if st.app == L.LAUNCHER:
            return replace(new, launcher=Motion(v, st.launcher.at(v), target=0.0))
        return self._transition(st, new, "close", v)

    def _kill(self, st: UiState, app: str, v: float) -> UiState:
        """``app``'s process dies: its state is reset, the launcher comes to the front."""
        fresh = UiState()
        reset: dict[str, Any] = {}
        if app == L.COUNTER:
            reset["counter"] = 0
        elif app == L.VIDEO:
            reset.update(video_pos=0.0, video_paused=False)
        elif app == L.MUSIC:
            reset.update(music_playing=False, music_pos=0.0, music_track=0)
        elif app == L.DIALER:
            reset.update(NO_CALL)
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

    def _apply(self, st: UiState, action: str, payload: Any, r: float, v: float) -> UiState | None:
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
                    st = replace(st, mode="on", lock_lift=HELD)
                return self._open(st, name, r, v)
            return None
        if action == "nav:back":
            if st.image is not None:
                return replace(st, image=None)
            if st.app == L.MESSAGES and st.msg_view == "compose":
                return replace(st, msg_view="list", msg_draft="")
            if st.app == L.BROWSER and st.br_page > 0:
                return replace(st, br_page=st.br_page - 1, br_load=(v, self._latency("page_load")),
                               br_scroll=Motion(v, 0.0))
            if st.app == L.DIALER and st.call_t0 is not None:
                return replace(st, **NO_CALL)
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
            return replace(st, **NO_CALL)
        if action == "call:mute":
            return replace(st, call_muted=not st.call_muted)
        if action == "call:speaker":
            return replace(st, call_speaker=not st.call_speaker)
        if action.startswith("msg:open:"):
            return replace(st, msg_view="compose", msg_contact=action[9:], msg_draft="",
                           msg_thread=(), key_preview=None)
        if action == "key:lift":
            # the pressed key's preview lingers a moment after the finger lifts, then goes
            if st.key_preview is None or st.key_preview[1] is not None:
                return None
            return replace(st, key_preview=(st.key_preview[0], v + L.KEY_PREVIEW_LINGER_S))
        if action.startswith("key:"):
            k = action[4:]
            # a letter shows its preview above the key while it is held (Gboard's default),
            # even when the draft is full; space and backspace show none
            preview = (k, None) if k in L.PREVIEW_KEYS else None
            if k == "del":
                return replace(st, msg_draft=st.msg_draft[:-1], key_preview=preview)
            if len(st.msg_draft) >= L.MAX_DRAFT:
                return None if preview is None else replace(st, key_preview=preview)
            return replace(st, msg_draft=st.msg_draft + k, key_preview=preview)
        if action == "msg:send":
            if not st.msg_draft.strip():
                return None
            thread = (*st.msg_thread, st.msg_draft)[-L.THREAD_KEEP:]
            return replace(st, msg_thread=thread, msg_draft="")
        if action in ("br:link", "br:reload"):
            page = (st.br_page + 1) % len(L.BROWSER_PAGES) if action == "br:link" else st.br_page
            return replace(st, br_page=page, br_load=(v, self._latency("page_load")),
                           br_scroll=Motion(v, 0.0))
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
            return replace(st, mode="on", lock_lift=HELD, app=L.LAUNCHER,
                           launcher=Motion(v, 0.0), transition=None)
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

    def _drag_state(self, st: UiState, container: str, pos: float, v: float) -> UiState:
        lo, hi = self._limits(container)
        m = Motion(v, min(max(pos, lo), hi))
        field_name = {"lock": "lock_lift", "launcher": "launcher", "msg": "msg_scroll",
                      "br": "br_scroll", "set": "set_scroll"}[container]
        return replace(st, **{field_name: m})

    def _release_state(self, st: UiState, container: str, pos: float, vel: float,
                       v: float) -> UiState:
        lo, hi = self._limits(container)
        pos = min(max(pos, lo), hi)
        if container == "launcher":
            page = pos / self._w
            if abs(vel) > 0.3 * self._w:
                target = math.floor(page) + (1 if vel > 0 else 0)
            else:
                target = round(page)
            target = min(max(target, 0), len(L.LAUNCHER_PAGES) - 1)
            return replace(st, launcher=Motion(v, pos, target=target * self._w))
        if container == "lock":
            lift = pos
            if lift >= L.LOCK_UNLOCK_FRAC * self._h or vel > 1.5 * self._h:
                self._push(v + SNAP_S, PhoneEvent("ui", action="unlocked",
                                              screen=replace(st, lock_lift=HELD).screen_id()))
                return replace(st, lock_lift=Motion(v, lift, target=float(self._h)))
            return replace(st, lock_lift=Motion(v, lift, target=0.0))
        m = Motion(v, pos, v0=vel, lo=lo, hi=hi)
        field_name = {"msg": "msg_scroll", "br": "br_scroll", "set": "set_scroll"}[container]
        return replace(st, **{field_name: m})
