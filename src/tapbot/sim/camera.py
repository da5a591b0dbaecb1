"""The twin's camera: renders frames of the deck on demand from the world's state.

A frame's timestamp is the **midpoint of its exposure**: frame ``k`` is stamped
``t = k / fps + phase_s`` and integrates the scene over ``[t - exposure_s/2, t + exposure_s/2]``.
``phase_s`` (in ``[0, 1/fps)``) is where the camera's frame clock sits against the display's
refresh. A real camera is not locked to the phone's display; the default is 0 anyway (a camera in
step with a 60 Hz display at 60 fps), because with a phase a change can show, blended, in a
frame stamped up to ``exposure_s/2`` before it became visible: latency measured from frame
stamps then errs in ``[-exposure_s/2, 1/fps + exposure_s/2)``, not ``[0, 1/fps)``. Over the
exposure window:

* the phone's display is integrated exactly: a refresh inside the window blends the two
  screens by the time each was shown;
* the screen's brightness flickers with the display refresh (``flicker_depth``: the emitted
  brightness is ``1 + depth * cos(2 pi refresh_hz t)``, integrated over the exposure), so frames
  taken at ``fps`` see a beat at ``|refresh_hz - m * fps|`` (the nearest alias);
* the robot's tool (fingertips, arms, carriage; hovering or touching, from the world's tool
  history) is drawn at several instants and averaged: a moving finger smears by about
  ``speed * exposure_s``. The tool is drawn once per *shape* (its pose relative to finger 0's
  tip, quantized to 0.25 mm, in a 16 px cell of the image) and moved by whole camera pixels
  (:mod:`tapbot.sim.tool_sprites`): the change of its look within a cell (parallax between its
  heights, lens, keystone; the camera looks straight down) is ignored, under a pixel, and its
  position is rounded to a pixel.

A frame requested before its exposure has ended (the latest one) shows the scene as known at
the request for the rest of the window and is not cached; asked again later it is rendered
from the full window.

Geometry: the screen's pose in the image (centre, height fraction, rotation, keystone for
tilt) defines a homography from screen px to *ideal* (distortion-free) camera px,
:meth:`SimCamera.true_screen_to_camera`. The lens then applies radial distortion (OpenCV's
model with ``k1``, ``k2``; intrinsics :attr:`SimCamera.intrinsics`, coefficients
:attr:`SimCamera.distortion`). Points above the glass are magnified about the principal point
by ``camera_height_mm / (camera_height_mm - z)`` (parallax). Optional ArUco markers
(:mod:`tapbot.sim.markers`) are printed on the holder around the phone.

Speed: the deck, body and markers are drawn and distorted once; the screen is remapped into
the image once per distinct display state (cached); the tool is drawn once per shape (cached);
a frame is then the box of the screen and the tool: a copy, a flicker lookup table on the
screen, the tool's sprites placed, and noise from a small seeded bank (a still scene's frames
that draw the same entry share one box). The whole image (the background plus noise, made
once per bank entry, with the box in it) is made only when asked for (:class:`Frame
<tapbot.core.frames.Frame>`): the runner's views read the box alone.

A bump (a ``bump`` fault: the phone knocked on the deck, see :meth:`SimWorld.apply_bump`)
moves the phone under the camera, which stays fixed to the deck: the deck -> ideal camera map
is kept, and the screen -> camera homography of a pose is ``deck_to_ideal @ screen_to_deck``.
The holder with its markers is clamped to the phone and moves with it. Everything that depends
on the screen's pose (the background with body and markers, the screen's box, mask and remap
tables, the composites and blends, the point sets of :meth:`SimCamera.pixels`) is kept per
pose: a frame is drawn with the pose at its timestamp, so frames before a bump still show the
phone where it was. The pose of the camera's construction time uses the homography of the
options exactly (no bump: the same pixels as ever); two other poses' caches are kept.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tapbot.cameras.base import Camera, PixelSink, SinkLink
from tapbot.core.frames import Frame, Part, PixelSample
from tapbot.core.geometry import Homography
from tapbot.sim import replica
from tapbot.sim.markers import (
    BODY_END_MM,
    BODY_SIDE_MM,
    QUIET_ZONE_MM,
    HolderMarker,
    holder_layout,
    marker_image,
)
from tapbot.sim.tool_sprites import (
    ShapeKey,
    ToolKey,
    ToolLayer,
    ToolSprite,
    shape_cell_centre,
    shape_key,
    shape_pose,
    tool_at_points,
    tool_layer,
)
from tapbot.sim.world import FINGER_HISTORY_S, ScreenPose, SimWorld, ToolPose

logger = logging.getLogger(__name__)

FINGER_DIAMETER_MM = 7.0
ARM_WIDTH_MM = 5.0
CARRIAGE_OFFSET_MM = 30.0  # the carriage sits this far towards deck +y from the tool centre
CARRIAGE_SIZE_MM = (40.0, 24.0)
_SKIN = (120, 160, 215)  # BGR
_ARM = (95, 130, 185)
_CARRIAGE = (70, 72, 78)
_DECK = (92, 96, 88)
_BODY = (28, 28, 30)
_HOLDER = (245, 245, 245)
_NOISE_BANK = 8
_CACHE = 32
_FRAME_CACHE = 24  # recent frames, like a real camera's ring buffer (~0.4 s at 60 fps)
#: Frames whose samples at a point set are kept once their exposure has ended (~1 s at 60
#: fps): the runner's short looks after a touch ask for some of the same frames again.
_ENDED_SAMPLES = 64
_MAX_TOOL_SAMPLES = 16
#: Tool shapes drawn and kept (travel: one per cell; a press: its heights). A soak's working
#: set is ~450 (64 drew every shape ~10 times over); ~110 KB each (~55 MB in all).
_TOOL_SPRITES = 512
_TOOL_LAYERS = 8  # blurred tool drawings kept for whole frames
_SCENES = 4  # frames before noise kept (their box; a still scene is drawn once)
_NOISY = 16  # frames' boxes after noise kept by (scene, noise entry): a still scene's repeats
_TOOL_KEYS = 256  # tool keys kept by exposure window (the points and the frame of a window)
_PREFETCH = 32  # frames of a batch whose tool keys are worked out together (< _TOOL_KEYS)
_KEPT_POSES = 2  # caches kept for poses other than the one in use (before/after a bump)
#: The camera's state that depends on where the phone lies: swapped as a whole at a bump.
_POSE_STATE = ("_screen_to_camera", "_background", "_roi", "_screen_mask", "_map1", "_map2",
               "_sampled_rows", "_sampled_cols", "_screen_scaled_px", "_composites", "_blends",
               "_point_sets", "_last_composite", "_luma_background", "_luma_composites",
               "_luma_blends", "_last_luma_composite")
_EPS = 1e-9
#: How far back the twin's camera hands frames (:attr:`Camera.history_s
#: <tapbot.cameras.base.Camera.history_s>`), at most: what the glitch watch finds in the
#: twin's copy is collected up to :attr:`TwinSinkLink.collect_after_s
#: <tapbot.sim.replica.TwinSinkLink.collect_after_s>` late, and the clip of a glitch
#: reported then must still be there. Less when the world keeps less: the phone's display
#: history and the tool's, :data:`HISTORY_MARGIN_S` (or half) short of it.
HISTORY_S = 40.0
HISTORY_MARGIN_S = 2.0
#: A projection computed in another order of operations rounds to the same pixel unless it
#: lies this close to a half (the orders differ by ~1e-12 px).
_ROUNDING_MARGIN_PX = 1e-6
#: :meth:`SimCamera.pixels` calls before the twin is copied into a second process (a run that
#: keeps asking gains; a test that asks a few times does not pay for the copy).
REPLICA_AFTER_CALLS = 8
#: :meth:`SimCamera.pixels` renders a batch of this many frames or fewer itself, not in the copy
#: (a third of a second at 60 fps: the runner's look at whether a change came back).
HERE_FRAMES = 20


class SimCameraOptions(BaseModel):
    """Options of the simulated camera (the ``camera:`` section of a twin rig).

    The screen's pose in the image: its centre (``screen_center_px``, default the image
    centre), its height as a fraction of the image height, an in-plane rotation and a
    keystone (the top edge is shorter than the bottom edge by this fraction: mild tilt).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    fps: float = Field(60.0, ge=30, le=240)
    size_px: tuple[int, int] = (640, 480)
    exposure_s: float = Field(0.004, gt=0, description="exposure time; at most 1/fps")
    phase_s: float = Field(0.0, ge=0, description="frame k is at k/fps + phase_s")
    noise_sigma: float = Field(2.0, ge=0)
    seed: int = Field(0, ge=0)
    screen_center_px: tuple[float, float] | None = None
    screen_height_frac: float = Field(0.85, gt=0, le=1.5)
    rotation_deg: float = Field(2.0, ge=-45, le=45)
    keystone: float = Field(0.04, gt=-0.5, lt=0.5)
    render_oversample: float = Field(1.25, gt=0, le=4)
    k1: float = Field(-0.01, ge=-0.5, le=0.5, description="radial distortion (OpenCV k1)")
    k2: float = Field(0.0, ge=-0.5, le=0.5, description="radial distortion (OpenCV k2)")
    focal_px: float | None = Field(None, gt=0, description="focal length; default image width")
    flicker_depth: float = Field(0.0, ge=0, lt=1,
                                 description="screen brightness modulation at refresh_hz")
    markers: bool = Field(False, description="ArUco markers on the holder around the phone")
    marker_size_mm: float = Field(10.0, gt=2, le=40)
    camera_height_mm: float = Field(350.0, gt=50, description="lens above the glass")
    worker: bool = Field(True, description="render the every-frame point samples (the glitch "
                         "watch's) in a copy of the twin in a second process (Linux)")

    @model_validator(mode="after")
    def _check(self) -> SimCameraOptions:
        w, h = self.size_px
        if w < 16 or h < 16:
            raise ValueError(f"size_px: must be at least 16 x 16, got {self.size_px}")
        if self.phase_s >= 1.0 / self.fps:
            raise ValueError(f"phase_s: must be below one frame period ({1.0 / self.fps:.5f} "
                             f"s at {self.fps:g} fps), got {self.phase_s}")
        if self.exposure_s > 1.0 / self.fps + _EPS:
            raise ValueError(f"exposure_s: {self.exposure_s} s is longer than a frame at "
                             f"{self.fps:g} fps ({1.0 / self.fps:.5f} s)")
        return self


