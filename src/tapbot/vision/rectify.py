"""Camera frame -> screen view: a gray image in the device's screen pixels times ``scale``.

Coordinates follow OpenCV's pixel-centre convention: pixel ``(i, j)`` covers ``[i-0.5, i+0.5]``.
The view is the screen shrunk about its outer edges, so screen pixel centre ``x`` maps to view
``(x + 0.5) * scale - 0.5`` and the view's border coincides with the screen's border.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable

import cv2
import numpy as np

from tapbot.core.calibration import Calibration
from tapbot.core.errors import VisionError
from tapbot.core.frames import Frame
from tapbot.core.geometry import Homography
from tapbot.vision.lens import RadialDistortion

__all__ = ["ScreenRectifier", "to_gray"]

logger = logging.getLogger(__name__)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as a 2-D uint8 gray array (BGR, BGRA or gray input)."""
    if not isinstance(image, np.ndarray):
        raise VisionError(
            f"expected a numpy image, got {type(image).__name__}",
            hint="pass Frame.image (an H x W or H x W x 3 uint8 array)",
        )
    if image.dtype != np.uint8:
        raise VisionError(
            f"expected a uint8 image, got dtype {image.dtype}",
            hint="convert with image.astype(np.uint8) after scaling to 0..255",
        )
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise VisionError(
        f"expected an H x W gray or H x W x 3 BGR image, got shape {image.shape}",
        hint="pass Frame.image from a camera",
    )


