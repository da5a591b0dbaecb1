"""The twin's camera: renders frames of the deck on demand from the world's state.

A frame at time t shows the static deck and phone body (cached), the phone's screen content
at t warped into the image with a perspective pose (cached per display key), fingers on the
glass, and sensor noise from a small seeded bank.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Hashable

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tapbot.cameras.base import Camera
from tapbot.core.frames import Frame
from tapbot.core.geometry import Homography
from tapbot.sim.world import SimWorld

logger = logging.getLogger(__name__)

FINGER_DIAMETER_MM = 7.0
ARM_LENGTH_MM = 25.0
_SKIN = (120, 160, 215)  # BGR
_ARM = (95, 130, 185)
_DECK = (92, 96, 88)
_BODY = (28, 28, 30)
_NOISE_BANK = 8
_CACHE = 48
_FRAME_CACHE = 24  # recent frames, like a real camera's ring buffer (~0.4 s at 60 fps)
_EPS = 1e-9


class SimCameraOptions(BaseModel):
    """Options of the simulated camera.

    The screen's pose in the image: its centre (``screen_center_px``, default the image
    centre), its height as a fraction of the image height, an in-plane rotation and a
    keystone (the top edge is shorter than the bottom edge by this fraction: mild tilt).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    fps: float = Field(60.0, gt=0, le=240)
    size_px: tuple[int, int] = (640, 480)
    noise_sigma: float = Field(2.0, ge=0)
    seed: int = Field(0, ge=0)
    screen_center_px: tuple[float, float] | None = None
    screen_height_frac: float = Field(0.85, gt=0, le=1.5)
    rotation_deg: float = Field(2.0, ge=-45, le=45)
    keystone: float = Field(0.04, gt=-0.5, lt=0.5)
    render_oversample: float = Field(1.25, gt=0, le=4)

    @model_validator(mode="after")
    def _check(self) -> SimCameraOptions:
        w, h = self.size_px
        if w < 16 or h < 16:
            raise ValueError(f"size_px: must be at least 16 x 16, got {self.size_px}")
        return self


