"""The bump fault: the phone knocked on the deck moves rigidly; touches, camera and truth
follow it, frames of before the bump still show it where it was."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from tapbot.core.clock import VirtualClock
from tapbot.core.documents import Incident, RunStart, RunStop
from tapbot.sim import (
    FaultEvent,
    FaultOptions,
    GroundTruth,
    SimCamera,
    SimCameraOptions,
    SimPhone,
    SimPhoneOptions,
    SimRobot,
    SimRobotOptions,
    SimWorld,
    TruthFault,
    score_run,
)

W, H = 1080, 2400
CENTRE = (W / 2, H / 2)
BUMP_T = 5.0


class _Twin:
    """Clock, phone, world, robot, camera; optionally one scheduled bump."""

    def __init__(self, bump: dict | None = None, *, seed: int = 0, noise: float = 0.0,
                 per_hour: dict[str, float] | None = None, markers: bool = False) -> None:
        schedule = [FaultEvent(kind="bump", at_s=BUMP_T, **bump)] if bump is not None else []
        faults = FaultOptions(schedule=schedule, per_hour=per_hour or {})
        self.clock = VirtualClock()
        self.phone = SimPhone(SimPhoneOptions(seed=seed, faults=faults), self.clock)
        self.world = SimWorld(self.clock, self.phone)
        self.robot = SimRobot(SimRobotOptions(repeatability_mm=0.0, seed=seed), self.world)
        self.camera = SimCamera(SimCameraOptions(noise_sigma=noise, seed=seed, markers=markers),
                                self.world)

    def touch_at_mm(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """Tap the glass at deck mm; where the phone felt it (screen px)."""
        mx, my = self.robot.true_machine_to_deck().inverse().apply_point(x_mm, y_mm)
        self.robot.move_to(mx, my, 300.0)
        self.robot.finger_down(0, 0.0)
        self.clock.sleep(0.05)
        self.robot.finger_up(0, 5.0)
        touch = self.phone.truth.touches[-1]
        return touch.x_px, touch.y_px


def _bump_fault(twin: _Twin) -> TruthFault:
    (fault,) = twin.phone.truth.faults_between(0.0, math.inf, kind="bump")
    return fault


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)


def test_a_scheduled_bump_moves_where_a_fixed_deck_point_touches_the_screen() -> None:
    twin = _Twin({"amount": 3.0, "direction_deg": 30.0, "rotation_deg": 1.0})
    centre_mm = twin.world.true_screen_to_robot().apply_point(*CENTRE)
    before = twin.touch_at_mm(*centre_mm)
    assert before == pytest.approx(CENTRE, abs=0.5)  # the stage moves in 0.01 mm steps
    twin.clock.advance_to(BUMP_T + 1.0)
    after = twin.touch_at_mm(*centre_mm)
    # the screen centre moved by the shift: the same deck point is (-shift) in the screen's
    # own axes, turned by the bump's rotation, in the profile's px per mm
    sx, sy = twin.phone.profile.px_per_mm
    dx, dy = 3.0 * math.cos(math.radians(30.0)), 3.0 * math.sin(math.radians(30.0))
    a = math.radians(-1.0)
    ux, uy = -(math.cos(a) * dx - math.sin(a) * dy), -(math.sin(a) * dx + math.cos(a) * dy)
    assert after[0] - before[0] == pytest.approx(ux * sx, abs=0.01)
    assert after[1] - before[1] == pytest.approx(uy * sy, abs=0.01)
    assert math.hypot(after[0] - before[0], after[1] - before[1]) > 40  # ~3 mm of pixels


def test_a_true_calibration_from_before_the_bump_is_off_by_the_bump() -> None:
    twin = _Twin({"amount": 4.0, "direction_deg": -60.0, "rotation_deg": -1.2})
    old_robot = twin.world.true_screen_to_robot()
    old_cam_to_screen = twin.camera.true_camera_to_screen()
    old_origin, old_rot = twin.world.screen_origin_mm, twin.world.rotation_deg
    twin.clock.advance_to(BUMP_T + 0.5)
    new_robot = twin.world.true_screen_to_robot()
    cx0, cy0 = old_robot.apply_point(*CENTRE)
    cx1, cy1 = new_robot.apply_point(*CENTRE)
    fault = _bump_fault(twin)
    assert (cx1 - cx0, cy1 - cy0) == pytest.approx(
        (fault.details["dx_mm"], fault.details["dy_mm"]), abs=0.01)
    assert math.hypot(cx1 - cx0, cy1 - cy0) == pytest.approx(4.0, abs=0.01)
    assert twin.world.rotation_deg == pytest.approx(old_rot - 1.2)
    assert twin.world.screen_origin_mm != old_origin
    # the past stays asked for: the map at a time before the bump is the old one
    assert np.allclose(twin.world.true_screen_to_robot(BUMP_T - 0.1).matrix, old_robot.matrix)
    assert np.allclose(twin.camera.true_camera_to_screen(BUMP_T - 0.1).matrix,
                       old_cam_to_screen.matrix)
    # the camera is fixed to the deck: deck -> camera is the same before and after
    new_cam_to_screen = twin.camera.true_camera_to_screen()
    assert not np.allclose(new_cam_to_screen.matrix, old_cam_to_screen.matrix)
    deck = np.array([[50.0, 80.0], [90.0, 120.0], [60.0, 170.0]])
    seen_old = old_cam_to_screen.inverse().apply(old_robot.inverse().apply(deck))
    seen_new = new_cam_to_screen.inverse().apply(new_robot.inverse().apply(deck))
    assert np.allclose(seen_old, seen_new, atol=1e-6)
    # the screen centre moved in the image by the shift in camera px
    c_old = old_cam_to_screen.inverse().apply(np.array([CENTRE]))[0]
    c_new = twin.camera.true_screen_to_camera().apply(np.array([CENTRE]))[0]
    cam_px_per_mm = twin.camera._px_per_mm
    moved = float(np.hypot(*(c_new - c_old)))
    assert moved == pytest.approx(4.0 * cam_px_per_mm, rel=0.08)


def test_frames_after_the_bump_show_the_phone_moved_by_the_expected_camera_px() -> None:
    twin = _Twin({"amount": 5.0, "direction_deg": 0.0, "rotation_deg": 0.0})
    twin.clock.advance_to(BUMP_T + 1.0)
    before = twin.camera.frames(BUMP_T - 0.5, BUMP_T - 0.5 + 1 / 60)[0]
    after = twin.camera.frames(BUMP_T + 0.5, BUMP_T + 0.5 + 1 / 60)[0]
    assert not np.array_equal(before.image, after.image)
    (du, dv), _ = cv2.phaseCorrelate(_gray(before.image), _gray(after.image))
    c_old = twin.camera.true_screen_to_camera(BUMP_T - 0.5).apply(np.array([CENTRE]))[0]
    c_new = twin.camera.true_screen_to_camera(BUMP_T + 0.5).apply(np.array([CENTRE]))[0]
    assert (du, dv) == pytest.approx(tuple(c_new - c_old), abs=0.75)
    assert abs(du) > 10  # 5 mm is a visible move


def test_frames_before_the_bump_are_pixel_identical_to_a_twin_with_no_bump() -> None:
    plain = _Twin(None, noise=2.0, seed=4, markers=True)
    bumped = _Twin({"amount": 2.5, "rotation_deg": 1.5}, noise=2.0, seed=4, markers=True)
    for twin in (plain, bumped):
        twin.robot.move_to(70.0, 100.0, 300.0)
        twin.clock.advance_to(BUMP_T + 2.0)
    ys, xs = np.mgrid[100:380:7, 150:500:9]
    points = (ys.ravel(), xs.ravel())
    # after the bump first (the camera draws the new pose), then back to before it
    assert not np.array_equal(plain.camera.frames(BUMP_T + 1.0, BUMP_T + 1.1)[0].image,
                              bumped.camera.frames(BUMP_T + 1.0, BUMP_T + 1.1)[0].image)
    old_a = plain.camera.frames(BUMP_T - 0.5, BUMP_T - 1e-6)
    old_b = bumped.camera.frames(BUMP_T - 0.5, BUMP_T - 1e-6)
    assert len(old_a) == 29
    for fa, fb in zip(old_a, old_b, strict=True):
        assert fa.t == fb.t and np.array_equal(fa.image, fb.image)
    # pixels rendered alone across the bump equal the whole frames' pixels
    fresh = _Twin({"amount": 2.5, "rotation_deg": 1.5}, noise=2.0, seed=4, markers=True)
    fresh.robot.move_to(70.0, 100.0, 300.0)
    fresh.clock.advance_to(BUMP_T + 2.0)
    samples = fresh.camera.pixels(BUMP_T - 0.3, BUMP_T + 0.3, points)
    frames = bumped.camera.frames(BUMP_T - 0.3, BUMP_T + 0.3)
    assert len(samples) == len(frames) == 36
    for s, f in zip(samples, frames, strict=True):
        assert s.index == f.index and np.array_equal(s.values, f.image[points])
    before = [s for s in samples if s.t < BUMP_T]
    plain_px = plain.camera.pixels(BUMP_T - 0.3, BUMP_T - 1e-6, points)
    assert [s.index for s in before] == [s.index for s in plain_px]
    for s, p in zip(before, plain_px, strict=True):
        assert np.array_equal(s.values, p.values)


def test_the_truth_logs_the_bump_with_its_shift_and_rotation() -> None:
    twin = _Twin({"amount": 3.0, "direction_deg": 90.0, "rotation_deg": 0.5})
    twin.clock.advance_to(BUMP_T + 1.0)
    fault = _bump_fault(twin)
    assert (fault.kind, fault.t_start, fault.t_end) == ("bump", BUMP_T, BUMP_T)
    d = fault.details
    assert d["shift_mm"] == 3.0 and d["direction_deg"] == 90.0 and d["rotation_deg"] == 0.5
    assert (d["dx_mm"], d["dy_mm"]) == pytest.approx((0.0, 3.0), abs=1e-12)
    again = GroundTruth.from_json(twin.phone.truth.to_json())
    assert again.faults[0] == fault
    history = twin.world.pose_history
    assert [t for t, _ in history] == [-math.inf, BUMP_T]
    assert history[1][1].rotation_deg == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"kind": "bump", "at_s": 1.0, "amount": -1.0}, "amount"),
        ({"kind": "bump", "at_s": 1.0, "amount": 25.0}, "amount"),
        ({"kind": "bump", "at_s": 1.0, "rotation_deg": 8.0}, "rotation_deg"),
        ({"kind": "bump", "at_s": 1.0, "duration_s": 2.0}, "duration_s"),
        ({"kind": "freeze", "at_s": 1.0, "duration_s": 2.0, "rotation_deg": 1.0},
         "rotation_deg"),
    ],
)
def test_a_malformed_bump_fails_naming_the_field(event: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        FaultEvent(**event)


def test_a_bump_defaults_to_2_mm_and_a_seeded_turn_within_1_5_degrees() -> None:
    def bumps(seed: int) -> list[TruthFault]:
        twin = _Twin(None, seed=seed, per_hour={"bump": 60.0})
        twin.clock.advance_to(1800.0)
        return twin.phone.truth.faults_between(0.0, math.inf, kind="bump")

    a, b, c = bumps(3), bumps(3), bumps(4)
    assert len(a) >= 10 and a == b and a != c
    for f in a:
        assert f.t_end == f.t_start and f.details["shift_mm"] == 2.0
        assert abs(f.details["rotation_deg"]) <= 1.5
    # the world moved by every bump: its rotation is their sum
    twin = _Twin(None, seed=3, per_hour={"bump": 60.0})
    twin.clock.advance_to(1800.0)
    total = sum(f.details["rotation_deg"] for f in a)
    assert twin.world.rotation_deg == pytest.approx(total, abs=1e-9)
    # a scheduled bump with nothing given draws direction and turn from the seed as well
    one = _Twin({}, seed=9)
    one.clock.advance_to(BUMP_T + 1)
    two = _Twin({}, seed=9)
    two.clock.advance_to(BUMP_T + 1)
    assert _bump_fault(one) == _bump_fault(two)
    assert one.world.screen_origin_mm == two.world.screen_origin_mm


def test_a_twin_with_no_bump_never_moves_and_never_polls_the_phone_for_it() -> None:
    twin = _Twin(None)
    assert twin.world._may_bump is False
    origin = twin.world.screen_origin_mm
    twin.clock.advance_to(30.0)
    twin.camera.latest()
    assert twin.world.screen_origin_mm == origin and len(twin.world.pose_history) == 1
    assert not twin.camera._other_poses


def test_pose_drift_incidents_are_scored_against_bumps() -> None:
    truth = GroundTruth(faults=[TruthFault("bump", 100.0, 100.0, "Counter"),
                                TruthFault("bump", 500.0, 500.0, "Video")])

    def run(onsets: list[float]) -> list:
        docs: list = [RunStart(run_id="r", t=0.0, rig="twin", device="p", plan="x")]
        docs += [Incident(run_id="r", t=t, incident="pose-drift", t_onset=t, t_end=None,
                          message="m") for t in onsets]
        docs.append(RunStop(run_id="r", t=1000.0, reason="completed", verdict="FAIL"))
        return docs

    # seen 30 s after the first bump (at the next check) and 1 s after the second
    report = score_run(run([130.0, 501.0]), truth)
    bump = report.kinds["bump"]
    assert (bump.truth, bump.detected, bump.correct, bump.duplicates) == (2, 2, 2, 0)
    assert sorted(bump.onset_errors_s) == pytest.approx([1.0, 30.0])
    # one that says the phone moved before any bump did is false (even left open); one long
    # after the second counts for the second
    report = score_run(run([50.0, 900.0]), truth)
    bump = report.kinds["bump"]
    assert (bump.detected, bump.correct, bump.false) == (1, 1, 1)
    assert bump.onset_errors_s == pytest.approx([400.0])
