"""ChangeDetector: ignores noise, small misregistration and masked areas; sees real changes."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from tapbot.core import VisionError
from tapbot.vision import Change, ChangeDetector, band_mask, disk_mask

H, W = 240, 135  # a quarter-scale view of a 540 x 960 screen


def _ui_view(digit: str = "3") -> np.ndarray:
    """A busy app-like view: blocks, icons, text lines and a counter digit."""
    rng = np.random.default_rng(7)
    img = np.full((H, W), 235, np.uint8)
    cv2.rectangle(img, (0, 0), (W, 14), 60, -1)  # app bar
    for i in range(10):
        y = 22 + i * 20
        cv2.circle(img, (12, y + 6), 6, int(rng.integers(40, 160)), -1)
        cv2.putText(img, f"item {i} abc", (24, y + 10), cv2.FONT_HERSHEY_PLAIN, 0.8, 30, 1)
    cv2.putText(img, digit, (95, 150), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return img


def _noisy(img: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, sigma, img.shape)
    return np.clip(img.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def test_identical_views_do_not_change() -> None:
    view = _ui_view()
    assert ChangeDetector().compare(view, view.copy()) == Change(False, 0, None)
    assert ChangeDetector().compare(view, view) == Change(False, 0, None)  # one array
    with pytest.raises(VisionError, match="mask"):  # still checked when it is one array
        ChangeDetector().compare(view, view, np.zeros((3, 3), np.uint8))


def test_sensor_noise_sigma_3_is_ignored() -> None:
    view = _ui_view()
    change = ChangeDetector().compare(_noisy(view, 3.0, 1), _noisy(view, 3.0, 2))
    assert not change.changed


@pytest.mark.parametrize(("dx", "dy"), [(1, 0), (0, 1), (-1, 0), (1, -1)])
def test_one_pixel_global_shift_is_ignored(dx: int, dy: int) -> None:
    big = _ui_view()
    ref = big[2:-2, 2:-2]
    cur = big[2 + dy : H - 2 + dy, 2 + dx : W - 2 + dx]
    change = ChangeDetector().compare(np.ascontiguousarray(ref), np.ascontiguousarray(cur))
    assert not change.changed, change


def test_half_pixel_shift_with_noise_is_ignored() -> None:
    view = _ui_view()
    shifted = cv2.warpAffine(
        view, np.float32([[1, 0, 0.5], [0, 1, 0.5]]), (W, H), borderMode=cv2.BORDER_REPLICATE
    )
    change = ChangeDetector().compare(_noisy(view, 3.0, 3), _noisy(shifted, 3.0, 4))
    assert not change.changed, change


def test_a_changed_digit_is_detected_where_it_is() -> None:
    ref, cur = _ui_view("3"), _ui_view("8")
    change = ChangeDetector().compare(_noisy(ref, 3.0, 5), _noisy(cur, 3.0, 6))
    assert change.changed
    assert change.bbox is not None
    x, y, w, h = change.bbox
    # the digit's box is about (95..115, 128..150)
    assert x >= 90 and x + w <= 120 and y >= 120 and y + h <= 155


def test_a_6x6_blob_is_detected_with_min_area_12() -> None:
    ref = _ui_view()
    cur = ref.copy()
    cur[180:186, 60:66] = 90  # on the light background
    change = ChangeDetector(min_area_px=12).compare(_noisy(ref, 3.0, 7), _noisy(cur, 3.0, 8))
    assert change.changed
    assert change.area_px >= 12
    x, y, w, h = change.bbox  # type: ignore[misc]
    assert abs(x + w / 2 - 63) <= 2 and abs(y + h / 2 - 183) <= 2


def test_a_blob_smaller_than_min_area_is_reported_but_not_changed() -> None:
    ref = _ui_view()
    cur = ref.copy()
    cur[180:186, 60:66] = 90
    change = ChangeDetector(min_area_px=200).compare(ref, cur)
    assert not change.changed
    assert 0 < change.area_px < 200  # the count of changed pixels; no blob was labelled


def test_a_disappearing_object_is_detected() -> None:
    cur = _ui_view()
    ref = cur.copy()
    cv2.rectangle(ref, (40, 200), (70, 215), 20, -1)
    assert ChangeDetector().compare(ref, cur).changed


def test_a_change_inside_the_mask_is_ignored() -> None:
    ref = _ui_view("3")
    cur = _ui_view("8")
    mask = disk_mask(ref.shape, [(105, 140)], radius_px=20)
    assert not ChangeDetector().compare(ref, cur, mask).changed
    # ... but the same mask elsewhere does not hide it
    elsewhere = disk_mask(ref.shape, [(30, 40)], radius_px=20)
    assert ChangeDetector().compare(ref, cur, elsewhere).changed


def test_a_status_bar_band_mask_hides_the_clock() -> None:
    ref = _ui_view()
    cur = ref.copy()
    cv2.putText(cur, "12:01", (40, 11), cv2.FONT_HERSHEY_PLAIN, 0.8, 255, 1)
    assert ChangeDetector().compare(ref, cur).changed
    assert not ChangeDetector().compare(ref, cur, band_mask(ref.shape, 0, 15)).changed


def test_masks_have_the_view_shape_and_mark_255() -> None:
    d = disk_mask((20, 30), [(5, 5), (25, 15)], 2)
    assert d.shape == (20, 30) and d.dtype == np.uint8
    assert d[5, 5] == 255 and d[15, 25] == 255 and d[10, 15] == 0
    assert d[5, 7] == 255 and d[5, 8] == 0
    b = band_mask((20, 30), 3, 6)
    assert b[3:6].min() == 255 and b[:3].max() == 0 and b[6:].max() == 0


def test_mismatched_shapes_raise_vision_error() -> None:
    det = ChangeDetector()
    with pytest.raises(VisionError, match="same ScreenRectifier"):
        det.compare(np.zeros((10, 10), np.uint8), np.zeros((10, 11), np.uint8))
    with pytest.raises(VisionError, match="mask"):
        det.compare(np.zeros((10, 10), np.uint8), np.zeros((10, 10), np.uint8), np.zeros((5, 5)))
    with pytest.raises(VisionError, match="gray view"):
        det.compare(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10, 3), np.uint8))


@pytest.mark.parametrize(
    "kwargs", [{"threshold": -1}, {"min_area_px": 0}, {"blur_px": 4}, {"tolerance_px": -1}]
)
def test_bad_detector_settings_raise_vision_error(kwargs: dict[str, int]) -> None:
    with pytest.raises(VisionError):
        ChangeDetector(**kwargs)


def _frozen(img: np.ndarray) -> np.ndarray:
    img.setflags(write=False)
    return img


def test_read_only_views_compare_as_fresh_ones() -> None:
    """The detector's per-view cache (read-only views) gives what a fresh detector gives."""
    views = [_frozen(_noisy(_ui_view(d), 2.0, i)) for i, d in enumerate("33473")]
    cached = ChangeDetector()
    for ref, cur in itertools.pairwise(views):
        fresh = ChangeDetector().compare(ref.copy(), cur.copy())
        assert cached.compare(ref, cur) == fresh
        assert cached.compare(cur, ref) == ChangeDetector().compare(cur.copy(), ref.copy())
    assert [cached.compare(views[0], v).changed for v in views] == [False, False, True, True,
                                                                      False]


