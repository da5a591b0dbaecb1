"""The simulated phone's display: refresh boundaries, the history of shown states, display
keys, and the cache of rendered screens.

A state change becomes visible at the next refresh (``show`` events); the history keeps the
states shown over the last ``history_s`` so the camera can render frames of the recent past.
Everything that moves by itself is a pure function of the shown state and the display time,
so :meth:`PhoneDisplay.display_key` of any frame is cheap and exact; equal keys are equal
screens, which :meth:`PhoneDisplay.screen_at` renders once per size.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import replace

import numpy as np

from tapbot.sim.apps import layout as L
from tapbot.sim.apps.draw import BOOT, LOCK, OFF, DisplayKey, render_screen
from tapbot.sim.mirror import mirrored
from tapbot.sim.phone_state import EPS, PhoneEvent, UiState
from tapbot.sim.truth import TruthResponse

logger = logging.getLogger(__name__)

RENDER_CACHE = 32  # rendered screens kept (display key x size)
KEYS_KEPT = 256  # display keys kept by (state shown, refresh)
IMAGES_KEPT = 4  # images from show_image kept


class PhoneDisplay:
    """What the phone's screen shows and when (a part of :class:`~tapbot.sim.phone.SimPhone`).

    Owns the display history (``_history``: (shown from, state, frozen at)), the refresh rate
    and the caches of rendered screens and shown images.
    """

    def _init_display(self) -> None:
        self._hz = float(self.profile.refresh_hz)
        self._t_done = -math.inf
        # display history: (t_from, state, frozen_at)
        self._history: deque[tuple[float, UiState, float | None]] = deque()
        self._history.append((-math.inf, self._state, None))
        self._images: OrderedDict[int, np.ndarray] = OrderedDict()
        self._image_seq = 0
        self._renders: OrderedDict[tuple[DisplayKey, int, int], np.ndarray] = OrderedDict()
        # display keys by (id of the state shown, refresh): (that state, its key); a frame's
        # key is asked for by its render, its glitch-grid samples and its views
        self._keys: dict[tuple[int, int], tuple[UiState, DisplayKey]] = {}
        self._last_key: DisplayKey | None = None  # the last key made

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
            if len(self._renders) > RENDER_CACHE:
                self._renders.popitem(last=False)
        else:
            self._renders.move_to_end(ck)
        return img

    def display_key(self, t: float) -> Hashable:
        """A key for the screen content at ``t``: equal keys <=> identical screens."""
        self.update(t)
        st, frozen_at = self._state_shown_at(t)
        te = frozen_at if frozen_at is not None else t
        j = math.floor(te * self._hz + EPS)  # the refresh being shown
        known = self._keys.get((id(st), j))
        if known is not None and known[0] is st:
            return known[1]
        key = self._key_of(st, j / self._hz)
        last = self._last_key
        if last is not None and last == key:
            # the same object as the last one made, when equal (most refreshes show what the
            # one before did): the caches it is looked up in then match it by identity
            key = last
        self._last_key = key
        if len(self._keys) >= KEYS_KEPT:
            self._keys.clear()
        self._keys[id(st), j] = (st, key)
        return key

    def _key_of(self, st: UiState, td: float) -> DisplayKey:
        """The display key of state ``st`` shown at refresh time ``td``: a function of the two
        alone (and the phone's options)."""
        glitch = None
        if st.glitch is not None and st.glitch[1] - EPS <= td < st.glitch[2] - EPS:
            glitch = (st.glitch[0], round((td - st.glitch[1]) * self._hz))
        dots = st.dots if self._show_taps(st) else ()
        if st.image is not None:
            return DisplayKey(app="Image", image=st.image, glitch=glitch, dots=dots)
        if st.mode == "reboot":
            dt = td - st.t_mode
            if dt < self._black_s():
                return DisplayKey(app=OFF, glitch=glitch)
            return DisplayKey(app=BOOT, content=(math.floor((dt - self._black_s()) * L.BOOT_FPS
                                                            + EPS),), glitch=glitch)
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
            step = math.floor((td - tv) * self._hz + EPS) + 1
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

    @mirrored
    def show_image(self, image: np.ndarray, t: float | None = None) -> None:
        """Show a full-screen BGR image from the next refresh until ``clear_image`` or home."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"show_image needs a BGR uint8 image, got {image.shape} "
                             f"{image.dtype}")
        t = self.clock.now() if t is None else t
        self.update(t)
        self._image_seq += 1
        self._images[self._image_seq] = image.copy()
        while len(self._images) > IMAGES_KEPT:
            self._images.popitem(last=False)
        self._set_now(t, replace(self._state, image=self._image_seq))

    @mirrored
    def clear_image(self, t: float | None = None) -> None:
        """Stop showing the image from :meth:`show_image`."""
        t = self.clock.now() if t is None else t
        self.update(t)
        if self._state.image is not None:
            self._set_now(t, replace(self._state, image=None))

    def _visible_at(self, r: float) -> float:
        return math.ceil(r * self._hz - EPS) / self._hz

    def _content(self, st: UiState, t: float) -> tuple[str, tuple]:
        """The front app's content key at display time ``t``."""
        app = st.app
        if app == L.LAUNCHER:
            return app, (round(st.launcher.at(t)),)
        if app == L.COUNTER:
            return app, (st.counter,)
        if app == L.VIDEO:
            vt = st.video_pos if st.video_paused else \
                st.video_pos + max(0.0, t - st.video_anchor)
            return app, (math.floor(vt * L.VIDEO_FPS + EPS), st.video_paused)
        if app == L.MUSIC:
            pos = st.music_pos + (max(0.0, t - st.music_anchor) if st.music_playing else 0.0)
            total = L.MUSIC_TRACKS[st.music_track][2]
            anim = math.floor(max(0.0, t - st.music_anchor) * L.MUSIC_ANIM_FPS + EPS) \
                if st.music_playing else 0
            return app, (st.music_track, st.music_playing, int(pos) % total, anim)
        if app == L.GAME:
            return app, (self._game_frame(st, t), st.game_score)
        if app == L.DIALER:
            if st.call_t0 is None:
                return app, (st.dial_digits, None)
            call = int(max(0.0, t - st.call_t0) + EPS)
            return app, (st.dial_digits, call, st.call_muted, st.call_speaker)
        if app == L.MESSAGES:
            if st.msg_view == "list":
                return app, ("list", round(st.msg_scroll.at(t)))
            preview = None
            if st.key_preview is not None:
                key, v_end = st.key_preview
                preview = key if v_end is None or t < v_end - EPS else None
            return app, ("compose", st.msg_contact, st.msg_thread, st.msg_draft, preview)
        if app == L.BROWSER:
            progress = spin = None
            if st.br_load is not None:
                t0, dur = st.br_load
                u = (t - t0) / dur
                if u < 1.0:
                    progress = min(99, math.floor(100 * (1.0 - (1.0 - max(0.0, u)) ** 2)))
                    spin = math.floor(max(0.0, t - t0) * L.SPINNER_STEPS_PER_S + EPS)
            return app, (st.br_page, progress, round(st.br_scroll.at(t)), spin)
        if app == L.SETTINGS:
            return app, (st.toggles, round(st.set_scroll.at(t)))
        return app, ()

    def _game_frame(self, st: UiState, t: float) -> int:
        return math.floor(max(0.0, t - st.game_anchor) * L.GAME_FPS + EPS)

    def _handle_show(self, v: float, ev: PhoneEvent) -> None:
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

    def _state_shown_at(self, t: float) -> tuple[UiState, float | None]:
        for t_from, state, frozen_at in reversed(self._history):
            if t_from <= t + EPS:
                return state, frozen_at
        logger.debug("screen asked for %.3f s, older than the kept history", t)
        _, state, frozen_at = self._history[0]
        return state, frozen_at

    def _prune(self) -> None:
        horizon = self._t_done - self.options.history_s
        while len(self._history) > 1 and self._history[1][0] <= horizon:
            self._history.popleft()
