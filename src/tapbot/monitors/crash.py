"""Crash: an Android-style "has stopped" dialog over the screen."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapbot.vision import DialogBox, find_dialog


@dataclass
class DialogSighting:
    t: float
    box: DialogBox


def look_for_crash(t: float, view: np.ndarray) -> DialogSighting | None:
    """A sighting when ``view`` shows a modal dialog (a crash or ANR), else ``None``.

    Telling a crash from an ANR needs the dialog's text (OCR, a later issue); until then every
    unexpected modal dialog counts as a crash.
    """
    box = find_dialog(view)
    return None if box is None else DialogSighting(t, box)
