"""ArUco markers printed on the twin's phone holder, around the screen.

The layout is in **screen millimetres**: origin at the screen's top-left corner, x along the
screen's width, y along its height (down), as the screen's pixels run. A calibration that
detects the markers in a camera frame (``cv2.aruco.ArucoDetector`` with ``DICT_4X4_50``) and
knows this layout can fit the camera -> screen map without a single touch.

Six markers sit beside the phone body (three on each side: level with the screen's top, its
middle and its bottom), each on a white quiet-zone plate. Corners are listed in ArUco order:
top-left, top-right, bottom-right, bottom-left of the marker as printed (upright on the screen).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ARUCO_DICTIONARY = "DICT_4X4_50"
#: The phone body reaches this far beyond the screen's sides (mm); markers sit outside it.
BODY_SIDE_MM = 3.0
#: The phone body reaches this far above and below the screen (mm).
BODY_END_MM = 9.0
#: White border around each marker, in mm (the "quiet zone" detectors need).
QUIET_ZONE_MM = 2.5


@dataclass(frozen=True, slots=True)
class HolderMarker:
    """One marker: its ArUco id and its four corners in screen mm (TL, TR, BR, BL)."""

    id: int
    corners_mm: tuple[tuple[float, float], ...]

    @property
    def centre_mm(self) -> tuple[float, float]:
        xs, ys = zip(*self.corners_mm, strict=True)
        return sum(xs) / 4, sum(ys) / 4


def aruco_dictionary() -> cv2.aruco.Dictionary:
    """The dictionary the holder's markers come from (``DICT_4X4_50``)."""
    return cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, ARUCO_DICTIONARY))


def holder_layout(screen_mm: tuple[float, float], size_mm: float = 10.0,
                  gap_mm: float = 4.0) -> list[HolderMarker]:
    """The markers around a screen of ``screen_mm`` (width, height): ids 0..5 as left-top,
    right-top, left-middle, right-middle, left-bottom, right-bottom.

    Each marker's inner edge lies ``gap_mm`` outside the phone body's side.
    """
    w, h = screen_mm
    xl = -BODY_SIDE_MM - gap_mm - size_mm
    xr = w + BODY_SIDE_MM + gap_mm
    rows = (0.0, (h - size_mm) / 2, h - size_mm)
    out = []
    i = 0
    for y in rows:
        for x in (xl, xr):
            out.append(HolderMarker(i, ((x, y), (x + size_mm, y), (x + size_mm, y + size_mm),
                                        (x, y + size_mm))))
            i += 1
    return out


def marker_image(marker_id: int, side_px: int) -> np.ndarray:
    """The printed marker (black and white, ``side_px`` square, no quiet zone)."""
    return cv2.aruco.generateImageMarker(aruco_dictionary(), marker_id, side_px)
