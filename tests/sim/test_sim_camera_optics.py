"""The twin camera's optics against independent truth: OpenCV's lens model, ArUco detection,
exposure blur, display blending and refresh flicker."""

from __future__ import annotations

import math
from collections.abc import Hashable

import cv2
import numpy as np
import pytest

from tapbot.core.clock import VirtualClock
from tapbot.sim import (
    SimCamera,
    SimCameraOptions,
    SimPhone,
    SimPhoneOptions,
    SimRobot,
    SimRobotOptions,
    SimWorld,
)
from tapbot.sim.markers import aruco_dictionary

W, H = 1080, 2400


class _GreyPhone(SimPhone):
    """A plain mid-grey screen (changes nothing on its own)."""

    level = 160

    def screen_at(self, t: float, scale: float = 1.0) -> np.ndarray:
        return np.full((round(H * scale), round(W * scale), 3), self.level, np.uint8)

    def display_key(self, t: float) -> Hashable:
        return "grey"


class _BlinkPhone(SimPhone):
    """White on even refresh periods, black on odd ones (60 Hz)."""

    def screen_at(self, t: float, scale: float = 1.0) -> np.ndarray:
        v = 255 if self.display_key(t) == 0 else 0
        return np.full((round(H * scale), round(W * scale), 3), v, np.uint8)

    def display_key(self, t: float) -> Hashable:
        return math.floor(t * 60 + 1e-9) % 2


def _rig(phone_cls: type[SimPhone] = _GreyPhone, robot: dict | None = None, **cam: object):
    clock = VirtualClock()
    phone = phone_cls(SimPhoneOptions(), clock)
    world = SimWorld(clock, phone)
    camera = SimCamera(SimCameraOptions(**{"noise_sigma": 0.0, **cam}), world)
    bot = SimRobot(SimRobotOptions(**{"repeatability_mm": 0.0, "backlash_mm": 0.0,
                                      "shear_pct": 0.0, **(robot or {})}), world)
    return clock, world, camera, bot


def test_distortion_model_is_opencvs_and_its_inverse_holds() -> None:
    _, _, camera, _ = _rig(k1=-0.08, k2=0.02, size_px=(1280, 720))
    ideal = np.array([[100.0, 80.0], [1100.0, 650.0], [640.0, 360.0], [900.0, 200.0]])
    k = camera.intrinsics
    normalized = np.c_[(ideal - k[:2, 2]) / k[0, 0], np.ones(len(ideal))]
    expected, _ = cv2.projectPoints(normalized, np.zeros(3), np.zeros(3), k,
                                    camera.distortion)
    got = camera.distort_px(ideal)
    assert got == pytest.approx(expected.reshape(-1, 2), abs=1e-6)
    assert camera.undistort_px(got) == pytest.approx(ideal, abs=1e-4)
    # barrel distortion pulls a corner point towards the centre
    assert np.hypot(*(got[0] - (640, 360))) < np.hypot(*(ideal[0] - (640, 360)))


@pytest.mark.parametrize("k1", [0.0, -0.1])
def test_holder_markers_are_detected_at_their_layout_positions(k1: float) -> None:
    clock, _, camera, robot = _rig(markers=True, k1=k1, size_px=(1280, 720), noise_sigma=2.0)
    robot.move_to(170.0, 220.0, 300.0)  # at home the carriage hides marker 0: park it away
    clock.sleep(0.1)
    layout = camera.markers_mm
    assert sorted(layout) == [0, 1, 2, 3, 4, 5]
    gray = cv2.cvtColor(camera.latest().image, cv2.COLOR_BGR2GRAY)
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    detector = cv2.aruco.ArucoDetector(aruco_dictionary(), params)
    corners, ids, _ = detector.detectMarkers(gray)
    assert ids is not None and sorted(ids.ravel().tolist()) == [0, 1, 2, 3, 4, 5]
    for c, mid in zip(corners, ids.ravel(), strict=True):
        expected = camera.project_screen_mm(np.asarray(layout[int(mid)]))
        err = np.hypot(*(c.reshape(4, 2) - expected).T)
        assert err.max() < 1.0, (mid, err)


def test_markers_lie_outside_the_phone_body() -> None:
    _, world, camera, _ = _rig(markers=True)
    w_mm, _ = world.phone.profile.screen_mm
    for corners in camera.markers_mm.values():
        xs = [x for x, _ in corners]
        assert max(xs) < -3.0 or min(xs) > w_mm + 3.0


def _edge_rise_px(img: np.ndarray, row: int, background: np.ndarray) -> float:
    """The 10-90 % rise distance of the finger's two edges along ``row`` (mean of both).

    A hard edge smeared by a box of length L rises from 10 % to 90 % over 0.8 L.
    """
    diff = np.abs(img[row].astype(float) - background[row].astype(float)).max(axis=1)
    top = diff.max()
    above10 = np.flatnonzero(diff > 0.1 * top)
    above90 = np.flatnonzero(diff > 0.9 * top)
    left = above90.min() - above10.min()
    right = above10.max() - above90.max()
    return (left + right) / 2


