"""First change after a touch and settle time, scored against the twin's true response times."""

from __future__ import annotations

import numpy as np
import pytest

from tapbot.core import PointPx, VisionError
from tapbot.gestures import tap, to_touch_path
from tapbot.rig import build_rig
from tapbot.vision import (
    ChangeDetector,
    ScreenRectifier,
    combine_masks,
    finger_mask,
    first_change_after,
    rect_mask,
    settle_time,
    status_bar_mask,
    wait_until_static,
)

SCALE = 0.25
COUNTER_BUTTON = (0.50 * 1080, 0.62 * 2400)  # the twin's Counter "+" button, screen px


def _masks(rect: ScreenRectifier, touch_px: tuple[float, float], px_per_mm: float):
    """Finger + arm from the robot's known touch point, and the status bar."""
    shape = (rect.view_size_px[1], rect.view_size_px[0])
    mm = px_per_mm * rect.scale  # view px per mm
    finger = finger_mask(shape, [rect.screen_to_view(*touch_px)], radius_px=5.5 * mm,
                         arm_direction=(0.0, 1.0), arm_length_px=30 * mm, arm_width_px=8 * mm)
    status = status_bar_mask(shape)
    return combine_masks(finger, status)


@pytest.mark.parametrize("fps", [30.0, 60.0, 240.0])
def test_latency_from_camera_frames_is_within_one_frame_period_of_truth(fps):
    rig = build_rig(None, seed=int(fps), overrides={"camera": {"fps": fps}})
    rig.open()
    rig.link.launch_app("Counter")
    rig.clock.sleep(1.0)
    rect = ScreenRectifier(rig.calibration.camera_to_screen_h, rig.device.screen_px, SCALE)
    period = 1.0 / fps
    mask = _masks(rect, COUNTER_BUTTON, rig.device.px_per_mm[1])
    errors, frame_errors = [], []
    for _ in range(16):
        t_down, _ = rig.robot.perform(to_touch_path(tap(PointPx(*COUNTER_BUTTON)),
                                                    rig.calibration))
        rig.clock.sleep(0.45)
        frames = rig.camera.frames(t_down - 2 * period, t_down + 0.4)
        views = [(f.t, rect.view(f.image)) for f in frames]
        got = first_change_after(views, t_down, mask=mask)
        truth = [r for r in rig.truth.responses if abs(r.t_touch - t_down) < 1e-9]
        assert got is not None and len(truth) == 1
        errors.append((got.t_estimate - t_down) - truth[0].latency_s)
        frame_errors.append((got.t_frame - t_down) - truth[0].latency_s)
    err = np.abs(errors)
    assert np.percentile(err, 95) <= period, (fps, err)
    # a change is never seen before it is on the display, and at most one frame after
    assert min(frame_errors) >= -1e-9 and max(frame_errors) <= period + 1e-9


def test_exposure_interpolation_beats_the_frame_time_on_a_dephased_240_fps_camera():
    # frames stamped mid-exposure, 4 ms exposures at 240 fps: every display change is caught
    # half-way through some exposure; its blended fraction says where
    rig = build_rig(None, seed=5, overrides={"camera": {"fps": 240.0, "phase_s": 0.0037}})
    rig.open()
    rig.link.launch_app("Counter")
    rig.clock.sleep(1.0)
    rect = ScreenRectifier(rig.calibration.camera_to_screen_h, rig.device.screen_px, SCALE)
    mask = _masks(rect, COUNTER_BUTTON, rig.device.px_per_mm[1])
    exposure = rig.camera.options.exposure_s  # a camera setting, not ground truth
    est, raw = [], []
    for _ in range(12):
        t_down, _ = rig.robot.perform(to_touch_path(tap(PointPx(*COUNTER_BUTTON)),
                                                    rig.calibration))
        rig.clock.sleep(0.4)
        views = [(f.t, rect.view(f.image)) for f in rig.camera.frames(t_down - 0.01,
                                                                     t_down + 0.35)]
        got = first_change_after(views, t_down, mask=mask, exposure_s=exposure, stamp_at=0.5)
        truth = next(r for r in rig.truth.responses if abs(r.t_touch - t_down) < 1e-9)
        est.append(got.t_estimate - truth.t_visible)
        raw.append(got.t_frame - truth.t_visible)
    assert np.percentile(np.abs(est), 95) < 0.2e-3  # 0.2 ms
    assert np.percentile(np.abs(est), 95) < 0.5 * np.percentile(np.abs(raw), 95)


