"""Frames carry time (DESIGN rule 3): pixels plus the capture time on the rig's clock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One camera image (H x W x 3 BGR uint8, or H x W gray) captured at ``t`` seconds."""

    image: np.ndarray
    t: float
    index: int

    @property
    def size_px(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class PixelSample:
    """The pixels of one frame at a fixed set of camera points (``values``: one row per point,
    as in the image: 3 BGR channels or 1 gray), captured at ``t``; see
    :meth:`tapbot.cameras.base.Camera.pixels`."""

    values: np.ndarray
    t: float
    index: int