class ScreenRectifier:
    """Warps camera frames into a gray screen view: the device's screen pixels times ``scale``.

    ``camera_to_screen`` maps camera px to device screen px (``Calibration.camera_to_screen_h``);
    ``screen_px`` is the device screen's ``(width, height)``. The view is
    ``view_size_px = (round(W * scale), round(H * scale))``; areas the camera does not see are
    black. With a lens ``distortion`` the homography maps *ideal* camera px and the view is
    split in tiles, each sampled by the homography that is exact at its corners: worked out
    once per image size into one map, so a view is one remap.
    """

    def __init__(
        self, camera_to_screen: Homography, screen_px: tuple[int, int], scale: float = 0.25,
        distortion: RadialDistortion | None = None,
    ) -> None:
        if not isinstance(camera_to_screen, Homography):
            raise VisionError(
                f"camera_to_screen must be a Homography, got {type(camera_to_screen).__name__}",
                hint="pass Calibration.camera_to_screen_h",
            )
        if (
            len(screen_px) != 2
            or not all(isinstance(v, int | np.integer) for v in screen_px)
            or min(screen_px) <= 0
        ):
            raise VisionError(
                f"screen_px must be two positive integers (width, height), got {screen_px!r}",
                hint="use DeviceProfile's screen size in pixels",
            )
        if not math.isfinite(scale) or scale <= 0 or scale > 4:
            raise VisionError(
                f"scale must be in (0, 4], got {scale!r}", hint="use e.g. 0.25 for a quarter view"
            )
        self.scale = float(scale)
        self.screen_px = (int(screen_px[0]), int(screen_px[1]))
        self.view_size_px = (
            max(1, round(self.screen_px[0] * self.scale)),
            max(1, round(self.screen_px[1] * self.scale)),
        )
        s = self.scale
        off = 0.5 * s - 0.5
        self._screen_to_view = np.array([[s, 0.0, off], [0.0, s, off], [0.0, 0.0, 1.0]])
        self._camera_to_view = self._screen_to_view @ camera_to_screen.matrix
        self.camera_to_screen = camera_to_screen
        self._rois: dict[tuple, tuple[int, int, int, int, np.ndarray]] = {}
        self.distortion = distortion
        self._tiles: list[tuple[int, int, int, int, np.ndarray]] | None = None
        if distortion is not None and distortion.kappa != 0.0:
            self._tiles = self._lens_tiles(distortion)

    def _lens_tiles(self, distortion: RadialDistortion, max_error_px: float = 0.1
                    ) -> list[tuple[int, int, int, int, np.ndarray]]:
        """Split the view into tiles, each warped by its own homography (view tile -> seen
        camera px, exact at the tile's corners): as fast as one warp, and within
        ``max_error_px`` (camera px) of the exact lens mapping (more tiles until it is)."""
        vw, vh = self.view_size_px
        to_ideal = Homography(self._camera_to_view).inverse()

        def seen(view_pts: np.ndarray) -> np.ndarray:
            return distortion.distort(to_ideal.apply(view_pts))

        for n in (4, 8, 16, 32, 64):
            cols, rows = max(1, round(n * vw / max(vw, vh))), max(1, round(n * vh / max(vw, vh)))
            xs = np.linspace(0, vw, cols + 1).round().astype(int)
            ys = np.linspace(0, vh, rows + 1).round().astype(int)
            tiles, worst = [], 0.0
            for y0, y1 in itertools.pairwise(ys):
                for x0, x1 in itertools.pairwise(xs):
                    if x1 <= x0 or y1 <= y0:
                        continue
                    local = np.array([[0, 0], [x1 - x0, 0], [x1 - x0, y1 - y0], [0, y1 - y0]],
                                     np.float64) - 0.5
                    off = np.array([x0, y0], np.float64)
                    cam = seen(local + off)
                    m = cv2.getPerspectiveTransform(local.astype(np.float32),
                                                    cam.astype(np.float32)).astype(np.float64)
                    probe = np.array([[(x1 - x0) / 2, (y1 - y0) / 2], [(x1 - x0) / 2, 0],
                                      [0, (y1 - y0) / 2]]) - 0.5
                    approx = Homography(m).apply(probe)
                    worst = max(worst, float(np.abs(approx - seen(probe + off)).max()))
                    tiles.append((x0, y0, x1, y1, m))
            if worst <= max_error_px:
                break
        logger.debug("lens rectification: %d tiles, worst %.3f camera px", len(tiles), worst)
        return tiles

    @classmethod
    def for_calibration(cls, calibration: Calibration, screen_px: tuple[int, int],
                        scale: float = 0.25) -> ScreenRectifier:
        """The rectifier a calibration describes (its homography and lens distortion)."""
        dist = (RadialDistortion.from_list(calibration.camera_distortion)
                if calibration.camera_distortion else None)
        return cls(calibration.camera_to_screen_h, screen_px, scale, dist)

    @staticmethod
    def camera_sampling(camera_to_screen: Homography, screen_px: tuple[int, int]) -> float:
        """Camera px per screen px along the screen's height (where the camera sees it
        coarsest): a view finer than this adds cost and no information."""
        w, h = screen_px
        to_cam = camera_to_screen.inverse()
        left = to_cam.apply(np.array([[0.0, 0.0], [0.0, float(h)]]))
        right = to_cam.apply(np.array([[float(w), 0.0], [float(w), float(h)]]))
        seen = min(float(np.linalg.norm(left[1] - left[0])),
                   float(np.linalg.norm(right[1] - right[0])))
        return seen / h

    @property
    def camera_to_view(self) -> Homography:
        """The combined map camera px -> view px used by :meth:`view`."""
        return Homography(self._camera_to_view)

    def _roi(self, shape: tuple[int, ...]) -> tuple[int, int, int, int, np.ndarray]:
        """The camera-image box the view samples from, and the warp from that box."""
        cached = self._rois.get(shape[:2])
        if cached is not None:
            return cached
        ih, iw = shape[:2]
        vw, vh = self.view_size_px
        corners = np.array([[-1.0, -1.0], [vw, -1.0], [vw, vh], [-1.0, vh]])
        cam = Homography(self._camera_to_view).inverse().apply(corners)
        if np.all(np.isfinite(cam)):
            x0 = int(np.clip(np.floor(cam[:, 0].min()) - 2, 0, iw))
            y0 = int(np.clip(np.floor(cam[:, 1].min()) - 2, 0, ih))
            x1 = int(np.clip(np.ceil(cam[:, 0].max()) + 3, x0, iw))
            y1 = int(np.clip(np.ceil(cam[:, 1].max()) + 3, y0, ih))
        else:  # the view's edge maps to infinity: sample the whole image
            x0, y0, x1, y1 = 0, 0, iw, ih
        shift = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
        out = (x0, y0, x1, y1, self._camera_to_view @ shift)
        self._rois[shape[:2]] = out
        return out

    def view(self, image: np.ndarray) -> np.ndarray:
        """Rectify a BGR or gray camera image into a uint8 gray ``(h, w)`` screen view.

        Only the box of the camera image that the view samples from is converted to gray.
        """
        if not isinstance(image, np.ndarray) or image.ndim < 2:
            to_gray(image)  # raises the right VisionError
        return self._view(image.shape, lambda rows, cols: to_gray(image[rows, cols]))

    def view_of(self, frame: Frame) -> np.ndarray:
        """:meth:`view` of ``frame``'s image, reading only the box the view samples from
        (:meth:`Frame.region <tapbot.core.frames.Frame.region>`: a camera that rendered only
        that part need not make the whole image), and the camera's own luma plane there if it
        handed one (:meth:`Frame.luma_region <tapbot.core.frames.Frame.luma_region>`: no
        colour pixels made or converted)."""

        def gray(rows: slice, cols: slice) -> np.ndarray:
            luma = frame.luma_region(rows, cols)
            return luma if luma is not None else to_gray(frame.region(rows, cols))

        return self._view(frame.shape, gray)

    def _view(self, shape: tuple[int, ...],
              gray_region: Callable[[slice, slice], np.ndarray]) -> np.ndarray:
        """The view of an image of ``shape`` whose gray pixels in a box ``gray_region``
        gives."""
        if self._tiles is not None:
            return self._view_through_lens(shape, gray_region)
        x0, y0, x1, y1, warp = self._roi(shape)
        if x1 <= x0 or y1 <= y0:  # the screen lies outside this image
            return np.zeros((self.view_size_px[1], self.view_size_px[0]), np.uint8)
        gray = gray_region(slice(y0, y1), slice(x0, x1))
        return cv2.warpPerspective(
            gray,
            warp,
            self.view_size_px,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )

    def _view_through_lens(self, shape: tuple[int, ...],
                           gray_region: Callable[[slice, slice], np.ndarray]) -> np.ndarray:
        assert self._tiles is not None
        ih, iw = shape[:2]
        key = ("lens", ih, iw)
        box = self._rois.get(key)
        if box is None:
            box = self._rois[key] = self._lens_maps(ih, iw)
        bx0, by0, bx1, by1, map_x, map_y = box
        if bx1 <= bx0 or by1 <= by0:
            return np.zeros((self.view_size_px[1], self.view_size_px[0]), np.uint8)
        gray = gray_region(slice(by0, by1), slice(bx0, bx1))
        return cv2.remap(gray, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=0)

    def _lens_maps(self, ih: int, iw: int
                   ) -> tuple[int, int, int, int, np.ndarray, np.ndarray]:
        """The camera box the view samples from (``ih`` x ``iw`` images) and, per view
        pixel, where it samples in that box: the tiles' homographies (exact at their
        corners, within 0.1 camera px between) worked out once, so a view is one remap
        rather than a warp per tile."""
        assert self._tiles is not None
        vw, vh = self.view_size_px
        map_x = np.empty((vh, vw), np.float32)
        map_y = np.empty((vh, vw), np.float32)
        for x0, y0, x1, y1, m in self._tiles:
            ys, xs = np.mgrid[0:y1 - y0, 0:x1 - x0].astype(np.float64)
            w = m[2, 0] * xs + m[2, 1] * ys + m[2, 2]
            map_x[y0:y1, x0:x1] = (m[0, 0] * xs + m[0, 1] * ys + m[0, 2]) / w
            map_y[y0:y1, x0:x1] = (m[1, 0] * xs + m[1, 1] * ys + m[1, 2]) / w
        seen = np.isfinite(map_x) & np.isfinite(map_y)
        if not seen.any():
            return 0, 0, 0, 0, map_x, map_y
        bx0 = int(np.clip(np.floor(map_x[seen].min()) - 2, 0, iw))
        by0 = int(np.clip(np.floor(map_y[seen].min()) - 2, 0, ih))
        bx1 = int(np.clip(np.ceil(map_x[seen].max()) + 3, bx0, iw))
        by1 = int(np.clip(np.ceil(map_y[seen].max()) + 3, by0, ih))
        map_x -= bx0
        map_y -= by0
        map_x[~seen] = -1e6  # (outside: the border's black)
        map_y[~seen] = -1e6
        return bx0, by0, bx1, by1, map_x, map_y

    def screen_to_view(self, x_px: float, y_px: float) -> tuple[float, float]:
        """Map a device screen point (px) to view px."""
        s = self.scale
        return (x_px + 0.5) * s - 0.5, (y_px + 0.5) * s - 0.5

    def view_to_screen(self, x_px: float, y_px: float) -> tuple[float, float]:
        """Map a view point (px) back to device screen px (inverse of :meth:`screen_to_view`)."""
        s = self.scale
        return (x_px + 0.5) / s - 0.5, (y_px + 0.5) / s - 0.5
