"""A grid of screen points picked out of raw camera frames: a cheap look at every frame.

The thinned, rectified views the other monitors use cost a warp each; a monitor that must see
every frame (a glitch lasts a few display frames) reads a few thousand pixels instead, at the
camera pixels that image a fixed grid of screen points (through the calibration's homography
and lens).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tapbot.core.calibration import Calibration
from tapbot.core.frames import PixelSample
from tapbot.vision import RadialDistortion


class FrameSampler:
    """``cols`` x ``rows`` screen points over the screen below ``top_frac`` (the status bar),
    row by row; :meth:`sample` returns their colours in a camera frame."""

    def __init__(self, calibration: Calibration, screen_px: tuple[int, int],
                 top_frac: float = 0.13, cols: int = 24, rows: int = 48) -> None:
        w, h = screen_px
        xs = (np.arange(cols) + 0.5) / cols * w
        ys = top_frac * h + (np.arange(rows) + 0.5) / rows * (1.0 - top_frac) * h
        gx, gy = np.meshgrid(xs, ys)
        screen = np.stack([gx.ravel(), gy.ravel()], axis=1)
        self.screen_points = screen  # (x, y) screen px per point, row by row
        cam = calibration.camera_to_screen_h.inverse().apply(screen)
        if calibration.camera_distortion:
            cam = RadialDistortion.from_list(calibration.camera_distortion).distort(cam)
        self._cam = np.round(cam).astype(np.int64)
        self.rows = rows
        self.cols = cols
        self._top_px = top_frac * h
        self._row_px = (1.0 - top_frac) * h / rows
        self._points: tuple[np.ndarray, np.ndarray] | None = None
        self._size: tuple[int, int] | None = None

    def points(self, size_px: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The grid's camera pixels in a ``(width, height)`` frame as ``(rows, cols)`` index
        arrays (clipped to the frame), for :meth:`tapbot.cameras.base.Camera.pixels`."""
        if self._points is None or self._size != size_px:
            w, h = size_px
            x = np.clip(self._cam[:, 0], 0, w - 1)
            y = np.clip(self._cam[:, 1], 0, h - 1)
            self._points, self._size = (y, x), size_px
        return self._points

    def rows_between(self, y0_px: float, y1_px: float) -> tuple[int, int]:
        """The grid rows (first, last) nearest the screen rows ``y0_px..y1_px`` (either
        order): where a touch went, for
        :meth:`~tapbot.monitors.glitch.GlitchWatch.touched`."""
        lo, hi = sorted((y0_px, y1_px))
        first = (lo - self._top_px) / self._row_px - 0.5
        last = (hi - self._top_px) / self._row_px - 0.5
        clip = self.rows - 1
        return (min(clip, max(0, int(np.floor(first)))),
                min(clip, max(0, int(np.ceil(last)))))

    def sample(self, image: np.ndarray) -> np.ndarray:
        """The grid's pixels of a camera frame: ``(rows * cols, channels)`` int16."""
        h, w = image.shape[:2]
        return as_sample(image[self.points((w, h))])


def as_samples(samples: Sequence[PixelSample], points: np.ndarray | None = None
               ) -> np.ndarray:
    """:func:`as_sample` of each of ``samples`` (at ``points`` only, an index or a mask of
    the grid's, if given), stacked: ``(frames, points, channels)`` int16."""
    values = np.stack([s.values for s in samples])
    if values.ndim == 2:
        values = values[:, :, None]
    if points is not None:
        values = values[:, points]
    return values.astype(np.int16)


def as_sample(values: np.ndarray) -> np.ndarray:
    """Pixel values picked at the grid (``image[points]`` or a
    :class:`~tapbot.core.frames.PixelSample`'s) as the ``(points, channels)`` int16 array
    :class:`~tapbot.monitors.glitch.GlitchWatch` compares."""
    if values.ndim == 1:
        values = values[:, None]
    return values.astype(np.int16)