def _fade(n: int, t0: float, dt: float, start: int, stop: int) -> list[tuple[float, np.ndarray]]:
    """Views of a square that brightens from frame ``start`` to ``stop`` in small steps."""
    out = []
    for k in range(n):
        v = np.full((60, 60), 40, np.uint8)
        level = 40 + 200 * min(1.0, max(0.0, (k - start) / (stop - start)))
        v[20:40, 20:40] = round(level)
        out.append((t0 + k * dt, v))
    return out


def test_settle_time_is_when_a_slow_fade_stops():
    views = _fade(60, 10.0, 0.02, start=5, stop=25)  # 10 gray levels a frame: never above
    # the threshold (24) between neighbours, but the fade as a whole is a change. By hand:
    # frame 23 (level 220) is the first that the end (240) differs from by less than 24.
    assert settle_time(views, 0.3) == pytest.approx(10.0 + 23 * 0.02)
    assert settle_time(views[:30], 0.3) is None  # not still for 0.3 s within the views


def test_wait_until_static_pulls_frames_until_still_or_timeout():
    views = iter(_fade(60, 0.0, 0.02, start=5, stop=25))
    assert wait_until_static(lambda: next(views), 0.2, timeout_s=2.0) == pytest.approx(0.46)
    moving = iter(_fade(200, 0.0, 0.02, start=0, stop=60))  # 3.3 levels a frame, for 1.2 s
    assert wait_until_static(lambda: next(moving), 0.2, timeout_s=1.0) is None


def test_exposure_blend_interpolates_inside_the_frame_interval():
    # camera with a 10 ms exposure ending at t; the change happens 4 ms before frame 3's end
    ref = np.full((40, 40), 50, np.uint8)
    full = ref.copy()
    full[10:30, 10:30] = 250
    part = ref.copy()
    part[10:30, 10:30] = 50 + round(0.4 * 200)  # 40 % of the exposure saw the new screen
    views = [(0.0, ref), (0.02, ref), (0.04, ref), (0.06, part), (0.08, full)]
    got = first_change_after(views, 0.01, exposure_s=0.01,
                             detector=ChangeDetector(threshold=20))
    assert got is not None and got.t_frame == 0.06
    assert got.fraction == pytest.approx(0.4, abs=0.01)
    assert got.t_estimate == pytest.approx(0.06 - 0.004, abs=1e-4)
    # the same frames stamped at the middle of the exposure: the change was 1 ms before t
    mid = first_change_after(views, 0.01, exposure_s=0.01, stamp_at=0.5,
                             detector=ChangeDetector(threshold=20))
    assert mid.t_estimate == pytest.approx(0.06 + 0.005 - 0.004, abs=1e-4)


def test_masks_cover_finger_arm_status_bar_and_declared_regions():
    shape = (100, 50)
    f = finger_mask(shape, [(25, 40)], radius_px=5, arm_direction=(0, 1), arm_length_px=30,
                    arm_width_px=4)
    assert f[40, 25] == 255 and f[40, 31] == 0 and f[65, 25] == 255 and f[75, 25] == 0
    assert f[40, 20] == 255 and f[65, 22] == 0  # the arm is narrower than the finger
    s = status_bar_mask(shape, 0.05)
    assert s[:5].all() and not s[5:].any()
    r = rect_mask(shape, [(10.5, 60, 5, 5)])
    assert r[60:65, 10:16].all() and int(r.sum()) == 255 * 5 * 6
    both = combine_masks(f, None, s, r)
    assert both is not None and both[0, 0] == 255 and both[62, 12] == 255 and both[90, 5] == 0
    assert combine_masks(None) is None


def test_first_change_needs_a_reference_before_the_touch():
    v = np.zeros((20, 20), np.uint8)
    with pytest.raises(VisionError, match="no view at or before the touch"):
        first_change_after([(1.0, v), (1.1, v)], 0.5)
    assert first_change_after([(0.4, v), (1.0, v)], 0.5) is None