def test_writeable_views_are_not_cached() -> None:
    """A view that may be edited in place is blurred afresh each time."""
    det = ChangeDetector()
    ref = _ui_view("3")
    cur = _ui_view("3")
    assert not det.compare(ref, cur).changed
    ref[:] = _ui_view("8")  # same array, new content
    assert det.compare(ref, cur).changed


@pytest.mark.parametrize("seed", range(6))
def test_differs_decides_as_compare_does(seed: int) -> None:
    """``differs`` (which skips the labelling when a full square of min_area changed) gives
    ``compare(...).changed`` on changes of every kind: none, scattered specks, thin lines and
    L shapes right at the area limit, solid blocks."""
    rng = np.random.default_rng(seed)
    ref = _ui_view()
    cases = [ref.copy()]
    specks = ref.copy()  # many changed pixels, no blob of 12
    specks[rng.integers(0, H, 60), rng.integers(0, W, 60)] = 0
    cases.append(specks)
    for length in (10, 11, 12, 13):  # a 1-px line: a blob of `length`, never a 4 x 4 square
        line = ref.copy()
        y, x = int(rng.integers(170, 200)), int(rng.integers(40, 100))
        line[y, x:x + length] = 0 if ref[y, x] > 128 else 255
        cases.append(line)
    ell = ref.copy()  # an L of 12 px: changed only by labelling
    ell[180:186, 60] = 0
    ell[185, 61:67] = 0
    cases.append(ell)
    block = ref.copy()
    block[100:140, 20:60] = 128
    cases.append(block)
    detector = ChangeDetector(min_area_px=12)
    decisions = []
    for cur in cases:
        a, b = _noisy(ref, 3.0, seed), _noisy(cur, 3.0, seed + 100)
        decisions.append(detector.differs(a, b))
        assert decisions[-1] == detector.compare(a, b).changed
    assert decisions[0] is False and decisions[-1] is True and decisions[-2] is True
