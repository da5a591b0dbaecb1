"""The twin camera's tool as sprites: drawn once per shape, moved by whole camera pixels.

A tool's **shape** is its pose relative to finger 0's tip, quantized to :data:`QUANTUM_MM`:
each finger's (x, y) offset from finger 0, the carriage's (x, y) offset from finger 0, and every
z (:func:`shape_key`), and the **cell** of the image (:data:`CELL_PX` square) of its anchor
(below). XY travel keeps the shape but for the cell; a press steps through its heights, at
most one shape per :data:`QUANTUM_MM` of them in a cell, the same at every touch there. A
shape's **sprite** (:class:`ToolSprite`) is the tool drawn once (premultiplied colour and
coverage) with its anchor point exactly on its cell's centre pixel, placed relative to its
**anchor**: the camera pixel where finger 0's (x, y) meets the glass's plane (a point that does
not move while the finger presses, so a press changes the drawing only as much as the tool's
look changes, never by a whole pixel). The tool at a pose is its shape's sprite placed at the
rounded anchor.

The camera looks straight down, so a shape looks almost the same anywhere in a cell: moving a
sprite ignores how the tool's look changes across the cell (parallax between the tip and the
carriage ~40 mm higher grows ~0.1 px per px off the cell's centre under a 350 mm high camera:
under a pixel at most; lens distortion and keystone change far less). Without the cell (one
sprite per shape for the whole image) the carriage would sit up to ~20 px off near the image's
edges. A sprite depends only on its key, so frames do not depend on which were drawn before.

The tool over an exposure is a :data:`ToolKey`: the (shape, anchor) of each instant sampled,
grouped, with how many instants each got. Its drawing is the integer average of the placed
sprites: premultiplied colour and ``keep = 255 - coverage`` (255 outside a sprite) are summed
over the instants and divided as ``(sum + n // 2) // n``. :func:`tool_layer` does this on a box
of the image, :func:`tool_at_points` at a few camera pixels only; both give the same integers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from tapbot.sim.world import ToolPose

logger = logging.getLogger(__name__)

#: :func:`_rounded_quotients` by count of instants.
_QUOTIENTS: dict[int, np.ndarray] = {}

#: The step of a shape's offsets and heights (deck mm).
QUANTUM_MM = 0.25

#: The side of the image cells a sprite is drawn for (camera px).
CELL_PX = 16

#: A tool shape: per finger (dx, dy, z), then the carriage's (dx, dy, z), in QUANTUM_MM steps,
#: offsets from finger 0's tip; then the cell (column, row) of the anchor in the image.
ShapeKey = tuple[int, ...]
#: The integer camera pixel (x, y) of finger 0's (x, y) on the glass's plane.
Anchor = tuple[int, int]
#: The tool over an exposure: (shape, anchor, instants) per distinct placement, in the order
#: of their first instant.
ToolKey = tuple[tuple[ShapeKey, Anchor, int], ...]
#: A tool drawing on the image: (x0, y0, premultiplied colour, keep), both h x w x 3 uint8.
ToolLayer = tuple[int, int, np.ndarray, np.ndarray]

def shape_key(pose: ToolPose, anchor: Anchor) -> ShapeKey:
    """The quantized shape of ``pose`` seen with its anchor at ``anchor`` (see the
    module's docstring)."""
    x0, y0, _ = pose.fingers[0]
    q = 1.0 / QUANTUM_MM
    out: list[int] = []
    for x, y, z in (*pose.fingers, pose.carriage):
        out += (round((x - x0) * q), round((y - y0) * q), round(z * q))
    out += (anchor[0] // CELL_PX, anchor[1] // CELL_PX)
    return tuple(out)


def shape_cell_centre(shape: ShapeKey) -> Anchor:
    """The camera pixel at the centre of a shape's cell: where its sprite's anchor is drawn."""
    return shape[-2] * CELL_PX + CELL_PX // 2, shape[-1] * CELL_PX + CELL_PX // 2


def shape_pose(shape: ShapeKey, x: float, y: float) -> ToolPose:
    """A pose of ``shape`` with finger 0's tip at deck (x, y) (the inverse of
    :func:`shape_key` up to its quantization)."""
    triples = [tuple(v * QUANTUM_MM for v in shape[i:i + 3]) for i in range(0, len(shape) - 2, 3)]
    placed = [(x + dx, y + dy, z) for dx, dy, z in triples]
    return ToolPose(tuple(placed[:-1]), placed[-1])


@dataclass(frozen=True, eq=False)
class ToolSprite:
    """One shape drawn once: its box's top-left (dx, dy) relative to the anchor, and its
    drawing ``colour_cover``: colour drawn over black (premultiplied by coverage) and coverage
    as a fourth channel. Nothing else is kept (a soak keeps hundreds of sprites): a drawing
    takes the colour and ``keep`` = 255 - coverage of the part it needs."""

    dx: int
    dy: int
    colour_cover: np.ndarray

    def __post_init__(self) -> None:
        self.colour_cover.setflags(write=False)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the sprite's box."""
        return self.colour_cover.shape[1], self.colour_cover.shape[0]


def _boxes(key: ToolKey, sprites: Mapping[ShapeKey, ToolSprite]
           ) -> list[tuple[ToolSprite, int, int, int]]:
    """Per group: its sprite, the image x and y of the sprite's box, and its count."""
    out = []
    for shape, (ax, ay), count in key:
        sprite = sprites[shape]
        out.append((sprite, ax + sprite.dx, ay + sprite.dy, count))
    return out


def _union(placed: list[tuple[ToolSprite, int, int, int]]) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1) of the image the placements cover (one pass: a frame's
    tool at points asks it for every new key)."""
    sprite, x0, y0, _ = placed[0]
    h, w = sprite.colour_cover.shape[:2]
    x1, y1 = x0 + w, y0 + h
    for sprite, x, y, _ in placed[1:]:
        h, w = sprite.colour_cover.shape[:2]
        x0, y0 = min(x0, x), min(y0, y)
        x1, y1 = max(x1, x + w), max(y1, y + h)
    return x0, y0, x1, y1


def tool_layer(key: ToolKey, sprites: Mapping[ShapeKey, ToolSprite],
               size: tuple[int, int]) -> ToolLayer | None:
    """The tool of ``key`` on a box of a ``size`` (w, h) image (clipped to it): ``None`` if it
    lies outside. Read-only arrays (a still tool's are views of its sprite)."""
    placed = _boxes(key, sprites)
    ux0, uy0, ux1, uy1 = _union(placed)
    iw, ih = size
    x0, y0, x1, y1 = max(0, ux0), max(0, uy0), min(iw, ux1), min(ih, uy1)
    if x1 <= x0 or y1 <= y0:
        return None
    if len(placed) == 1:  # the average of one placement n times is that placement
        sprite, sx, sy, _ = placed[0]
        part = sprite.colour_cover[y0 - sy:y1 - sy, x0 - sx:x1 - sx]
        colour = cv2.cvtColor(part, cv2.COLOR_BGRA2BGR)
        keep = cv2.cvtColor(255 - cv2.extractChannel(part, 3), cv2.COLOR_GRAY2BGR)
        colour.setflags(write=False)
        keep.setflags(write=False)
        return x0, y0, colour, keep
    n = sum(count for *_, count in placed)
    h, w = y1 - y0, x1 - x0
    # colour and coverage summed (at most 16 instants * 255: no overflow), four channels at
    # once (numpy adds to a strided three-channel part several times slower)
    acc = np.zeros((h, w, 4), np.uint16)
    for sprite, sx, sy, count in placed:
        sw, sh = sprite.size
        bx0, by0 = max(x0, sx), max(y0, sy)
        bx1, by1 = min(x1, sx + sw), min(y1, sy + sh)
        if bx1 <= bx0 or by1 <= by0:
            continue
        src = sprite.colour_cover[by0 - sy:by1 - sy, bx0 - sx:bx1 - sx]
        dst = acc[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0]
        if count == 1:
            dst += src
        else:
            dst += src * np.uint16(count)
    out = cv2.cvtColor(_rounded_divide(acc, n), cv2.COLOR_BGRA2BGR)
    keep = cv2.cvtColor(_rounded_divide(cv2.extractChannel(acc, 3), n, from_=n * 255),
                        cv2.COLOR_GRAY2BGR)  # (cover <= n * 255)
    out.setflags(write=False)
    keep.setflags(write=False)
    return x0, y0, out, keep


def tool_at_points(key: ToolKey, sprites: Mapping[ShapeKey, ToolSprite], ys: np.ndarray,
                   xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tool_layer` at camera pixels (``ys``, ``xs``: rows, cols inside the image) only:
    the indices of the points in its box, and the colour and keep there (m x 3 uint8 each)."""
    ys = np.asarray(ys, np.int64)
    xs = np.asarray(xs, np.int64)
    placed = _boxes(key, sprites)
    ux0, uy0, ux1, uy1 = _union(placed)
    # (a negative offset is a huge unsigned one: one comparison per axis)
    hit = np.flatnonzero(((ys - uy0).view(np.uint64) < uy1 - uy0)
                         & ((xs - ux0).view(np.uint64) < ux1 - ux0))
    if not len(hit):
        empty = np.zeros((0, 3), np.uint8)
        return hit, empty, empty
    py, px = ys[hit], xs[hit]
    if len(placed) == 1:
        sprite, sx, sy, _ = placed[0]
        at = (py - sy) * sprite.size[0]
        at += px - sx
        both = _pixels(sprite)[at].view(np.uint8).reshape(-1, 4)
        keep = np.repeat(255 - both[:, 3:], 3, axis=1)
        return hit, np.ascontiguousarray(both[:, :3]), keep
    n = 0
    by_shape: dict[int, list[tuple[ToolSprite, int, int, int]]] = {}
    for p in placed:
        n += p[3]
        by_shape.setdefault(id(p[0]), []).append(p)
    sums = None  # per point: colour and coverage summed
    for group in by_shape.values():
        summed = _summed_at(group, py, px)
        sums = summed if sums is None else sums + summed
    assert sums is not None
    # (sum + n // 2) // n by a table: numpy's integer division is slow
    divided = _rounded_quotients(n)
    return hit, divided[sums[:, :3]], np.repeat(divided[n * 255 - sums[:, 3:]], 3, axis=1)


def _pixels(sprite: ToolSprite) -> np.ndarray:
    """The sprite's pixels (colour and coverage) as one uint32 each, row by row: numpy
    gathers scalars several times faster than rows of four bytes."""
    return sprite.colour_cover.view(np.uint32).reshape(-1)


def _rounded_divide(sums: np.ndarray, n: int, from_: int | None = None) -> np.ndarray:
    """``(x + n // 2) // n`` for each ``x`` of ``sums`` (uint16, ``0 <= x <= 255 * n``, ``n <=
    16``), or of ``from_ - x`` with ``from_``, as uint8: OpenCV's scaled conversion, which
    rounds ``x / n`` shifted to lie at least ``0.5 / n`` from a half (exact in float32 for
    such ``x``), several times faster than numpy's integer division."""
    half = n // 2
    if from_ is None:
        return cv2.convertScaleAbs(sums, alpha=1.0 / n, beta=(half + 0.5) / n - 0.5)
    return cv2.convertScaleAbs(sums, alpha=-1.0 / n, beta=(from_ + half + 0.5) / n - 0.5)


def _rounded_quotients(n: int) -> np.ndarray:
    """``(x + n // 2) // n`` for every ``x`` in ``0 .. 255 * n`` (uint8), kept per ``n``."""
    table = _QUOTIENTS.get(n)
    if table is None:
        table = _QUOTIENTS[n] = ((np.arange(255 * n + 1) + n // 2) // n).astype(np.uint8)
    return table


def _summed_at(group: list[tuple[ToolSprite, int, int, int]], py: np.ndarray, px: np.ndarray
               ) -> np.ndarray:
    """The placements of one sprite summed at points (``py``, ``px``: image rows, cols,
    int64), each times its count: colour and coverage, (points x 4) int64. A point outside a
    placement's box adds nothing. (All placements at once in a handful of numpy calls: a
    travelling tool's few placements over a few hundred points cost more in numpy's calls
    than in its arithmetic.)"""
    sprite = group[0][0]
    sw, sh = sprite.size
    corner = np.array([(x, y) for _, x, y, _ in group], np.int64)
    ly, lx = py - corner[:, 1:], px - corner[:, :1]  # placements x points
    inside = (ly.view(np.uint64) < sh) & (lx.view(np.uint64) < sw)
    at = ly * sw
    at += lx
    at *= inside  # outside: the box's corner pixel
    flat = _pixels(sprite)
    values = flat[at]
    if flat[0]:  # (never drawn on: a sprite's box has a margin around the tool)
        values[~inside] = 0
    colour_cover = values.view(np.uint8).reshape(len(group), -1, 4)
    counts = [c for *_, c in group]
    if max(counts) > 1:
        return (colour_cover * np.array(counts, np.int64)[:, None, None]).sum(axis=0)
    return colour_cover.sum(axis=0, dtype=np.int64)