def _whole(outside: np.ndarray, box: tuple[slice, slice], part: Callable[[], Part]
           ) -> np.ndarray:
    """A whole frame: the (noisy) background ``outside`` with the pixels of ``part`` in its
    ``box``, read-only (outside the box, the noisy background is made once per noise
    entry)."""
    img = outside.copy()
    img[box] = part()[2]
    img.setflags(write=False)
    return img


def _luma(image: np.ndarray) -> np.ndarray:
    """The gray of a BGR image (OpenCV's BT.601 weights), read-only."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gray.setflags(write=False)
    return gray


#: How a frame's exposure saw the display: its states by weight (display key, weight of 64,
#: when shown), heaviest first (one state: weight 64).
Spans = tuple[tuple[Hashable, int, float], ...]


class _Points:
    """A set of camera pixels the camera renders alone (:meth:`SimCamera.pixels`): their
    background, which lie in the screen's box and on the screen, and where they sample the
    screen image; display states (composites) at these points are cached like whole ones."""

    def __init__(self, camera: SimCamera, points: tuple[np.ndarray, np.ndarray]) -> None:
        self.camera = camera
        self.source = points[0]
        self.xs_source = points[1]
        ys = np.asarray(points[0], np.int64).ravel()
        xs = np.asarray(points[1], np.int64).ravel()
        iw, ih = camera.size_px
        if len(ys) != len(xs) or (len(ys) and (ys.min() < 0 or xs.min() < 0 or ys.max() >= ih
                                               or xs.max() >= iw)):
            raise ValueError(f"points must be (rows, cols) of equal length inside the "
                             f"{iw} x {ih} image")
        self.ys, self.xs = ys, xs
        self.background = camera._background[ys, xs].copy()
        rows, cols = camera._roi
        ly, lx = ys - rows.start, xs - cols.start
        h, w = rows.stop - rows.start, cols.stop - cols.start
        self.in_roi = np.flatnonzero((ly >= 0) & (ly < h) & (lx >= 0) & (lx < w))
        self._ly, self._lx = ly[self.in_roi], lx[self.in_roi]
        mask = camera._screen_mask[self._ly, self._lx] > 0
        self.on_screen = self.in_roi[mask]
        self._mask = mask
        self._all_on_screen = bool(mask.all())  # (a grid on the screen: no mask to apply)
        self._map1 = camera._map1[self._ly, self._lx][None]
        self._map2 = camera._map2[self._ly, self._lx][None]
        self._roi_background = self.background[self.in_roi]
        self.composites: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self.blends: dict[Hashable, np.ndarray] = {}
        # the sensor noise bank at these points: positive and negative parts, (entries,
        # points, channels) each
        self.noise = ((np.stack([pos[ys, xs] for pos, _ in camera._noise]),
                       np.stack([neg[ys, xs] for _, neg in camera._noise]))
                      if camera._noise else None)
        # the tool at these points: (tool key, indices of its box's values in the values
        # read flat, colour and keep there, flat)
        self.tool: tuple[ToolKey, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.last_scene: tuple | None = None  # (screen, tool key, gain, values)
        # the samples of frames whose exposure had ended when rendered (noise and all): final
        self.ended: OrderedDict[int, np.ndarray] = OrderedDict()

    def keep_ended(self, k: int, values: np.ndarray) -> None:
        """Keep frame ``k``'s samples, rendered after its exposure ended (they are final)."""
        self.ended[k] = values
        if len(self.ended) > _ENDED_SAMPLES:
            self.ended.popitem(last=False)

    def with_noise(self, values: np.ndarray, bank: int | list[int]) -> np.ndarray:
        """``values`` at these points (one frame's, or a row per frame) plus the sensor noise
        of bank entry ``bank`` (one per frame): as the image's saturating add and subtract."""
        assert self.noise is not None
        pos, neg = self.noise
        out = cv2.add(values, pos[bank])
        return cv2.subtract(out, neg[bank], out)

    def composite(self, key: Hashable, t: float, screen: np.ndarray | None = None
                  ) -> np.ndarray:
        """The screen's box in display state ``key`` (shown at ``t``; its image ``screen``, if
        given) at these points (one row per point)."""
        values = self.composites.get(key)
        if values is not None:
            self.composites.move_to_end(key)
            return values
        cam = self.camera
        whole = cam._composites.get(key)
        if whole is not None:
            values = whole[self._ly, self._lx]
        else:
            if screen is None:
                screen = cam.world.phone.screen_at(t, cam._render_scale)
            warped = cv2.remap(screen, self._map1, self._map2, cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT)[0]
            if self._all_on_screen:
                values = warped
            else:
                values = self._roi_background.copy()
                values[self._mask] = warped[self._mask]
        values.setflags(write=False)
        self.composites[key] = values
        if len(self.composites) > _CACHE:
            self.composites.popitem(last=False)
        return values


