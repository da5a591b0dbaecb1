"""Text and images on rectified camera views of the twin (its layout is the ground truth)."""

from __future__ import annotations

import socket

import cv2
import numpy as np
import pytest

from tapbot.core import VisionError
from tapbot.rig import build_rig
from tapbot.sim.apps import LAUNCHER_APPS
from tapbot.vision import ScreenRectifier, TextReader, match_template, normalise_text
from tapbot.vision import ocr as ocr_module

OCR_SCALE = 0.5  # of screen px: what the flows rectify at for OCR


def _view(seed: int, rotation_deg: float, app: str | None = None, scale: float = OCR_SCALE):
    rig = build_rig(None, seed=seed, overrides={
        "camera": {"size_px": (1280, 960), "rotation_deg": rotation_deg}})
    rig.open()
    if app:
        rig.link.launch_app(app)
    rig.clock.sleep(0.5)
    rect = ScreenRectifier(rig.calibration.camera_to_screen_h, rig.device.screen_px, scale)
    return rig, rect, rect.view(rig.camera.latest().image)


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader()


def test_ocr_finds_at_least_95_percent_of_the_visible_labels(reader):
    expected = [*LAUNCHER_APPS, "12:00"]  # the launcher's labels and the status-bar clock
    found, total = 0, 0
    for seed, rot in ((1, 2.0), (2, -5.0)):
        _rig, rect, view = _view(seed, rot)
        lines = reader.read(view)
        for label in expected:
            total += 1
            box = next(
                (b for b in lines if normalise_text(b.text) == normalise_text(label)), None)
            if box is None:
                continue
            found += 1
            assert 0.5 <= box.score <= 1.0
        # boxes lie where the twin draws the labels: under the icons, centred on the columns
        msgs = next(b for b in lines if normalise_text(b.text) == "messages")
        cx, cy = msgs.center
        sx, sy = rect.screen_to_view(0.625 * 1080, (0.20 + 0.08 * 1080 / 2400 + 0.018) * 2400)
        assert abs(cx - sx) < 12 and abs(cy - sy) < 12
    # the Settings list: its title and the first eight rows (all on screen)
    from tapbot.sim.apps import SETTINGS_ROWS

    _rig, _rect, view = _view(3, -2.0, app="Settings")
    for label in ("Settings", *SETTINGS_ROWS[:8]):
        total += 1
        found += reader.find(view, label) is not None
    assert found / total >= 0.95, f"{found}/{total}"


def test_find_is_tolerant_of_case_and_spacing_and_searches_regions(reader):
    _rig, _rect, view = _view(3, 1.0, app="Counter")
    box = reader.find(view, "  cOUNTER ")
    assert box is not None and box.text.strip().casefold() == "counter"
    x, y, w, h = box.box
    # a region around the title returns the same box in full-view coordinates
    in_region = reader.find(view, "counter", region=(x - 20, y - 20, w + 40, h + 40))
    assert in_region is not None
    # same place in full-view coordinates (a region-relative box would be ~20 px off)
    assert np.allclose(in_region.center, box.center, atol=3)
    assert reader.find(view, "counter", region=(0, 700, 540, 400)) is None
    assert reader.find(view, "Messages") is None
    with pytest.raises(VisionError, match="outside"):
        reader.read(view, region=(2000, 0, 50, 50))


def test_substring_match_is_used_only_without_an_exact_one(reader):
    img = np.full((200, 700), 255, np.uint8)
    cv2.putText(img, "Open Settings", (20, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    cv2.putText(img, "Settings", (20, 160), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    box = reader.find(img, "settings")
    assert box is not None and box.box[1] > 100  # the exact line, not the longer one
    part = reader.find(img, "open")
    assert part is not None and part.box[1] < 100


def test_ocr_loads_its_models_from_the_wheel_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(ocr_module, "_ENGINES", {})
    img = np.full((120, 500, 3), 255, np.uint8)
    cv2.putText(img, "Offline 42", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 3)
    lines = TextReader(det_limit_side_len=640).read(img)
    assert [normalise_text(b.text) for b in lines] == ["offline42"]


def test_template_found_in_another_pose_with_score_scale_and_box():
    _, rect_a, view_a = _view(4, 2.0, scale=0.25)
    _, rect_b, view_b = _view(5, -6.0, scale=0.25)
    # the Video icon (launcher index 1) cut from one camera pose, found in the other
    cx, cy = rect_a.screen_to_view(0.375 * 1080, 0.20 * 2400)
    half = round(0.16 * 1080 * 0.25 / 2) + 4
    tpl = view_a[round(cy) - half:round(cy) + half, round(cx) - half:round(cx) + half]
    m = match_template(view_b, tpl)
    assert m.found and m.score >= 0.8 and m.scale == 1.0 and m.threshold == 0.8
    ex, ey = rect_b.screen_to_view(0.375 * 1080, 0.20 * 2400)
    assert abs(m.center[0] - ex) <= 1.5 and abs(m.center[1] - ey) <= 1.5
    # a region that excludes it: a miss that still reports the best score and where
    miss = match_template(view_b, tpl, region=(0, 300, 270, 300))
    assert not miss.found and miss.score < 0.8
    assert 0 <= miss.box[0] <= 270 and 300 <= miss.box[1] <= 600
    # a template 20 % larger is found when the scales include 1/1.2
    big = cv2.resize(tpl, None, fx=1.2, fy=1.2, interpolation=cv2.INTER_LINEAR)
    m2 = match_template(view_b, big, scales=(0.7, 1 / 1.2, 1.0))
    assert m2.found and m2.scale == pytest.approx(1 / 1.2)
    assert abs(m2.center[0] - ex) <= 2 and abs(m2.center[1] - ey) <= 2


def test_template_bad_input_is_a_clear_error():
    view = np.zeros((100, 100), np.uint8)
    with pytest.raises(VisionError, match="larger than the search region"):
        match_template(view, np.eye(120, 20, dtype=np.uint8) * 255)
    with pytest.raises(VisionError, match="threshold"):
        match_template(view, np.zeros((10, 10), np.uint8), threshold=1.5)
    with pytest.raises(VisionError, match="flat"):
        match_template(view, np.zeros((10, 10), np.uint8))
    tpl = np.zeros((10, 10), np.uint8)
    tpl[2:8, 2:8] = 255
    flat_view = match_template(view, tpl)  # nothing to match on a flat view: score 0, a miss
    assert not flat_view.found and flat_view.score == 0.0