def test_a_moving_finger_smears_by_speed_times_exposure() -> None:
    exposure = 1 / 120
    clock, world, camera, robot = _rig(exposure_s=exposure, k1=0.0, size_px=(1280, 720),
                                       robot={"fingers": 1})
    background = camera.latest().image
    to_deck = world.true_screen_to_robot()
    x0, y = to_deck.apply_point(0.1 * W, 0.3 * H)
    x1, _ = to_deck.apply_point(0.9 * W, 0.3 * H)
    robot.move_to(x0, y, 300.0)
    robot.finger_down(0, 0.0)
    clock.sleep(0.1)
    still = camera.latest()
    row = round(camera.project_deck(np.array([[x0, y, 0.0]]))[0, 1])
    t_start = clock.now()
    robot.move_to(x1, y, 300.0)  # 54 mm: cruises at 300 mm/s from 0.1 s to 0.18 s
    frame = camera.render(math.floor((t_start + 0.12) * camera.fps))
    ppm = camera._px_per_mm  # camera px per mm on the glass
    smear = 300.0 * exposure * ppm  # 2.5 mm at ~4.1 px/mm
    rise_still = _edge_rise_px(still.image, row, background)
    rise_moving = _edge_rise_px(frame.image, row, background)
    assert rise_still <= 2
    assert rise_moving - rise_still == pytest.approx(0.8 * smear, abs=1.5)


def test_a_refresh_inside_the_exposure_blends_the_two_screens() -> None:
    clock, _, camera, _ = _rig(_BlinkPhone, fps=30.0, exposure_s=1 / 60, k1=0.0, phase_s=0.0)
    clock.advance_to(1.0)
    # frame 3 at 0.1 s integrates [0.09167, 0.10833]: 0.1 s is a refresh; [0.0917, 0.1) is
    # period 5 (odd, black) and [0.1, 0.1083) period 6 (white): half and half
    img = camera.render(3).image
    cx, cy = np.round(camera.project_screen_px(np.array([[W / 2, H / 2]]))[0]).astype(int)
    assert img[cy, cx, 0] == pytest.approx(127.5, abs=1.0)
    # at 50 fps, frame 3 (0.06 s) with a 2 ms exposure lies inside period 3 (odd, black) and
    # frame 4 (0.08 s) inside period 4 (even, white): no blend
    _, _, short, _ = _rig(_BlinkPhone, fps=50.0, exposure_s=0.002, k1=0.0, phase_s=0.0)
    short.world.clock.advance_to(1.0)
    assert short.render(3).image[cy, cx, 0] == 0
    assert short.render(4).image[cy, cx, 0] == 255


def test_flicker_beats_at_the_difference_of_refresh_and_frame_rate() -> None:
    # 60 Hz refresh seen at 58 fps: the brightness beats at |60 - 58| = 2 Hz (period 29 frames)
    depth, exposure = 0.2, 0.002
    clock, _, camera, _ = _rig(fps=58.0, exposure_s=exposure, flicker_depth=depth, k1=0.0)
    clock.advance_to(3.0)
    cx, cy = np.round(camera.project_screen_px(np.array([[W / 2, H / 2]]))[0]).astype(int)
    frames = camera.frames(0.0, 2.9)
    b = np.array([f.image[cy - 2:cy + 3, cx - 2:cx + 3, 1].mean() for f in frames])
    spectrum = np.abs(np.fft.rfft(b - b.mean()))
    freqs = np.fft.rfftfreq(len(b), d=1 / 58.0)
    assert freqs[np.argmax(spectrum)] == pytest.approx(2.0, abs=0.4)
    # amplitude: depth times the exposure's sinc, on a level of 160
    sinc = math.sin(math.pi * 60 * exposure) / (math.pi * 60 * exposure)
    assert (b.max() - b.min()) / 2 == pytest.approx(160 * depth * sinc, rel=0.08)


def test_hovering_tool_occludes_the_screen_and_its_arm_too() -> None:
    clock, world, camera, robot = _rig(k1=0.0)
    empty = camera.latest().image
    x, y = world.true_screen_to_robot().apply_point(0.5 * W, 0.4 * H)
    robot.move_to(x, y, 300.0)  # fingers hover 10 mm above the glass; never touch
    clock.sleep(0.05)
    img = camera.latest().image
    assert world.phone.truth.touches == []
    tip = np.round(camera.project_deck(np.array([[x, y, 10.0]]))[0]).astype(int)
    assert np.abs(img[tip[1], tip[0]].astype(int) - (120, 160, 215)).max() <= 2
    # the arm runs from the finger towards the carriage (deck +y): 12 mm below the tip
    arm = np.round(camera.project_deck(np.array([[x, y + 12.0, 25.0]]))[0]).astype(int)
    assert np.abs(img[arm[1], arm[0]].astype(int) - (95, 130, 185)).max() <= 2
    assert np.array_equal(empty[arm[1], arm[0]], np.full(3, 160, np.uint8))


def test_exposure_longer_than_a_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="exposure_s"):
        SimCameraOptions(fps=120.0, exposure_s=0.01)