class SimCamera(Camera):
    """A camera above the twin's deck, rendering frames of the world on demand."""

    def __init__(self, options: SimCameraOptions, world: SimWorld) -> None:
        self.options = options
        self.world = world
        self.fps = float(options.fps)
        self.exposure_s = float(options.exposure_s)
        self.phase_s = float(options.phase_s)
        self.size_px = (int(options.size_px[0]), int(options.size_px[1]))
        kept = min(world.phone.options.history_s, FINGER_HISTORY_S)
        self.history_s = min(HISTORY_S, max(kept - HISTORY_MARGIN_S, kept / 2))
        iw, ih = self.size_px
        profile = world.phone.profile
        self._hz = float(profile.refresh_hz)
        self._sw, self._sh = profile.screen_px
        f = options.focal_px or float(iw)
        self._f = f
        self._c = (iw / 2.0, ih / 2.0)
        self._c_array = np.array(self._c)
        self._k = (options.k1, options.k2)
        self._corners = self._screen_corners_px()
        src = np.float32([[0, 0], [self._sw, 0], [self._sw, self._sh], [0, self._sh]])
        m = cv2.getPerspectiveTransform(src, np.float32(self._corners))
        self._screen_to_camera = Homography(m)
        img_h = float(np.linalg.norm(self._corners[3] - self._corners[0]))
        self._cam_px_per_screen_px = img_h / self._sh
        self._render_scale = round(min(1.0, options.render_oversample * img_h / self._sh), 3)
        self._markers = (holder_layout(profile.screen_mm, options.marker_size_mm)
                         if options.markers else [])
        # distorted pixel -> ideal pixel, for the whole image (None: no distortion)
        self._ideal_map = self._make_ideal_map() if any(self._k) else None
        self._background = self._draw_background()
        self._setup_screen_map()
        self._composites: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        # the last composite made: (its background, screen image, composite)
        self._last_composite: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # the same in luma (one channel), for the frames' luma planes; a luma composite is kept
        # with the colour screen image it shows (the frame's colour pixels are made from it,
        # whenever they are asked for)
        self._luma_background = _luma(self._background)
        self._luma_composites: OrderedDict[Hashable, tuple[np.ndarray, np.ndarray]] = \
            OrderedDict()
        self._last_luma_composite: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._luma_blends: dict[Hashable, np.ndarray] = {}
        self._frames: OrderedDict[int, Frame] = OrderedDict()
        self._replica: replica.TwinReplica | None = None
        #: The links of the sinks given to :meth:`pixel_sink`, by number: a copy forked later
        #: holds their sinks too.
        self.sink_links: list[replica.TwinSinkLink] = []
        self._pixel_calls = 0
        self._replica_failed = False
        self._luts: dict[int, np.ndarray] = {}
        self._blends: dict[Hashable, np.ndarray] = {}
        self._sprites: OrderedDict[ShapeKey, ToolSprite] = OrderedDict()
        self._tool_layers: OrderedDict[ToolKey, ToolLayer | None] = OrderedDict()
        self._luma_tool_layers: OrderedDict[ToolKey, ToolLayer | None] = OrderedDict()
        self._still_tool: tuple[ToolPose, ToolKey] | None = None
        self._rest_tool: tuple[object, ToolKey] | None = None  # (the world's rest motion, key)
        # by exposure window: frames and their points share it
        self._tool_keys: OrderedDict[tuple[float, float], ToolKey] = OrderedDict()
        # frames before noise: (display, tool key, flicker gain, image of box, box), the latest few
        self._scenes: deque[tuple[np.ndarray, ToolKey | None, float, np.ndarray,
                                  tuple[slice, slice]]] = deque(maxlen=_SCENES)
        # frames' boxes after noise: (scene, noise bank entry or None, box), the latest few
        self._noisy: deque[tuple[np.ndarray, int | None, np.ndarray]] = deque(maxlen=_NOISY)
        # the same in luma
        self._luma_scenes: deque[tuple[np.ndarray, ToolKey | None, float, np.ndarray,
                                       tuple[slice, slice]]] = deque(maxlen=_SCENES)
        self._luma_noisy: deque[tuple[np.ndarray, int | None, np.ndarray]] = \
            deque(maxlen=_NOISY)
        # by noise entry: (the background it was made from, background + noise)
        self._noisy_backgrounds: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._ideal_to_deck: list[list[float]] | None = None
        self._deck_to_ideal_rows: list[list[float]] | None = None
        # the camera is fixed to the deck: this map never changes, even when the phone moves
        self._pose: ScreenPose = world.screen_pose_at(world.clock.now())
        self._deck_to_ideal = (self._screen_to_camera.matrix
                               @ world.deck_to_screen(world.clock.now()).matrix)
        self._pose_maps: dict[ScreenPose, Homography] = {self._pose: self._screen_to_camera}
        self._other_poses: OrderedDict[ScreenPose, tuple] = OrderedDict()
        self._noise = self._make_noise()
        self._luma_noise = [self._luma_noise_of(pos, neg) for pos, neg in self._noise]
        ppm = profile.px_per_mm[1] * self._cam_px_per_screen_px
        self._px_per_mm = ppm
        self.renders = 0  # screen remaps done (cache misses), for diagnostics
        self._point_sets: dict[int, _Points] = {}

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

    def _pose_map(self, pose: ScreenPose) -> Homography:
        """Screen px -> ideal camera px with the phone at ``pose`` (fixed camera)."""
        h = self._pose_maps.get(pose)
        if h is None:
            to_deck = pose.screen_to_deck(self.world.phone.profile.px_per_mm)
            h = Homography(self._deck_to_ideal @ to_deck.matrix)
            if len(self._pose_maps) > 16:
                self._pose_maps.pop(next(k for k in self._pose_maps if k != self._pose))
            self._pose_maps[pose] = h
        return h

    def _pose_at(self, t: float | None) -> ScreenPose:
        now = self.world.clock.now()
        return self.world.screen_pose_at(now if t is None else min(t, now))

    def true_camera_to_screen(self, t: float | None = None) -> Homography:
        """The true map from *ideal* (undistorted) camera px to device screen px, now (or at
        ``t``: it changes when a bump moves the phone)."""
        return self.true_screen_to_camera(t).inverse()

    def true_screen_to_camera(self, t: float | None = None) -> Homography:
        """The true map from device screen px to *ideal* (undistorted) camera px, now (or at
        ``t``: it changes when a bump moves the phone)."""
        return self._pose_map(self._pose_at(t))

    def _use_pose(self, t: float) -> None:
        """Make the caches of the phone's pose at ``t`` the ones in use (frames of any time
        draw the phone where it lay then)."""
        self._switch_pose(self._pose_at(t))

    def _switch_pose(self, pose: ScreenPose) -> None:
        """Make the caches of ``pose`` the ones in use."""
        if pose is self._pose:
            return
        if pose == self._pose:
            self._pose = pose
            return
        self._other_poses[self._pose] = tuple(getattr(self, a) for a in _POSE_STATE)
        kept = self._other_poses.pop(pose, None)
        if kept is not None:
            for name, value in zip(_POSE_STATE, kept, strict=True):
                setattr(self, name, value)
        else:
            logger.debug("camera: the phone moved; drawing its new pose %s", pose)
            self._screen_to_camera = self._pose_map(pose)
            self._background = self._draw_background()
            self._luma_background = _luma(self._background)
            self._setup_screen_map()
            self._composites = OrderedDict()
            self._blends = {}
            self._point_sets = {}
            self._last_composite = None
            self._luma_composites = OrderedDict()
            self._luma_blends = {}
            self._last_luma_composite = None
        self._pose = pose
        while len(self._other_poses) > _KEPT_POSES:
            self._other_poses.popitem(last=False)

    @property
    def intrinsics(self) -> np.ndarray:
        """The camera matrix K (3 x 3) of the lens model."""
        return np.array([[self._f, 0.0, self._c[0]], [0.0, self._f, self._c[1]],
                         [0.0, 0.0, 1.0]])

    @property
    def distortion(self) -> np.ndarray:
        """OpenCV distortion coefficients ``(k1, k2, p1, p2, k3)`` of the lens model."""
        return np.array([self._k[0], self._k[1], 0.0, 0.0, 0.0])

    @property
    def marker_layout(self) -> list[HolderMarker]:
        """The holder's ArUco markers in screen mm (empty unless ``markers: true``)."""
        return list(self._markers)

    @property
    def markers_mm(self) -> dict[int, list[tuple[float, float]]]:
        """The marker layout as ``{id: [TL, TR, BR, BL]}`` in screen mm (for calibration)."""
        return {m.id: list(m.corners_mm) for m in self._markers}

    def distort_px(self, ideal: np.ndarray) -> np.ndarray:
        """Ideal (pinhole) camera px -> the px the lens really images them at (N x 2)."""
        p = np.asarray(ideal, dtype=np.float64).reshape(-1, 2)
        if not any(self._k):
            return p.copy()
        c = np.asarray(self._c)
        n = (p - c) / self._f
        r2 = (n * n).sum(axis=1, keepdims=True)
        return c + n * (1 + self._k[0] * r2 + self._k[1] * r2 * r2) * self._f

    def undistort_px(self, distorted: np.ndarray, iterations: int = 12) -> np.ndarray:
        """Inverse of :meth:`distort_px` (fixed-point iteration; exact for mild lenses)."""
        p = np.asarray(distorted, dtype=np.float64).reshape(-1, 2)
        if not any(self._k):
            return p.copy()
        c = np.asarray(self._c)
        nd = (p - c) / self._f
        n = nd.copy()
        k1, k2 = self._k
        for _ in range(iterations):
            r2 = n[:, 0] ** 2 + n[:, 1] ** 2
            step = nd / (1 + k1 * r2 + k2 * r2 * r2)[:, None]
            moved = float(np.abs(step - n).max()) if len(n) else 0.0
            n = step
            if moved * self._f < 1e-7:  # converged to well under a micro-pixel
                break
        return c + n * self._f

    def project_screen_px(self, points: np.ndarray, t: float | None = None) -> np.ndarray:
        """Device screen px -> the camera px where the frame shows them (with distortion),
        with the phone where it lies now (or at ``t``)."""
        h = self.true_screen_to_camera(t)
        return self.distort_px(h.apply(np.asarray(points, np.float64)))

    def project_screen_mm(self, points: np.ndarray, t: float | None = None) -> np.ndarray:
        """Screen mm (the marker layout's frame) -> camera px in the frame (now, or at ``t``)."""
        sx, sy = self.world.phone.profile.px_per_mm
        pts = np.asarray(points, np.float64).reshape(-1, 2) * np.array([sx, sy])
        return self.project_screen_px(pts, t)

    def project_deck(self, xyz: np.ndarray) -> np.ndarray:
        """Deck points (x, y mm; z mm above the deck's origin) -> camera px in the frame."""
        p = np.asarray(xyz, np.float64).reshape(-1, 3)
        pose = self._pose_at(None)
        screen = self.world.deck_to_screen(self.world.clock.now()).apply(p[:, :2])
        ideal = self._pose_map(pose).apply(screen)
        height = self.options.camera_height_mm
        s = height / np.maximum(height - (p[:, 2] - self.world.glass_z_mm), 1.0)
        c = np.asarray(self._c)
        return self.distort_px(c + (ideal - c) * s[:, None])

    def _make_ideal_map(self) -> np.ndarray:
        iw, ih = self.size_px
        xs, ys = np.meshgrid(np.arange(iw, dtype=np.float64), np.arange(ih, dtype=np.float64))
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        return self.undistort_px(grid).reshape(ih, iw, 2).astype(np.float32)

    def _setup_screen_map(self) -> None:
        """The ROI of the image the screen covers and, per ROI pixel, where to sample the
        (scaled) screen image (for the pose in use, :attr:`_screen_to_camera`)."""
        iw, ih = self.size_px
        sw = max(1, round(self._sw * self._render_scale))
        sh = max(1, round(self._sh * self._render_scale))
        self._screen_scaled_px = (sw, sh)
        edge = np.linspace(0.0, 1.0, 64)
        outline = np.concatenate([
            np.stack([edge * self._sw, np.zeros_like(edge)], 1),
            np.stack([np.full_like(edge, self._sw), edge * self._sh], 1),
            np.stack([edge * self._sw, np.full_like(edge, self._sh)], 1),
            np.stack([np.zeros_like(edge), edge * self._sh], 1)])
        cam = self.distort_px(self._screen_to_camera.apply(outline))
        x0 = max(0, math.floor(cam[:, 0].min()) - 2)
        y0 = max(0, math.floor(cam[:, 1].min()) - 2)
        x1 = min(iw, math.ceil(cam[:, 0].max()) + 3)
        y1 = min(ih, math.ceil(cam[:, 1].max()) + 3)
        self._roi = (slice(y0, y1), slice(x0, x1))
        if self._ideal_map is not None:
            ideal = self._ideal_map[self._roi].reshape(-1, 2).astype(np.float64)
        else:
            xs, ys = np.meshgrid(np.arange(x0, x1, dtype=np.float64),
                                 np.arange(y0, y1, dtype=np.float64))
            ideal = np.stack([xs.ravel(), ys.ravel()], axis=1)
        screen = self._screen_to_camera.inverse().apply(ideal)
        # pixel centres: scaled = (screen + 0.5) * s - 0.5
        sx, sy = sw / self._sw, sh / self._sh
        mx = ((screen[:, 0] + 0.5) * sx - 0.5).reshape(y1 - y0, x1 - x0).astype(np.float32)
        my = ((screen[:, 1] + 0.5) * sy - 0.5).reshape(y1 - y0, x1 - x0).astype(np.float32)
        inside = (mx >= -0.5) & (mx <= sw - 0.5) & (my >= -0.5) & (my <= sh - 0.5)
        self._screen_mask = inside.astype(np.uint8) * 255
        self._map1, self._map2 = cv2.convertMaps(mx, my, cv2.CV_16SC2)
        # per row (col) of the box, the screen rows (cols) its pixels on the screen sample
        # from: [lo, hi + 1] (rows and cols without such a pixel: an empty range)
        big = np.iinfo(np.int32).max // 2
        xi = self._map1[..., 0].astype(np.int32)
        yi = self._map1[..., 1].astype(np.int32)
        self._sampled_rows = (np.where(inside, yi, big).min(axis=1),
                              np.where(inside, yi, -big).max(axis=1))
        self._sampled_cols = (np.where(inside, xi, big).min(axis=0),
                              np.where(inside, xi, -big).max(axis=0))

    # ------------------------------------------------------------------ static scene

    def _draw_background(self) -> np.ndarray:
        iw, ih = self.size_px
        bg = np.empty((ih, iw, 3), np.uint8)
        bg[:] = _DECK
        ppx, ppy = self.world.phone.profile.px_per_mm
        to_cam = self._screen_to_camera
        for marker in self._markers:
            q = QUIET_ZONE_MM
            (xa, ya), _, (xb, yb), _ = marker.corners_mm
            plate = np.array([[xa - q, ya - q], [xb + q, ya - q], [xb + q, yb + q],
                              [xa - q, yb + q]]) * (ppx, ppy)
            cv2.fillPoly(bg, [np.round(to_cam.apply(plate) * 16).astype(np.int32)], _HOLDER,
                         cv2.LINE_AA, shift=4)
            side = 120
            img = cv2.cvtColor(marker_image(marker.id, side), cv2.COLOR_GRAY2BGR)
            src = np.float32([[0, 0], [side, 0], [side, side], [0, side]]) - 0.5
            dst = to_cam.apply(np.asarray(marker.corners_mm) * (ppx, ppy))
            # map the marker's outer edges (pixel edges, not centres) onto its corners
            h = cv2.getPerspectiveTransform(src, np.float32(dst))
            cv2.warpPerspective(img, h, (iw, ih), bg, flags=cv2.INTER_AREA,
                                borderMode=cv2.BORDER_TRANSPARENT)
        # Phone body: BODY_SIDE_MM at the sides, BODY_END_MM above and below the screen.
        bx, by = BODY_SIDE_MM * ppx, BODY_END_MM * ppy
        body = np.array([[-bx, -by], [self._sw + bx, -by], [self._sw + bx, self._sh + by],
                         [-bx, self._sh + by]])
        pts = to_cam.apply(body)
        cv2.fillPoly(bg, [np.round(pts * 16).astype(np.int32)], _BODY, cv2.LINE_AA, shift=4)
        if self._ideal_map is not None:
            bg = cv2.remap(bg, self._ideal_map[..., 0], self._ideal_map[..., 1],
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
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
            n = rng.standard_normal((ih, iw, 3), dtype=np.float32)
            n *= sigma
            n = np.rint(n, out=n)
            bank.append((np.clip(n, 0, 255).astype(np.uint8),
                         np.clip(-n, 0, 255).astype(np.uint8)))
        return bank

    @staticmethod
    def _luma_noise_of(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A noise bank entry's luma (its gray weights applied to the signed noise of each
        channel, rounded), as positive and negative parts: the noise a frame's luma plane
        shows where its colour pixels show ``pos - neg``."""
        signed = pos.astype(np.float32) - neg.astype(np.float32)
        gray = np.rint(signed @ np.array([0.114, 0.587, 0.299], np.float32))
        return (np.clip(gray, 0, 255).astype(np.uint8), np.clip(-gray, 0, 255).astype(np.uint8))

    # ------------------------------------------------------------------ the screen

    def _composite(self, key: Hashable, t: float, screen: np.ndarray | None = None
                   ) -> np.ndarray:
        """The screen's box of the image (:attr:`_roi`) showing display state ``key`` (shown
        at ``t``; its image ``screen``, if given) over the background; only this box differs
        between display states."""
        img = self._composites.get(key)
        if img is not None:
            self._composites.move_to_end(key)
            return img
        if screen is None:
            screen = self.world.phone.screen_at(t, self._render_scale)
        img = self._remapped(screen, self._last_composite, self._background)
        self._last_composite = (self._background, screen, img)
        self._store(key, img)
        self.renders += 1
        return img

    def _luma_composite(self, key: Hashable, t: float) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_composite` in luma, with the (colour) screen image it shows."""
        got = self._luma_composites.get(key)
        if got is not None:
            self._luma_composites.move_to_end(key)
            return got
        screen = self.world.phone.screen_at(t, self._render_scale)
        gray = _luma(screen)
        img = self._remapped(gray, self._last_luma_composite, self._luma_background)
        self._last_luma_composite = (self._luma_background, gray, img)
        got = self._luma_composites[key] = (img, screen)
        if len(self._luma_composites) > _CACHE:
            self._luma_composites.popitem(last=False)
        return got

    def _remapped(self, screen: np.ndarray, last: tuple[np.ndarray, np.ndarray, np.ndarray]
                  | None, background: np.ndarray) -> np.ndarray:
        """The screen's box showing ``screen`` over ``background`` (colour or luma alike), made
        from ``last`` (background, screen and composite of the last one made) when it can."""
        img = self._composite_from_last(screen, last, background)
        if img is None:
            img = background[self._roi].copy()
            # (a transparent border would keep the background, but is ~8x slower than a copy
            # through the screen's mask)
            warped = cv2.remap(screen, self._map1, self._map2, cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT)
            cv2.copyTo(warped, self._screen_mask, img)
            img.setflags(write=False)
        return img

    def _composite_from_last(self, screen: np.ndarray,
                             last: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                             background: np.ndarray) -> np.ndarray | None:
        """The composite of ``screen`` made from ``last``, the last one made (of the pose in
        use): only the part of the box whose pixels sample a screen pixel that differs is
        remapped again (each pixel of a remap depends only on its map entry and the four
        screen pixels it samples: the same values as a whole remap). ``None``: none to start
        from."""
        if last is None or last[0] is not background or last[1].shape != screen.shape:
            return None
        _, before, img = last
        if before is screen:
            return img
        diff = cv2.absdiff(before, screen).reshape(screen.shape[0], -1)
        rows = np.flatnonzero(diff.max(axis=1))
        if not len(rows):
            return img  # another display state, the same pixels
        r0, r1 = int(rows[0]), int(rows[-1])
        cols = np.flatnonzero(diff[r0:r1 + 1].max(axis=0).reshape(screen.shape[1], -1)
                              .any(axis=1))
        c0, c1 = int(cols[0]), int(cols[-1])
        (y_lo, y_hi), (x_lo, x_hi) = self._sampled_rows, self._sampled_cols
        # box rows (cols) whose screen pixels sample a changed screen row (col): a pixel at
        # integer map entry (x, y) samples rows y, y + 1 and cols x, x + 1
        ys = np.flatnonzero((y_hi + 1 >= r0) & (y_lo <= r1))
        xs = np.flatnonzero((x_hi + 1 >= c0) & (x_lo <= c1))
        if not len(ys) or not len(xs):
            return img
        box = (slice(int(ys[0]), int(ys[-1]) + 1), slice(int(xs[0]), int(xs[-1]) + 1))
        out = img.copy()
        warped = cv2.remap(screen, self._map1[box], self._map2[box], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)
        cv2.copyTo(warped, self._screen_mask[box], out[box])  # (into the view)
        out.setflags(write=False)
        return out

    def _store(self, key: Hashable, img: np.ndarray) -> None:
        self._composites[key] = img
        if len(self._composites) > _CACHE:
            self._composites.popitem(last=False)

    def _display(self, s0: float, s1: float, points: _Points | None = None,
                 keys: dict[int, Hashable] | None = None) -> np.ndarray:
        """The screen's box integrated over ``[s0, s1]``: display states blended by time
        shown (or, with ``points``, the same at those points only: one row per point).

        ``keys`` memoizes the display key per refresh (the display changes only at refresh
        boundaries) for a batch of frames rendered at one instant of the world."""
        spans = self._display_spans(s0, s1, keys)
        if points is None:
            return self._blend(spans, self._composite, self._blends)
        return self._blend(spans, points.composite, points.blends)

    def _display_spans(self, s0: float, s1: float, keys: dict[int, Hashable] | None = None
                       ) -> Spans:
        """The display states an exposure ``[s0, s1]`` saw, by weight (see :data:`Spans`)."""
        phone = self.world.phone
        if keys is None:
            display_key = phone.display_key
        else:
            def display_key(t: float) -> Hashable:
                j = math.floor(t * self._hz + _EPS)
                key = keys.get(j)
                if key is None:
                    key = keys[j] = phone.display_key(t)
                return key
        if s1 - s0 <= _EPS:
            return ((display_key(s0), 64, s0),)
        j0 = math.floor(s0 * self._hz + _EPS) + 1
        j1 = math.ceil(s1 * self._hz - _EPS) - 1
        if j1 == j0:  # two refreshes (most frames): no lists of cuts
            c = j0 / self._hz
            spans = [(s0, c, display_key((s0 + c) / 2)), (c, s1, display_key((c + s1) / 2))]
        else:
            cuts = [s0] + [j / self._hz for j in range(j0, j1 + 1)] + [s1]
            spans = [(a, b, display_key((a + b) / 2)) for a, b in itertools.pairwise(cuts)]
        first = spans[0][2]
        if all(key is first or key == first for _, _, key in spans[1:]):
            # one display state throughout (most frames): no sums by key (a display key
            # hashes all its fields each time)
            return ((first, 64, (spans[0][0] + spans[0][1]) / 2),)
        parts: dict[Hashable, float] = {}
        when: dict[Hashable, float] = {}
        for a, b, key in spans:
            parts[key] = parts.get(key, 0.0) + (b - a)
            when.setdefault(key, (a + b) / 2)
        total = s1 - s0
        ranked = sorted(parts.items(), key=lambda kv: -kv[1])
        return tuple((k, round(w / total * 64), when[k]) for k, w in ranked)

    @staticmethod
    def _blend(spans: Spans, composite: Callable[[Hashable, float], np.ndarray],
               blends: dict[Hashable, np.ndarray]) -> np.ndarray:
        """The display states of ``spans`` (``composite`` of each) blended by weight, kept in
        ``blends``."""
        if len(spans) == 1:
            return composite(spans[0][0], spans[0][2])
        weights = tuple((k, w) for k, w, _ in spans)
        blend_key = ("blend", weights)
        img = blends.get(blend_key)
        if img is not None:
            return img
        images = [composite(k, when) for k, _, when in spans]  # may evict; keep refs
        img = images[0].copy()
        done = weights[0][1]
        for (_, w), other in zip(weights[1:], images[1:], strict=True):
            if w == 0:
                continue
            # running average: (done * roi + w * other) / (done + w)
            cv2.addWeighted(img, done / (done + w), other, w / (done + w), 0.0, img)
            done += w
        img.setflags(write=False)
        blends[blend_key] = img
        if len(blends) > 8:
            blends.pop(next(iter(blends)))
        return img

    def flicker_gain(self, s0: float, s1: float) -> float:
        """Mean screen brightness over an exposure ``[s0, s1]`` relative to steady light."""
        depth = self.options.flicker_depth
        if depth <= 0:
            return 1.0
        w = 2 * math.pi * self._hz
        if s1 - s0 <= _EPS:
            return 1.0 + depth * math.cos(w * s0)
        return 1.0 + depth * (math.sin(w * s1) - math.sin(w * s0)) / (w * (s1 - s0))

    def _apply_flicker(self, roi: np.ndarray, gain: float) -> None:
        level = round(gain * 1024)
        if level == 1024:
            return
        lut = self._luts.get(level)
        if lut is None:
            lut = np.clip(np.arange(256) * (level / 1024) + 0.5, 0, 255).astype(np.uint8)
            if len(self._luts) < 4096:
                self._luts[level] = lut
        cv2.copyTo(cv2.LUT(roi, lut), self._screen_mask, roi)

    # ------------------------------------------------------------------ the tool

    def _tool_points(self, pose: ToolPose) -> np.ndarray:
        """The tool's outline points in deck mm (x, y, z): carriage corners, then per finger
        its arm's four corners, then per finger its tip centre and a point on its rim."""
        cx, cy, cz = pose.carriage
        w, h = CARRIAGE_SIZE_MM
        by = cy + CARRIAGE_OFFSET_MM
        x0, x1, y0, y1 = cx - w / 2, cx + w / 2, by - h / 2, by + h / 2
        # (one flat list: numpy makes an array of it twice as fast as of a list of tuples)
        flat = [x0, y0, cz, x1, y0, cz, x1, y1, cz, x0, y1, cz]
        a, r = ARM_WIDTH_MM / 2, FINGER_DIAMETER_MM / 2
        for x, y, z in pose.fingers:
            top = z + 0.5 * (cz - z)
            y_arm = y + r * 0.5
            flat += (x - a, y_arm, top, x + a, y_arm, top, x + a, y0, cz, x - a, y0, cz)
        for x, y, z in pose.fingers:
            flat += (x, y, z, x + r, y, z)
        return np.array(flat, np.float64).reshape(-1, 3)

    def _project_fast(self, p: np.ndarray) -> np.ndarray:
        """:meth:`project_deck` for a few points, with the deck -> camera map cached (the
        same model, in fewer numpy calls)."""
        m = self._deck_to_ideal
        h = p[:, :2] @ m[:, :2].T + m[:, 2]  # homogeneous ideal px
        c = self._c_array
        rel = h[:, :2] / h[:, 2:] - c  # ideal px - principal point
        height = self.options.camera_height_mm
        s = height / np.maximum(height + self.world.glass_z_mm - p[:, 2], 1.0)  # parallax
        k1, k2 = self._k
        if k1 or k2:  # radial distortion (:meth:`distort_px`)
            r2 = np.einsum("ij,ij->i", rel, rel) * (s * s / (self._f * self._f))
            s = s * (1 + k1 * r2 + k2 * r2 * r2)
        return rel * s[:, None] + c

    def _draw_pose(self, cam: np.ndarray, nf: int, layer: np.ndarray,
                   origin: tuple[int, int]) -> None:
        """Draw one pose (projected points ``cam``) into the four-channel ``layer``: colour
        over black, and coverage in the fourth channel (antialiasing blends every channel
        alike), back to front: carriage, arms, fingertips."""
        q = np.round((cam - origin) * 16).astype(np.int32)
        polys = [(q[0:4], _CARRIAGE)] + [(q[4 + 4 * i: 8 + 4 * i], _ARM) for i in range(nf)]
        for poly, colour in polys:
            cv2.fillPoly(layer, [poly], (*colour, 255), cv2.LINE_AA, 4)
        tips = cam[4 + 4 * nf:]
        for i in range(nf):
            c, rim = tips[2 * i], tips[2 * i + 1]
            rad = max(16, round(float(np.hypot(*(rim - c))) * 16))
            centre = (int(q[4 + 4 * nf + 2 * i, 0]), int(q[4 + 4 * nf + 2 * i, 1]))
            cv2.circle(layer, centre, rad, (*_SKIN, 255), -1, cv2.LINE_AA, 4)

    def _deck_seen_at(self, px: tuple[int, int], z: float) -> tuple[float, float]:
        """The deck (x, y) a point at height ``z`` must have to be seen at camera ``px``
        (:meth:`undistort_px`'s iteration, for one point in plain floats)."""
        cx, cy = self._c
        k1, k2 = self._k
        dx, dy = (px[0] - cx) / self._f, (px[1] - cy) / self._f
        nx, ny = dx, dy
        for _ in range(20):
            r2 = nx * nx + ny * ny
            g = 1 + k1 * r2 + k2 * r2 * r2
            if abs(dx / g - nx) + abs(dy / g - ny) < 1e-12:
                break
            nx, ny = dx / g, dy / g
        height = self.options.camera_height_mm
        s = height / max(height - (z - self.world.glass_z_mm), 1.0)
        fx, fy = cx + nx * self._f / s, cy + ny * self._f / s  # on the deck's plane
        if self._ideal_to_deck is None:
            self._ideal_to_deck = np.linalg.inv(self._deck_to_ideal).tolist()
        (a, b, c), (d, e, f), (g, h, i) = self._ideal_to_deck
        w = g * fx + h * fy + i
        return (a * fx + b * fy + c) / w, (d * fx + e * fy + f) / w

    def _sprite(self, shape: ShapeKey) -> ToolSprite:
        """The sprite of a tool shape (LRU-cached): the shape drawn with finger 0's tip
        exactly on its cell's centre pixel (a function of the key alone)."""
        sprite = self._sprites.get(shape)
        if sprite is not None:
            self._sprites.move_to_end(shape)
            return sprite
        centre = shape_cell_centre(shape)
        z_ref = self.world.glass_z_mm
        pose = shape_pose(shape, *self._deck_seen_at(centre, z_ref))
        nf = len(pose.fingers)
        cam = self._project_fast(self._tool_points(pose))
        ref = self._project_fast(np.array([[pose.fingers[0][0], pose.fingers[0][1], z_ref]]))[0]
        anchor = np.asarray(centre, np.float64)
        cam += anchor - ref  # the anchor point exactly on its pixel (off by far under a pixel)
        tips = cam[4 + 4 * nf:]
        pad = 2 + float(np.hypot(*(tips[1::2] - tips[0::2]).T).max())  # the largest tip
        x0 = math.floor(cam[:, 0].min() - pad)
        y0 = math.floor(cam[:, 1].min() - pad)
        x1 = math.ceil(cam[:, 0].max() + pad) + 1
        y1 = math.ceil(cam[:, 1].max() + pad) + 1
        layer = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)
        self._draw_pose(cam, nf, layer, (x0, y0))
        sprite = ToolSprite(x0 - int(anchor[0]), y0 - int(anchor[1]), layer)
        self._sprites[shape] = sprite
        if len(self._sprites) > _TOOL_SPRITES:
            self._sprites.popitem(last=False)
        logger.debug("camera: tool shape drawn (%d x %d px; %d kept)", x1 - x0, y1 - y0,
                     len(self._sprites))
        return sprite

    def _sprites_of(self, key: ToolKey) -> dict[ShapeKey, ToolSprite]:
        """The sprites of a key's shapes (each looked up once: a travelling tool's placements
        share one)."""
        sprites: dict[ShapeKey, ToolSprite] = {}
        for shape, _, _ in key:
            if shape not in sprites:
                sprites[shape] = self._sprite(shape)
        return sprites

    def _tool_key(self, s0: float, s1: float) -> ToolKey | None:
        """The tool over the exposure ``[s0, s1]``: instants about 1.5 px of travel apart (at
        most :data:`_MAX_TOOL_SAMPLES`; one if it stands still), each as (shape, anchor),
        grouped with counts (see :mod:`tapbot.sim.tool_sprites`); ``None`` before any pose."""
        known_key = self._tool_keys.get((s0, s1))
        if known_key is not None:
            return known_key
        key = self._tool_key_uncached(s0, s1)
        if key is not None:
            self._keep_tool_key(s0, s1, key)
        return key

    def _keep_tool_key(self, s0: float, s1: float, key: ToolKey) -> None:
        self._tool_keys[(s0, s1)] = key
        if len(self._tool_keys) > _TOOL_KEYS:
            self._tool_keys.popitem(last=False)

    def _tool_key_uncached(self, s0: float, s1: float) -> ToolKey | None:
        world = self.world
        rest = world.tool_at_rest(s0, s1)
        if rest is not None:
            known = self._rest_tool
            if known is not None and known[0] is rest:
                return known[1]
            key = self._tool_key_of([rest.pose_at(rest.t_end)])
            self._rest_tool = (rest, key)
            return key
        first, last = world.tool_pose_at(s0), world.tool_pose_at(s1)
        if first is None or last is None:
            return None
        if first != last:
            return self._tool_key_of(self._sampled_poses(s0, s1, self._samples(first, last),
                                                         first, last))
        # still: the same key as last time, most of the time
        still = self._still_tool
        if still is not None and still[0] == last:
            return still[1]
        key = self._tool_key_of([last])
        self._still_tool = (last, key)
        return key

    def _samples(self, first: ToolPose, last: ToolPose) -> int:
        """How many instants of an exposure to draw the tool at, from its poses at the start
        and the end: about 1.5 px of travel apart, from the start to the end."""
        a = self._tool_points(first)
        ab = self._project_fast(np.concatenate([a, self._tool_points(last)]))
        dx, dy = (ab[len(a):] - ab[:len(a)]).T
        # (x * x + y * y as numpy's sum over the pair gives it; its reduction over an axis of
        # two is several times slower)
        travel = float(np.sqrt((dx * dx + dy * dy).max()))
        return max(2, min(_MAX_TOOL_SAMPLES, math.ceil(travel / 1.5) + 1))

    def _prefetch_tool_keys(self, windows: list[tuple[float, float]]) -> None:
        """Work out at once the tool keys (:meth:`_tool_key`) of the exposures ``windows``
        where the tool moves: their travel (:meth:`_samples`) measured in one projection of
        all their outlines, not one per exposure (a travelling tool's frames each paid ~15 us
        in numpy's calls for it).

        A projection of many points rounds otherwise than one of a frame's own (numpy's
        matrix product), by ~1e-12 px; this changes the count of instants only where the
        travel lies within a hair of a multiple of 1.5 px: there the frame's own projection
        decides, as before."""
        world = self.world
        moving = []
        for s0, s1 in windows:
            if (s0, s1) in self._tool_keys or world.tool_at_rest(s0, s1) is not None:
                continue
            first, last = world.tool_pose_at(s0), world.tool_pose_at(s1)
            if first is not None and last is not None and first != last:
                moving.append((s0, s1, first, last))
        if len(moving) < 2:
            return
        outlines = [self._tool_points(pose) for *_, first, last in moving
                    for pose in (first, last)]
        size = len(outlines[0])
        if any(len(o) != size for o in outlines):
            return  # (one tool throughout, always: its outline's size does not change)
        ends = self._project_fast(np.concatenate(outlines)).reshape(len(moving), 2, size, 2)
        moved = ends[:, 1] - ends[:, 0]
        dx, dy = moved[..., 0], moved[..., 1]
        steps = (np.sqrt((dx * dx + dy * dy).max(axis=1)) / 1.5).tolist()
        for (s0, s1, first, last), q in zip(moving, steps, strict=True):
            if abs(q - round(q)) < _ROUNDING_MARGIN_PX:
                n = self._samples(first, last)  # the frame's own projection decides
            else:
                n = max(2, min(_MAX_TOOL_SAMPLES, math.ceil(q) + 1))
            self._keep_tool_key(s0, s1, self._tool_key_of(
                self._sampled_poses(s0, s1, n, first, last)))

    def _sampled_poses(self, s0: float, s1: float, n: int, first: ToolPose, last: ToolPose
                       ) -> list[ToolPose]:
        """The tool's poses at ``n`` instants evenly from ``s0`` to ``s1`` (those known),
        given its poses ``first`` at ``s0`` and ``last`` at ``s1``: the world is asked only
        for the instants between (and for the last one if it does not fall on ``s1``
        exactly). The world's pose of an instant does not depend on the others asked with
        it."""
        ts = [s0 + i / (n - 1) * (s1 - s0) for i in range(n)]
        inner = self.world.tool_poses_at(ts[1:-1])
        end = last if ts[-1] == s1 else self.world.tool_pose_at(ts[-1])
        return [p for p in (first, *inner, end) if p is not None]

    def _tool_key_of(self, poses: list[ToolPose]) -> ToolKey:
        """The tool key of instants at ``poses`` over an exposure (see :meth:`_tool_key`)."""
        anchors = self._anchors(poses)
        groups: dict[tuple[ShapeKey, tuple[int, int]], int] = {}
        for pose, (ax, ay) in zip(poses, anchors, strict=True):
            at = (shape_key(pose, (ax, ay)), (ax, ay))
            groups[at] = groups.get(at, 0) + 1
        return tuple((shape, anchor, count) for (shape, anchor), count in groups.items())

    def _anchors(self, poses: list[ToolPose]) -> list[tuple[int, int]]:
        """Each pose's anchor: the camera pixel (rounded) where finger 0 meets the glass's
        plane (a press does not move it).

        :meth:`_project_fast` rounded, computed here in plain floats (for a few points,
        several times faster than its numpy calls). The two differ by a few units in the
        last place (the order of the operations, numpy's matrix product), which changes a
        rounded pixel only within a hair of a half: there the numpy projection decides."""
        z_ref = self.world.glass_z_mm
        approx = [self._project_point(p.fingers[0][0], p.fingers[0][1], z_ref) for p in poses]
        if all(abs(v % 1.0 - 0.5) >= _ROUNDING_MARGIN_PX for xy in approx for v in xy):
            return [(round(x), round(y)) for x, y in approx]
        tips = np.array([(p.fingers[0][0], p.fingers[0][1], z_ref) for p in poses], np.float64)
        return np.round(self._project_fast(tips)).astype(np.int64).tolist()

    def _project_point(self, x: float, y: float, z: float) -> tuple[float, float]:
        """:meth:`_project_fast` of one point in plain floats (the same model and order of
        operations; not bit for bit: see :meth:`_anchors`)."""
        if self._deck_to_ideal_rows is None:
            self._deck_to_ideal_rows = self._deck_to_ideal.tolist()
        (a, b, c), (d, e, f), (g, h, i) = self._deck_to_ideal_rows
        cx, cy = self._c
        w = g * x + h * y + i
        rx, ry = (a * x + b * y + c) / w - cx, (d * x + e * y + f) / w - cy
        height = self.options.camera_height_mm
        s = height / max(height + self.world.glass_z_mm - z, 1.0)  # parallax
        k1, k2 = self._k
        if k1 or k2:  # radial distortion
            r2 = (rx * rx + ry * ry) * (s * s / (self._f * self._f))
            s = s * (1 + k1 * r2 + k2 * r2 * r2)
        return rx * s + cx, ry * s + cy

    def _tool_layer(self, key: ToolKey) -> ToolLayer | None:
        """The tool of ``key`` on the image (see :func:`tool_layer`), from a small cache."""
        if key in self._tool_layers:
            self._tool_layers.move_to_end(key)
            return self._tool_layers[key]
        drawn = tool_layer(key, self._sprites_of(key), self.size_px)
        self._tool_layers[key] = drawn
        if len(self._tool_layers) > _TOOL_LAYERS:
            self._tool_layers.popitem(last=False)
        return drawn

    def _luma_tool_layer(self, key: ToolKey) -> ToolLayer | None:
        """:meth:`_tool_layer` in luma: the gray of its colour, and its keep (the same in
        every channel), from a small cache."""
        if key in self._luma_tool_layers:
            self._luma_tool_layers.move_to_end(key)
            return self._luma_tool_layers[key]
        drawn = self._tool_layer(key)
        if drawn is not None:
            tx, ty, colour, keep = drawn
            drawn = (tx, ty, _luma(colour), _luma(keep))
        self._luma_tool_layers[key] = drawn
        if len(self._luma_tool_layers) > _TOOL_LAYERS:
            self._luma_tool_layers.popitem(last=False)
        return drawn

    # ------------------------------------------------------------------ frames

    def frame_time(self, k: int) -> float:
        """The capture time (exposure midpoint) of frame ``k``."""
        return k / self.fps + self.phase_s

    def render(self, k: int) -> Frame:
        """Frame ``k`` (exposure centred on :meth:`frame_time`), from a small cache of recent
        frames."""
        frame = self._frames.get(k)
        if frame is not None:
            return frame
        frame, complete = self._render(k)
        if complete:
            self._frames[k] = frame
            if len(self._frames) > _FRAME_CACHE:
                self._frames.popitem(last=False)
        return frame

    def _render(self, k: int) -> tuple[Frame, bool]:
        """Frame ``k``: its luma plane over the box of the screen and the tool now; its colour
        pixels (the box, then the whole image) when first asked for, from what the exposure
        saw (the display's screen images, the flicker, the tool, the noise entry: kept with
        the frame, so they are the same pixels however late they are made)."""
        t = self.frame_time(k)
        pose = self._pose_at(t)
        self._switch_pose(pose)
        now = self.world.clock.now()
        complete = t + self.exposure_s / 2 <= now + _EPS
        s0, s1 = self._exposure(k, now)
        spans = self._display_spans(s0, s1)
        shown = {key: self._luma_composite(key, when) for key, _, when in spans}
        screens = {key: screen for key, (_, screen) in shown.items()}
        display = self._blend(spans, lambda key, _: shown[key][0], self._luma_blends)
        gain = self.flicker_gain(s0, s1)
        tool = self._tool_key(s0, s1)
        bank = k % len(self._noise) if self._noise else None
        scene, box = self._scene_of(display, gain, tool, luma=True)
        luma = self._with_noise(scene, box, bank, luma=True)
        seen = (pose, spans, screens, gain, tool, bank)
        # (made once when first asked for: by the box, the points or the whole image)
        colour = functools.cache(functools.partial(self._colour_part, *seen))
        outside = self._background if bank is None else self._noisy_background(bank)
        # the whole image is made only if asked for: the runner's views read the luma box
        frame = Frame(None, t, k, make=functools.partial(_whole, outside, box, colour),
                      part=colour, luma=(box[0].start, box[1].start, luma),
                      at=functools.partial(self._colour_at, *seen), shape=outside.shape)
        return frame, complete

    def _colour_part(self, pose: ScreenPose, spans: Spans, screens: dict[Hashable, np.ndarray],
                     gain: float, tool: ToolKey | None, bank: int | None) -> Part:
        """A frame's colour pixels in its box (top row, left column, pixels) from what its
        exposure saw (see :meth:`_render`)."""
        self._switch_pose(pose)
        display = self._blend(spans, lambda key, when: self._composite(key, when, screens[key]),
                              self._blends)
        scene, box = self._scene_of(display, gain, tool)
        return box[0].start, box[1].start, self._with_noise(scene, box, bank)

    def _colour_at(self, pose: ScreenPose, spans: Spans, screens: dict[Hashable, np.ndarray],
                   gain: float, tool: ToolKey | None, bank: int | None, rows: np.ndarray,
                   cols: np.ndarray) -> np.ndarray | None:
        """A frame's colour pixels at the points (``rows``, ``cols``) of the point set in use
        (:meth:`pixels`), rendered there alone: the same values as its whole image there.
        ``None`` for other points."""
        self._switch_pose(pose)
        pts = self._point_sets.get(id(rows))
        if pts is None or pts.source is not rows or pts.xs_source is not cols:
            return None
        screen = self._blend(spans, lambda key, when: pts.composite(key, when, screens[key]),
                             pts.blends)
        values = self._scene_points(pts, screen, gain, tool)
        return values if bank is None else pts.with_noise(values, bank)

    def _with_noise(self, scene: np.ndarray, box: tuple[slice, slice], bank: int | None,
                    luma: bool = False) -> np.ndarray:
        """The image's ``box`` showing ``scene`` (the image's box, outside which it is the
        background) plus the noise bank's entry ``bank`` (``None``: no noise), read-only;
        ``luma``: of the luma plane. The frames of a still scene that draw the same entry
        share it: whoever looks at them (a rectifier, a change detector caching by identity)
        does the work once."""
        noisy = self._luma_noisy if luma else self._noisy
        for shown, entry, part in noisy:
            if shown is scene and entry == bank:
                return part
        if bank is None:
            part = scene
        else:
            pos, neg = (self._luma_noise if luma else self._noise)[bank]
            part = cv2.add(scene, pos[box])
            cv2.subtract(part, neg[box], part)
            part.setflags(write=False)
        noisy.append((scene, bank, part))
        return part

    def _noisy_background(self, bank: int) -> np.ndarray:
        """The background (of the pose in use) plus the noise bank's entry ``bank``."""
        known = self._noisy_backgrounds.get(bank)
        if known is not None and known[0] is self._background:
            return known[1]
        pos, neg = self._noise[bank]
        img = cv2.add(self._background, pos)
        cv2.subtract(img, neg, img)
        self._noisy_backgrounds[bank] = (self._background, img)
        return img

    def _scene_of(self, display: np.ndarray, gain: float, tool: ToolKey | None,
                  luma: bool = False) -> tuple[np.ndarray, tuple[slice, slice]]:
        """The image of an exposure before sensor noise (read-only), from the screen's box it
        saw (``display``), its flicker gain and its tool: background, screen, flicker, tool
        (``luma``: of the luma plane); a still scene is drawn once. Only its box where it is
        not the background (the screen's box and the tool's) is drawn: with that box."""
        scenes = self._luma_scenes if luma else self._scenes
        for shown, drawn_tool, drawn_gain, image, box in scenes:
            if shown is display and drawn_gain == gain and drawn_tool == tool:
                return image, box
        rows, cols = self._roi
        y0, y1, x0, x1 = rows.start, rows.stop, cols.start, cols.stop
        drawn = None if tool is None else \
            self._luma_tool_layer(tool) if luma else self._tool_layer(tool)
        if drawn is not None:
            tx, ty, colour, keep = drawn
            th, tw = colour.shape[:2]
            y0, y1, x0, x1 = min(y0, ty), max(y1, ty + th), min(x0, tx), max(x1, tx + tw)
        box = (slice(y0, y1), slice(x0, x1))
        img = (self._luma_background if luma else self._background)[box].copy()
        roi = img[rows.start - y0:rows.stop - y0, cols.start - x0:cols.stop - x0]
        roi[:] = display
        if gain != 1.0:
            self._apply_flicker(roi, gain)
        if drawn is not None:
            part = img[ty - y0:ty - y0 + th, tx - x0:tx - x0 + tw]
            # antialiased and blurred edges: colour was drawn over black (premultiplied)
            cv2.multiply(part, keep, part, scale=1 / 255)
            cv2.add(part, colour, part)
        img.setflags(write=False)
        scenes.append((display, tool, gain, img, box))
        return img, box

    # ------------------------------------------------------------------ Camera API

    def setup(self) -> None:
        logger.debug("sim camera ready: %s px at %.1f fps", self.size_px, self.fps)

    def stop(self) -> None:
        if self._replica is not None:
            self._replica.close()
            self._replica = None
        self._pixel_calls = 0
        self._replica_failed = False
        self._composites.clear()
        self._last_composite = None
        self._blends.clear()
        self._luma_composites.clear()
        self._last_luma_composite = None
        self._luma_blends.clear()
        self._luma_tool_layers.clear()
        self._luma_scenes.clear()
        self._luma_noisy.clear()
        self._sprites.clear()
        self._tool_layers.clear()
        self._still_tool = None
        self._rest_tool = None
        self._tool_keys.clear()
        self._scenes.clear()
        self._noisy.clear()
        self._noisy_backgrounds.clear()
        self._frames.clear()
        self._other_poses.clear()

    def frames(self, since: float, until: float, min_interval_s: float = 0.0) -> list[Frame]:
        """Frames captured in ``(since, until]``, oldest first, thinned to ``min_interval_s``."""
        now = self.world.clock.now()
        if self.interval_is_empty(since, until, now):
            return []
        return [self.render(k) for k in self.frame_indices(since, until, min_interval_s)]

    def frame_stamps(self, since: float, until: float, min_interval_s: float = 0.0
                     ) -> list[tuple[int, float]]:
        """``(index, capture time)`` of the frames :meth:`frames` would render, rendering
        none."""
        if self.interval_is_empty(since, until, self.world.clock.now()):
            return []
        return [(k, self.frame_time(k)) for k in self.frame_indices(since, until, min_interval_s)]

    def frame_indices(self, since: float, until: float, min_interval_s: float = 0.0) -> range:
        """The indices of the frames captured in ``(since, until]``, thinned to
        ``min_interval_s`` (multiples of :meth:`thinning_stride`)."""
        k0 = max(0, math.floor((since - self.phase_s) * self.fps + _EPS) + 1)
        k1 = math.floor((until - self.phase_s) * self.fps + _EPS)
        n = self.thinning_stride(min_interval_s)
        return range(-(-k0 // n) * n, k1 + 1, n)  # from the first multiple of n at k0 or after

    def pixels(self, since: float, until: float, points: tuple[np.ndarray, np.ndarray],
               min_interval_s: float = 0.0) -> list[PixelSample]:
        """The pixels at camera ``points`` of the frames :meth:`frames` would hand, rendered
        at those points only: exactly ``frame.image[points]``, at a small part of the cost
        (:meth:`pixels_here`). With ``worker`` (the default, where the platform can fork), a
        run that keeps asking has them rendered by a copy of the twin in a second process,
        as the clock advances (:mod:`tapbot.sim.replica`); the values are the same.

        A batch of at most :data:`HERE_FRAMES` frames, wanted at once, is rendered here: the
        copy may still be busy with the frames before it (the robot's travel, whose frames
        cost the most), and the caller would wait longer than rendering them takes."""
        if len(self.frame_indices(since, until, min_interval_s)) <= HERE_FRAMES:
            return self.pixels_here(since, until, points, min_interval_s)
        return self.pixels_later(since, until, points, min_interval_s)()

    def pixels_later(self, since: float, until: float, points: tuple[np.ndarray, np.ndarray],
                     min_interval_s: float = 0.0) -> Callable[[], list[PixelSample]]:
        """:meth:`pixels`, asked for now and collected later: with the twin's copy, it
        renders them meanwhile. The samples are the frames' as of now (a frame whose exposure
        has not ended shows the scene so far), however late they are collected."""
        if self._replica is None and self.options.worker and not self._replica_failed:
            self._pixel_calls += 1
            if self._pixel_calls >= REPLICA_AFTER_CALLS and replica.can_copy(self.world):
                self._replica = replica.TwinReplica(self)
        pending = self._replica.request(since, until, points, min_interval_s) \
            if self._replica is not None else None
        if pending is None:
            self._replica_gone()
            got = self.pixels_here(since, until, points, min_interval_s)
            return lambda: got

        def collect() -> list[PixelSample]:
            got = pending()
            if got is not None:
                return got
            self._replica_gone()
            # (rendered as of now: a frame whose exposure had not ended when asked for is
            # whole by now; a run asks for ended ones)
            return self.pixels_here(since, until, points, min_interval_s)

        return collect

    @property
    def replica(self) -> replica.TwinReplica | None:
        """The twin's copy in its second process, if there is one now."""
        return self._replica

    def pixel_sink(self, sink: PixelSink) -> SinkLink:
        """Run ``sink`` in the twin's copy once one holds it (a copy forked after this call),
        fed the samples the copy renders: see :class:`~tapbot.sim.replica.TwinSinkLink`."""
        for link in self.sink_links:
            if link.sink is sink:
                return link
        link = replica.TwinSinkLink(self, sink, len(self.sink_links))
        self.sink_links.append(link)
        return link

    def _replica_gone(self) -> None:
        """The copy stopped (said once in the log): render here, and do not copy again this
        run."""
        if self._replica is not None:
            self._replica = None
            self._replica_failed = True

    @property
    def worker_pid(self) -> int | None:
        """The process id of the twin's copy rendering the point samples (None: none)."""
        return self._replica.pid if self._replica is not None and self._replica.alive else None

    def pixels_here(self, since: float, until: float, points: tuple[np.ndarray, np.ndarray],
                    min_interval_s: float = 0.0) -> list[PixelSample]:
        """:meth:`pixels` rendered in this process: exactly ``frame.image[points]``.

        The batch is rendered at one instant of the world: display keys are looked up once per
        refresh, the tool keys of its moving frames are worked out together
        (:meth:`_prefetch_tool_keys`), a still scene is composed once, and the sensor noise is
        added to all frames at once."""
        now = self.world.clock.now()
        if self.interval_is_empty(since, until, now):
            return []
        pts = self._points_for(points)  # checks the points now, even if every frame is cached
        ks = self.frame_indices(since, until, min_interval_s)
        values = np.empty((len(ks), len(pts.ys), 3), np.uint8)
        keys: dict[int, Hashable] = {}
        noisy: dict[int, tuple[_Points, list[int], list[int]]] = {}  # by point set: rows, bank
        # (row, frame, point set or None: read off a whole frame) made now
        made: list[tuple[int, int, _Points | None]] = []
        for i, k in enumerate(ks):
            if i % _PREFETCH == 0 and len(ks) > 1:
                self._prefetch_tool_keys([self._exposure(j, now) for j in ks[i:i + _PREFETCH]
                                          if j not in self._frames])
            frame = self._frames.get(k)
            if frame is not None and frame.part_made:
                values[i] = frame.at(pts.ys, pts.xs)
                made.append((i, k, None))
                continue
            self._use_pose(self.frame_time(k))
            pts = self._points_for(points)
            known = pts.ended.get(k)
            if known is not None:
                values[i] = known
                continue
            values[i] = self._scene_at_points(k, pts, keys)
            made.append((i, k, pts))
            if pts.noise is not None:
                _, rows, bank = noisy.setdefault(id(pts), (pts, [], []))
                rows.append(i)
                bank.append(k % len(pts.noise[0]))
        for pts, rows, bank in noisy.values():
            values[rows] = pts.with_noise(values[rows], bank)
        values.setflags(write=False)  # (kept, and shared by the samples)
        out = [PixelSample(values[i], self.frame_time(k), k) for i, k in enumerate(ks)]
        # the frames made now whose exposure ended: final, kept (those rendered at the
        # points) and offered to the copy, which need not render them
        ended = now - self.exposure_s / 2 + _EPS
        copy = self._replica
        offer = copy is not None and copy.alive and copy.holds(points)
        for i, k, kept_in in made:
            if out[i].t <= ended:
                if kept_in is not None:
                    kept_in.keep_ended(k, values[i])
                if offer:
                    copy.offer(k, out[i].t, values[i])
        return out

    def _points_for(self, points: tuple[np.ndarray, np.ndarray]) -> _Points:
        """The point set of ``points`` for the pose in use (one set in use at a time)."""
        pts = self._point_sets.get(id(points[0]))
        if pts is None or pts.source is not points[0]:
            pts = _Points(self, points)
            self._point_sets = {id(points[0]): pts}
        return pts

    def _exposure(self, k: int, now: float) -> tuple[float, float]:
        """Frame ``k``'s exposure as known at ``now`` (cut short at ``now``)."""
        t = self.frame_time(k)
        half = self.exposure_s / 2
        s0 = t - half
        return s0, max(min(t + half, now), s0)

    def _scene_at_points(self, k: int, pts: _Points, keys: dict[int, Hashable]) -> np.ndarray:
        """:meth:`_scene` of frame ``k`` at ``pts`` only (same operations on the same pixels),
        before noise; read-only, shared while the scene stays the same."""
        s0, s1 = self._exposure(k, self.world.clock.now())
        screen = self._display(s0, s1, pts, keys)
        gain = self.flicker_gain(s0, s1)
        tool = self._tool_key(s0, s1)
        last = pts.last_scene
        if last is not None and last[0] is screen and last[2] == gain and last[1] == tool:
            return last[3]  # a still scene: only the noise differs
        values = self._scene_points(pts, screen, gain, tool)
        values.setflags(write=False)
        pts.last_scene = (screen, tool, gain, values)
        return values

    def _scene_points(self, pts: _Points, screen: np.ndarray, gain: float,
                      tool: ToolKey | None) -> np.ndarray:
        """The scene at ``pts`` before sensor noise: background, screen, flicker, tool."""
        if len(pts.in_roi) == len(pts.ys):  # all in the screen's box (a grid on the screen)
            values = screen.copy()
        else:
            values = pts.background.copy()
            values[pts.in_roi] = screen
        if gain != 1.0:
            level = round(gain * 1024)
            if level != 1024:
                lut = np.clip(np.arange(256) * (level / 1024) + 0.5, 0, 255).astype(np.uint8)
                values[pts.on_screen] = lut[values[pts.on_screen]]
        if tool is not None:
            if pts.tool is None or pts.tool[0] != tool:
                hit, colour, keep = tool_at_points(tool, self._sprites_of(tool), pts.ys, pts.xs)
                # the values of the points hit, as indices into the (points x 3) values read
                # flat: numpy gathers scalars several times faster than rows of three
                at = (hit[:, None] * 3 + np.arange(3)).ravel()
                pts.tool = (tool, at, colour.reshape(-1), keep.reshape(-1))
            _, at, colour, keep = pts.tool
            if len(at):
                # (the same element-wise operations as on the image)
                flat = values.reshape(-1)
                v = flat[at]
                cv2.multiply(v, keep, v, scale=1 / 255)
                cv2.add(v, colour, v)
                flat[at] = v
        return values

    def latest(self) -> Frame:
        """The last frame captured at or before now (frame 0 before the first capture)."""
        k = max(0, math.floor((self.world.clock.now() - self.phase_s) * self.fps + _EPS))
        return self.render(k)
