"""Pure functions on camera frames: rectify to a screen view, detect change, find dialogs."""

from tapbot.vision.change import Change, ChangeDetector, band_mask, disk_mask
from tapbot.vision.dialog import DialogBox, find_dialog
from tapbot.vision.rectify import ScreenRectifier, to_gray

__all__ = [
    "Change",
    "ChangeDetector",
    "DialogBox",
    "ScreenRectifier",
    "band_mask",
    "disk_mask",
    "find_dialog",
    "to_gray",
]
