"""Frames carry time (DESIGN rule 3): pixels plus the capture time on the rig's clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


class Frame:
    """One camera image (H x W x 3 BGR uint8, or H x W gray) captured at ``t`` seconds.

    Read-only once made. A camera may hand a frame whose whole image is made only when first
    asked for (``make``, an image of ``shape``), with the part of it the camera has already
    (``part``: its top row, left column and pixels): :meth:`region` and :meth:`at` read that
    part without making the whole (the twin's camera renders the screen's box of each frame; the
    runner's looks read only that box).
    """

    __slots__ = ("_image", "_make", "_part", "_shape", "index", "t")

    def __init__(self, image: np.ndarray | None, t: float, index: int, *,
                 make: Callable[[], np.ndarray] | None = None,
                 part: tuple[int, int, np.ndarray] | None = None,
                 shape: tuple[int, ...] | None = None) -> None:
        if image is None and (make is None or shape is None):
            raise ValueError("a frame needs its image, or how to make it and its shape")
        setattr_ = object.__setattr__
        setattr_(self, "_image", image)
        setattr_(self, "_make", make)
        setattr_(self, "_part", part)
        setattr_(self, "_shape", tuple(image.shape) if image is not None else tuple(shape))
        setattr_(self, "t", t)
        setattr_(self, "index", index)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Frame is read-only (cannot set {name!r})")

    def __reduce__(self) -> tuple:
        return Frame, (self.image, self.t, self.index)

    def __repr__(self) -> str:
        return f"Frame(t={self.t!r}, index={self.index!r}, shape={self._shape})"

    @property
    def image(self) -> np.ndarray:
        """The whole image (made on first use when the camera handed it so)."""
        image = self._image
        if image is None:
            image = self._make()  # type: ignore[misc]
            object.__setattr__(self, "_image", image)
            object.__setattr__(self, "_make", None)
        return image

    @property
    def shape(self) -> tuple[int, ...]:
        """The image's shape, without making it."""
        return self._shape

    @property
    def size_px(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self._shape[1]), int(self._shape[0])

    @property
    def pixels_key(self) -> np.ndarray:
        """An object that stands for this frame's pixels: frames with the same key (by
        identity) show the same image, if it is read-only (a camera may hand one image for
        several frames of a still scene; whoever looks at them may do the work once)."""
        if self._part is not None:
            return self._part[2]
        return self.image

    def region(self, rows: slice, cols: slice) -> np.ndarray:
        """``image[rows, cols]`` (non-negative bounds, steps of 1), from the camera's part
        when it holds them all."""
        part = self._part
        if part is not None and self._image is None:
            y0, x0, pixels = part
            h, w = pixels.shape[:2]
            if rows.start >= y0 and cols.start >= x0 and rows.stop <= y0 + h and \
                    cols.stop <= x0 + w:
                return pixels[rows.start - y0:rows.stop - y0, cols.start - x0:cols.stop - x0]
        return self.image[rows, cols]

    @property
    def part(self) -> tuple[int, int, np.ndarray] | None:
        """The part of the image the camera handed with the frame (top row, left column,
        pixels), if it handed one."""
        return self._part

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``image[rows, cols]``: the pixels at points (1-D integer arrays), from the camera's
        part when it holds them all."""
        part = self._part
        if part is not None and self._image is None:
            y0, x0, pixels = part
            h, w = pixels.shape[:2]
            ys, xs = rows - y0, cols - x0
            if ys.size and ys.min() >= 0 and xs.min() >= 0 and ys.max() < h and xs.max() < w:
                return _take(pixels, ys, xs)
        return _take(self.image, rows, cols)


def _take(pixels: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``pixels[rows, cols]``, as one ``np.take`` of the flattened rows (several times faster
    than indexing by two arrays)."""
    h, w = pixels.shape[:2]
    return np.take(pixels.reshape(h * w, *pixels.shape[2:]), rows * w + cols, axis=0)


@dataclass(frozen=True, slots=True)
class PixelSample:
    """The pixels of one frame at a fixed set of camera points (``values``: one row per point,
    as in the image: 3 BGR channels or 1 gray), captured at ``t``; see
    :meth:`tapbot.cameras.base.Camera.pixels`."""

    values: np.ndarray
    t: float
    index: int
