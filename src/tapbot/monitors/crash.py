"""Crash and ANR: an Android-style dialog over the screen, told apart by its text.

The dialog is found by shape (cheap, every scanned frame); its text is read by OCR only once a
dialog is seen, and only in the dialog's box. When the rig has a device link, its crash/ANR log
lines (logcat) name the kind as well.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

import numpy as np

from tapbot.vision import DialogBox, find_dialog

logger = logging.getLogger(__name__)

ANR_WORDS = ("isn't responding", "isnt responding", "not responding", "anr in")
CRASH_WORDS = ("has stopped", "keeps stopping", "fatal exception", "crash")


@dataclass
class DialogSighting:
    """A crash/ANR seen at ``t``: on screen (``box`` in view px) or in the device log
    (``box`` None, ``text`` the log line)."""

    t: float
    box: DialogBox | None
    kind: str = "crash"
    text: str = ""


def look_for_crash(t: float, view: np.ndarray) -> DialogSighting | None:
    """A sighting when ``view`` shows a modal dialog (a crash or ANR), else ``None``.

    The sighting's ``kind`` is "crash" until :func:`classify_text` says otherwise.
    """
    box = find_dialog(view)
    return None if box is None else DialogSighting(t, box)


def classify_text(text: str) -> str | None:
    """"anr", "crash" or None from a dialog's text or a log line."""
    low = " ".join(text.lower().replace("\u2019", "'").split())
    if any(w in low for w in ANR_WORDS):
        return "anr"
    if any(w in low for w in CRASH_WORDS):
        return "crash"
    return None


def ocr_available() -> bool:
    """Whether the OCR reader (tapbot.vision.ocr) can be imported."""
    try:
        importlib.import_module("tapbot.vision.ocr")
    except ImportError:
        return False
    return True


def read_text(reader: object | None, image: np.ndarray,
              region: tuple[int, int, int, int] | None = None) -> str:
    """All text OCR reads in ``region`` of ``image`` (empty without a reader)."""
    if reader is None:
        return ""
    try:
        boxes = reader.read(image, region=region)  # type: ignore[attr-defined]
    except Exception:  # OCR trouble must not stop a soak
        logger.exception("OCR failed on a dialog")
        return ""
    return " ".join(b.text for b in boxes)
