"""Pure functions on camera frames: locate and rectify the screen, detect change and settle,
find text, images and dialogs."""

from tapbot.vision.change import Change, ChangeDetector, band_mask, disk_mask
from tapbot.vision.dialog import DialogBox, find_dialog
from tapbot.vision.lens import RadialDistortion, fit_homography_with_distortion
from tapbot.vision.locate import (
    PoseDrift,
    ScreenPose,
    find_markers,
    find_screen_quad,
    layout_from_mm,
    locate_screen,
    locate_touch_feedback,
    marker_pattern,
    match_screenshot,
    pose_drift,
    screen_corners_px,
)
from tapbot.vision.ocr import TextBox, TextReader, normalise_text
from tapbot.vision.rectify import ScreenRectifier, to_gray
from tapbot.vision.response import (
    ResponseTime,
    StaticWatch,
    combine_masks,
    finger_mask,
    first_change_after,
    rect_mask,
    settle_time,
    status_bar_mask,
    wait_until_static,
)
from tapbot.vision.template import TemplateMatch, match_template

__all__ = [
    "Change",
    "ChangeDetector",
    "DialogBox",
    "PoseDrift",
    "RadialDistortion",
    "ResponseTime",
    "ScreenPose",
    "ScreenRectifier",
    "StaticWatch",
    "TemplateMatch",
    "TextBox",
    "TextReader",
    "band_mask",
    "combine_masks",
    "disk_mask",
    "find_dialog",
    "find_markers",
    "find_screen_quad",
    "finger_mask",
    "first_change_after",
    "fit_homography_with_distortion",
    "layout_from_mm",
    "locate_screen",
    "locate_touch_feedback",
    "marker_pattern",
    "match_screenshot",
    "match_template",
    "normalise_text",
    "pose_drift",
    "rect_mask",
    "screen_corners_px",
    "settle_time",
    "status_bar_mask",
    "to_gray",
    "wait_until_static",
]
