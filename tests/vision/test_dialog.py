"""find_dialog: a bright card on a dimming scrim, and nothing else."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tapbot.core import VisionError
from tapbot.vision import DialogBox, find_dialog

H, W = 400, 180  # a quarter-scale view of a 720 x 1600 screen


def _busy_app(seed: int = 0) -> np.ndarray:
    """A busy light app screen: photos, list rows, text, white areas touching the edges."""
    rng = np.random.default_rng(seed)
    img = np.full((H, W), 245, np.uint8)
    cv2.rectangle(img, (0, 0), (W, 10), 30, -1)  # status bar
    cv2.rectangle(img, (0, 10), (W, 34), 90, -1)  # app bar
    for _ in range(25):
        x, y = int(rng.integers(0, W - 20)), int(rng.integers(36, H - 20))
        w, h = int(rng.integers(10, 60)), int(rng.integers(8, 50))
        cv2.rectangle(img, (x, y), (x + w, y + h), int(rng.integers(0, 256)), -1)
    for i in range(15):
        cv2.putText(img, f"row {i} lorem", (6, 50 + 23 * i), cv2.FONT_HERSHEY_PLAIN, 0.9, 20, 1)
    return img


def _noisy(img: np.ndarray, sigma: float = 3.0, seed: int = 1) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, sigma, img.shape)
    return np.clip(img.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def _with_dialog(
    background: np.ndarray, box: tuple[int, int, int, int], dim: float, card: int = 250
) -> np.ndarray:
    """Dim ``background`` by ``dim`` (scrim opacity) and draw a rounded card with content."""
    img = (background.astype(np.float64) * (1.0 - dim)).astype(np.uint8)
    x, y, w, h = box
    r = 6
    cv2.rectangle(img, (x + r, y), (x + w - 1 - r, y + h - 1), card, -1)
    cv2.rectangle(img, (x, y + r), (x + w - 1, y + h - 1 - r), card, -1)
    for cx, cy in [
        (x + r, y + r),
        (x + w - 1 - r, y + r),
        (x + r, y + h - 1 - r),
        (x + w - 1 - r, y + h - 1 - r),
    ]:
        cv2.circle(img, (cx, cy), r, card, -1)
    cv2.putText(img, "Allow access?", (x + 10, y + 22), cv2.FONT_HERSHEY_PLAIN, 1.0, 25, 1)
    cv2.putText(img, "tapbot wants to", (x + 10, y + 44), cv2.FONT_HERSHEY_PLAIN, 0.8, 80, 1)
    cv2.putText(img, "DENY   ALLOW", (x + w - 110, y + h - 12), cv2.FONT_HERSHEY_PLAIN, 0.9, 60, 1)
    return img


@pytest.mark.parametrize("dim", [0.6, 0.32])  # Material 2 and Material 3 scrims
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_a_white_card_on_a_dimmed_busy_background(dim: float, seed: int) -> None:
    box = (18, 150, 144, 95)
    view = _noisy(_with_dialog(_busy_app(seed), box, dim), seed=seed + 10)

    found = find_dialog(view)

    assert isinstance(found, DialogBox)
    assert abs(found.x - box[0]) <= 3 and abs(found.y - box[1]) <= 3
    assert abs(found.w - box[2]) <= 4 and abs(found.h - box[3]) <= 4
    assert 0.0 < found.score <= 1.0
    assert found.center == pytest.approx((90, 197.5), abs=3)


def test_finds_a_slightly_gray_card_in_a_dim_camera_view() -> None:
    # An under-exposed camera: the card reads 190, the scene is scaled down with it.
    bg = (_busy_app(3).astype(np.float64) * 0.75).astype(np.uint8)
    view = _noisy(_with_dialog(bg, (25, 120, 130, 150), 0.5, card=190), seed=4)
    found = find_dialog(view)
    assert found is not None and abs(found.x - 25) <= 3 and abs(found.h - 150) <= 4


def test_a_white_full_screen_app_is_not_a_dialog() -> None:
    view = _noisy(_busy_app(5))
    assert find_dialog(view) is None


@pytest.mark.parametrize("gray", [225, 195])  # bright enough to join the card / not quite
def test_a_white_card_on_a_light_gray_app_is_not_a_dialog(gray: int) -> None:
    img = np.full((H, W), gray, np.uint8)
    cv2.rectangle(img, (12, 120), (168, 230), 252, -1)
    cv2.putText(img, "Settings", (20, 150), cv2.FONT_HERSHEY_PLAIN, 1.0, 30, 1)
    assert find_dialog(_noisy(img)) is None


def _launcher(widget: bool = False) -> np.ndarray:
    """A dark wallpaper with a grid of small bright icons and labels."""
    grad = np.linspace(20, 70, H, dtype=np.float64)[:, None] * np.ones((1, W))
    img = grad.astype(np.uint8)
    for row in range(5):
        for col in range(4):
            cx, cy = 24 + col * 44, 200 + row * 40
            cv2.circle(img, (cx, cy), 12, 230 if (row + col) % 2 else 200, -1)
            cv2.putText(img, "App", (cx - 10, cy + 22), cv2.FONT_HERSHEY_PLAIN, 0.7, 250, 1)
    if widget:
        cv2.rectangle(img, (14, 60), (166, 130), 245, -1)
        cv2.putText(img, "12:30", (50, 105), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 40, 2)
    return img


def test_a_dark_launcher_with_small_bright_icons_is_not_a_dialog() -> None:
    assert find_dialog(_noisy(_launcher())) is None


def test_a_bright_widget_among_launcher_icons_is_not_a_dialog() -> None:
    # The card alone would pass; the bright icons around it show there is no scrim.
    assert find_dialog(_noisy(_launcher(widget=True))) is None


@pytest.mark.parametrize("seed", [0, 1])
def test_pure_noise_is_not_a_dialog(seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert find_dialog(rng.integers(0, 256, (H, W), dtype=np.uint8)) is None
    assert find_dialog(_noisy(np.full((H, W), 128, np.uint8), sigma=40, seed=seed)) is None


def test_a_black_screen_is_not_a_dialog() -> None:
    assert find_dialog(np.zeros((H, W), np.uint8)) is None


def test_a_card_touching_the_edge_is_not_a_dialog() -> None:
    view = _with_dialog(_busy_app(0), (0, 150, 170, 95), 0.6)
    assert find_dialog(view) is None


def test_a_narrow_card_is_not_a_dialog() -> None:
    view = _with_dialog(_busy_app(0), (50, 150, 80, 95), 0.6)  # 44 % of the width
    assert find_dialog(view) is None


def test_find_dialog_rejects_a_colour_image() -> None:
    with pytest.raises(VisionError, match="gray view"):
        find_dialog(np.zeros((H, W, 3), np.uint8))


def test_a_heads_up_notification_banner_is_not_a_dialog() -> None:
    # a bright banner hanging from the top of a dark app (the twin's NOTIF_RECT geometry)
    view = np.full((H, W), 25, np.uint8)
    h, w = view.shape
    cv2.rectangle(view, (round(0.05 * w), round(0.045 * h)), (round(0.95 * w), round(0.13 * h)),
                  245, -1)
    cv2.putText(view, "New message", (round(0.08 * w), round(0.095 * h)),
                cv2.FONT_HERSHEY_PLAIN, 0.8, 40, 1)
    assert find_dialog(_noisy(view)) is None
