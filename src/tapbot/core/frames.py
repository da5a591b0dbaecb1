"""Frames carry time (DESIGN rule 3): pixels plus the capture time on the rig's clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: A part of a frame's image: its top row, left column and pixels.
Part = tuple[int, int, np.ndarray]


class Frame:
    """One camera image (H x W x 3 BGR uint8, or H x W gray) captured at ``t`` seconds.

    Read-only once made. A camera may hand a frame whose whole image is made only when first
    asked for (``make``, an image of ``shape``), with the part of it the camera has already
    (``part``: its top row, left column and pixels, or how to make them when first asked
    for): :meth:`region` and :meth:`at` read that part without making the whole (the twin's
    camera renders the screen's box of each frame; the runner's looks read only that box).

    A camera may also hand its own **luma** (gray) plane of a part (``luma``), as a camera
    delivering YUV has its Y plane before any colour conversion: :meth:`luma_region` reads
    it, so a gray view need not make or convert the colour pixels. It is the camera's gray,
    which may differ from ``to_gray`` of the colour image by the rounding of the camera's
    pipeline. ``at``: how the camera reads the colour pixels at points without making the
    part (None from it: make the part).
    """

    __slots__ = ("_at", "_at_last", "_image", "_luma", "_make", "_part", "_shape", "index", "t")

    def __init__(self, image: np.ndarray | None, t: float, index: int, *,
                 make: Callable[[], np.ndarray] | None = None,
                 part: Part | Callable[[], Part] | None = None,
                 shape: tuple[int, ...] | None = None,
                 luma: Part | None = None,
                 at: Callable[[np.ndarray, np.ndarray], np.ndarray | None] | None = None
                 ) -> None:
        if image is None and (make is None or shape is None):
            raise ValueError("a frame needs its image, or how to make it and its shape")
        setattr_ = object.__setattr__
        setattr_(self, "_image", image)
        setattr_(self, "_make", make)
        setattr_(self, "_part", part)
        setattr_(self, "_luma", luma)
        setattr_(self, "_at", at)
        setattr_(self, "_at_last", None)  # (rows, cols, values) the camera read last
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
        if self._luma is not None:
            return self._luma[2]
        part = self.part
        if part is not None:
            return part[2]
        return self.image

    @property
    def part(self) -> Part | None:
        """The part of the image the camera handed with the frame (top row, left column,
        pixels), if it handed one (made now if the camera handed how to make it)."""
        part = self._part
        if part is None or isinstance(part, tuple):
            return part
        part = part()
        object.__setattr__(self, "_part", part)
        return part

    @property
    def part_made(self) -> bool:
        """Whether the colour pixels the camera handed (its part, or the whole image) are
        made already: reading them costs no rendering."""
        return self._image is not None or isinstance(self._part, tuple)

    def region(self, rows: slice, cols: slice) -> np.ndarray:
        """``image[rows, cols]`` (non-negative bounds, steps of 1), from the camera's part
        when it holds them all."""
        if self._image is None and self._part is not None:
            got = _crop(self.part, rows, cols)  # type: ignore[arg-type]
            if got is not None:
                return got
        return self.image[rows, cols]

    def luma_region(self, rows: slice, cols: slice) -> np.ndarray | None:
        """The camera's own luma (gray) pixels of ``image[rows, cols]``, if its luma plane
        holds them all (None: convert the colour pixels)."""
        return None if self._luma is None else _crop(self._luma, rows, cols)

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``image[rows, cols]``: the pixels at points (1-D integer arrays), from the camera's
        part when it holds them all (or read by the camera at those points alone, when its
        part is not made yet and it can: the values of the last points read so are kept,
        read-only)."""
        if self._image is None and self._part is not None:
            if self._at is not None and not isinstance(self._part, tuple):
                last = self._at_last
                if last is not None and last[0] is rows and last[1] is cols:
                    return last[2]  # (the same points again: a grid looked at twice)
                got = self._at(rows, cols)
                if got is not None:
                    got.setflags(write=False)
                    object.__setattr__(self, "_at_last", (rows, cols, got))
                    return got
            y0, x0, pixels = self.part  # type: ignore[misc]
            h, w = pixels.shape[:2]
            ys, xs = rows - y0, cols - x0
            if ys.size and ys.min() >= 0 and xs.min() >= 0 and ys.max() < h and xs.max() < w:
                return _take(pixels, ys, xs)
        return _take(self.image, rows, cols)


def _crop(part: Part, rows: slice, cols: slice) -> np.ndarray | None:
    """``image[rows, cols]`` from a part of the image, if the part holds it all."""
    y0, x0, pixels = part
    h, w = pixels.shape[:2]
    if rows.start >= y0 and cols.start >= x0 and rows.stop <= y0 + h and cols.stop <= x0 + w:
        return pixels[rows.start - y0:rows.stop - y0, cols.start - x0:cols.stop - x0]
    return None


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
