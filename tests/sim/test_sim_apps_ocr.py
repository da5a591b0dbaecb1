"""The twin's text is readable by OCR (the project's own reader, on the phone's pixels).

The reader is the independent check: if a dialog's or lock screen's text were drawn too small,
garbled or misplaced, it would not come back as the words the layout promises.
"""

from __future__ import annotations

import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import FaultEvent, FaultOptions, SimPhone, SimPhoneOptions, SystemUiOptions
from tapbot.sim.apps import layout as L
from tapbot.vision import TextReader, normalise_text

W, H = 1080, 2400
SCALE = 0.5  # what flows rectify at for OCR


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader()


CARD = (round(L.DIALOG_CARD[0] * W * SCALE), round(L.DIALOG_CARD[1] * H * SCALE),
        round((L.DIALOG_CARD[2] - L.DIALOG_CARD[0]) * W * SCALE),
        round((L.DIALOG_CARD[3] - L.DIALOG_CARD[1]) * H * SCALE))


def _texts(reader: TextReader, phone: SimPhone, t: float,
           region: tuple[int, int, int, int] | None = None) -> set[str]:
    return {normalise_text(b.text) for b in reader.read(phone.screen_at(t, SCALE), region)}


def _n(*texts: str) -> set[str]:
    return {normalise_text(s) for s in texts}


def test_crash_dialogs_read_has_stopped_then_keeps_stopping(reader: TextReader) -> None:
    clock = VirtualClock()
    faults = FaultOptions(schedule=[FaultEvent(kind="crash", at_s=2.0, app="Music"),
                                    FaultEvent(kind="crash", at_s=20.0, app="Music")])
    phone = SimPhone(SimPhoneOptions(faults=faults), clock)
    phone.open_app("Music", 1.0)
    clock.advance_to(3.0)
    first = _texts(reader, phone, 3.0, CARD)
    assert _n("Music has stopped", "Close app") <= first
    phone.touch_down(4.0, 0.8 * W, 0.55 * H)
    phone.touch_up(4.05, 0.8 * W, 0.55 * H)
    phone.open_app("Music", 15.0)
    clock.advance_to(21.0)
    assert _n("Music keeps stopping", "Close app") <= _texts(reader, phone, 21.0, CARD)


def test_anr_dialog_and_lock_screen_read_as_written(reader: TextReader) -> None:
    clock = VirtualClock()
    faults = FaultOptions(schedule=[FaultEvent(kind="anr", at_s=2.0, app="Dialer")])
    phone = SimPhone(SimPhoneOptions(faults=faults, system_ui=SystemUiOptions(start="locked")),
                     clock)
    clock.advance_to(0.5)
    assert _n("12:00", "Swipe up to unlock") <= _texts(reader, phone, 0.5)
    phone.open_app("Dialer", 1.0)
    clock.advance_to(3.0)
    # the dialog's words stand inside the card where the layout puts it
    texts = _texts(reader, phone, 3.0, CARD)
    assert _n("Dialer isn't responding", "Close app", "Wait") <= texts


@pytest.mark.parametrize("app", ["Messages", "Settings"])
def test_tapping_the_label_ocr_finds_opens_the_app(reader: TextReader, app: str) -> None:
    """A flow's ``tapOn: "Messages"`` taps where OCR reads the word: the label, not the icon."""
    clock = VirtualClock()
    phone = SimPhone(SimPhoneOptions(), clock)
    boxes = [b for b in reader.read(phone.screen_at(0.0, SCALE))
             if normalise_text(b.text) == normalise_text(app)]
    assert len(boxes) == 1
    x, y = (c / SCALE for c in boxes[0].center)
    icon_y = L.icon_center(L.LAUNCHER_APPS.index(app))[1] * H
    assert y > icon_y + L.ICON_SIZE_W * W / 2  # the word is below the icon
    clock.advance_to(1.0)
    phone.touch_down(1.0, x, y)
    phone.touch_up(1.05, x, y)
    clock.advance_to(3.0)
    assert phone.truth.touches[-1].target == f"launcher:{app}"
    assert phone.display_key(3.0).app == app