class SimCamera(Camera):
    """A camera above the twin's deck, rendering frames of the world on demand."""

    def __init__(self, options: SimCameraOptions, world: SimWorld) -> None:
        self.options = options
        self.world = world
        self.fps = float(options.fps)
        self.size_px = (int(options.size_px[0]), int(options.size_px[1]))
        profile = world.phone.profile
        self._sw, self._sh = profile.screen_px
        self._corners = self._screen_corners_px()
        src = np.float32([[0, 0], [self._sw, 0], [self._sw, self._sh], [0, self._sh]])
        m = cv2.getPerspectiveTransform(src, np.float32(self._corners))
        self._screen_to_camera = Homography(m)
        img_h = float(np.linalg.norm(self._corners[3] - self._corners[0]))
        self._cam_px_per_screen_px = img_h / self._sh
        self._render_scale = round(min(1.0, options.render_oversample * img_h / self._sh), 3)
        sw = max(1, round(self._sw * self._render_scale))
        sh = max(1, round(self._sh * self._render_scale))
        sx, sy = sw / self._sw, sh / self._sh
        # pixel centres: screen = (scaled + 0.5) / s - 0.5
        scaled_to_screen = np.array([[1 / sx, 0, 0.5 / sx - 0.5], [0, 1 / sy, 0.5 / sy - 0.5],
                                     [0, 0, 1.0]])
        # The screen is warped only into its bounding box in the image (a third of the pixels).
        iw, ih = self.size_px
        x0 = max(0, math.floor(self._corners[:, 0].min()) - 2)
        y0 = max(0, math.floor(self._corners[:, 1].min()) - 2)
        x1 = min(iw, math.ceil(self._corners[:, 0].max()) + 3)
        y1 = min(ih, math.ceil(self._corners[:, 1].max()) + 3)
        self._roi = (slice(y0, y1), slice(x0, x1))
        shift = np.array([[1.0, 0, -x0], [0, 1.0, -y0], [0, 0, 1.0]])
        self._warp = shift @ m @ scaled_to_screen
        self._background = self._draw_background()
        self._composites: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._frames: OrderedDict[int, Frame] = OrderedDict()
        self._noise = self._make_noise()
        ppm = profile.px_per_mm[1] * self._cam_px_per_screen_px
        self._finger_r = max(1, round(FINGER_DIAMETER_MM / 2 * ppm))
        self._arm_len = round(ARM_LENGTH_MM * ppm)
        self.renders = 0  # screen warps done (cache misses), for diagnostics

    # ------------------------------------------------------------------ geometry

    def _screen_corners_px(self) -> np.ndarray:
        o = self.options
        iw, ih = self.size_px
        cx, cy = o.screen_center_px if o.screen_center_px is not None else (iw / 2, ih / 2)
        mm_w, mm_h = self.world.phone.profile.screen_mm
        h = o.screen_height_frac * ih
        w = h * mm_w / mm_h
        top, bottom = 1 - o.keystone / 2, 1 + o.keystone / 2
        local = np.array([[-w / 2 * top, -h / 2], [w / 2 * top, -h / 2],
                          [w / 2 * bottom, h / 2], [-w / 2 * bottom, h / 2]])
        a = math.radians(o.rotation_deg)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        return local @ rot.T + np.array([cx, cy])

    def true_camera_to_screen(self) -> Homography:
        """The true map from camera px to device screen px."""
        return self._screen_to_camera.inverse()

    def true_screen_to_camera(self) -> Homography:
        """The true map from device screen px to camera px."""
        return self._screen_to_camera

    # ------------------------------------------------------------------ rendering

    def _draw_background(self) -> np.ndarray:
        iw, ih = self.size_px
        bg = np.empty((ih, iw, 3), np.uint8)
        bg[:] = _DECK
        # Phone body: bezel of 3 mm at the sides, 9 mm above and below the screen.
        ppx, ppy = self.world.phone.profile.px_per_mm
        bx, by = 3.0 * ppx, 9.0 * ppy
        body = np.array([[-bx, -by], [self._sw + bx, -by], [self._sw + bx, self._sh + by],
                         [-bx, self._sh + by]])
        pts = self._screen_to_camera.apply(body)
        cv2.fillPoly(bg, [np.round(pts).astype(np.int32)], _BODY, cv2.LINE_AA)
        bg.setflags(write=False)
        return bg

    def _make_noise(self) -> list[tuple[np.ndarray, np.ndarray]]:
        sigma = self.options.noise_sigma
        if sigma <= 0:
            return []
        rng = np.random.default_rng([self.options.seed, 4])
        iw, ih = self.size_px
        bank = []
        for _ in range(_NOISE_BANK):
            n = np.round(rng.normal(0.0, sigma, (ih, iw, 3))).clip(-255, 255).astype(np.int16)
            bank.append((n.clip(0, 255).astype(np.uint8), (-n).clip(0, 255).astype(np.uint8)))
        return bank

    def _composite(self, t: float) -> np.ndarray:
        phone = self.world.phone
        key = phone.display_key(t)
        img = self._composites.get(key)
        if img is not None:
            self._composites.move_to_end(key)
            return img
        screen = phone.screen_at(t, self._render_scale)
        img = self._background.copy()
        roi = img[self._roi]
        warped = cv2.warpPerspective(screen, self._warp, (roi.shape[1], roi.shape[0]), roi,
                                     flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
        if warped is not roi and not np.shares_memory(warped, img):
            roi[:] = warped
        img.setflags(write=False)
        self._composites[key] = img
        self.renders += 1
        if len(self._composites) > _CACHE:
            self._composites.popitem(last=False)
        return img

    def render(self, k: int) -> Frame:
        """Frame ``k`` (captured at ``k / fps``), from a small cache of recent frames."""
        frame = self._frames.get(k)
        if frame is not None:
            return frame
        frame = self._render(k)
        self._frames[k] = frame
        if len(self._frames) > _FRAME_CACHE:
            self._frames.popitem(last=False)
        return frame

    def _render(self, k: int) -> Frame:
        t = k / self.fps
        img = self._composite(t).copy()
        fingers = self.world.finger_state_at(t)
        if fingers:
            pts = self._screen_to_camera.apply(np.asarray(fingers, dtype=np.float64))
            r = self._finger_r
            for x, y in pts:
                c = (round(x), round(y))
                cv2.line(img, c, (c[0], c[1] + self._arm_len), _ARM, max(1, round(1.6 * r)))
                cv2.circle(img, c, r, _SKIN, -1, cv2.LINE_AA)
        if self._noise:
            pos, neg = self._noise[k % len(self._noise)]
            cv2.add(img, pos, img)
            cv2.subtract(img, neg, img)
        img.setflags(write=False)
        return Frame(image=img, t=t, index=k)

    # ------------------------------------------------------------------ Camera API

    def setup(self) -> None:
        logger.debug("sim camera ready: %s px at %.1f fps", self.size_px, self.fps)

    def stop(self) -> None:
        self._composites.clear()
        self._frames.clear()

    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        """Frames captured in ``(since, until]``, oldest first, thinned to ``min_interval_s``."""
        now = self.world.clock.now()
        if until > now + _EPS:
            raise ValueError(f"until={until:.6f} s lies in the future (now is {now:.6f} s)")
        if until <= since:
            return []
        k0 = max(0, math.floor(since * self.fps + _EPS) + 1)
        k1 = math.floor(until * self.fps + _EPS)
        n = self.thinning_stride(min_interval_s) if min_interval_s > 0 else 1
        first = -(-k0 // n) * n  # the first multiple of n at or after k0
        return [self.render(k) for k in range(first, k1 + 1, n)]

    def latest(self) -> Frame:
        """The frame at ``floor(now * fps)``."""
        k = max(0, math.floor(self.world.clock.now() * self.fps + _EPS))
        return self.render(k)
