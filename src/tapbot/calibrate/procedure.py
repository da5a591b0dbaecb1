"""The calibration procedure: camera -> screen from the image, screen -> robot from touches.

1. camera -> screen: ArUco markers on the holder (when their layout is given), else a marker
   pattern shown through the device link (``show_image``), else the link's screenshot matched
   to the camera view, else the bright screen quadrilateral.
2. bootstrap: three touches around ``start_mm`` (a point over the screen) give a rough
   robot -> screen map, so nobody has to tell where the phone lies;
3. N probe touches (default 9) spread over the screen: the glass height under each by
   lowering the finger until a touch registers, the screen position from the link's touch log
   (or the camera seeing the touch feedback);
4. an affine (or homography) fit with outlier rejection and a glass plane; refused when the
   worst inlier residual is above ``limit_mm``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tapbot.calibrate.fit import FitResult, fit_glass_plane, fit_screen_to_robot
from tapbot.calibrate.probe import (
    CameraTouchSource,
    LinkTouchSource,
    Probe,
    TouchSource,
    probe_point,
)
from tapbot.cameras.base import Camera
from tapbot.core.calibration import Calibration, ProbePoint, profile_fingerprint
from tapbot.core.clock import Clock, wall_time
from tapbot.core.errors import CalibrationError, HardwareError, VisionError
from tapbot.core.geometry import Homography, PointMm
from tapbot.devices.link import DeviceLink
from tapbot.devices.profile import DeviceProfile
from tapbot.robots.robot import Robot, RobotSettings
from tapbot.vision.locate import (
    ScreenPose,
    find_markers,
    find_screen_quad,
    layout_from_mm,
    locate_screen,
    marker_pattern,
    screen_corners_px,
)
from tapbot.vision.rectify import ScreenRectifier

logger = logging.getLogger(__name__)

__all__ = ["CalibrationOptions", "CalibrationRejected", "CalibrationReport", "calibrate",
           "calibrate_camera", "calibrate_rig", "holder_markers_mm"]


class CalibrationOptions(BaseModel):
    """How to calibrate (the rig config's ``calibrate:`` options or CLI flags)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: int = Field(9, ge=4, le=100, description="probe touches spread over the screen")
    margin_frac: float = Field(0.1, ge=0.02, le=0.4, description="keep probes off the edges")
    model: Literal["affine", "homography"] = "affine"
    limit_mm: float = Field(0.5, gt=0, description="refuse a fit whose worst residual is above")
    outlier_mm: float = Field(1.0, gt=0, description="reject probes with a larger residual")
    start_mm: tuple[float, float] | None = Field(
        None, description="a robot point over the screen (default: the envelope's centre)")
    bootstrap_step_mm: float = Field(8.0, gt=0)
    z_start_mm: float | None = Field(None, description="probe start height (default: 10 mm "
                                     "or the envelope's top)")
    z_floor_mm: float | None = Field(None, description="lowest probe height (default: the "
                                     "envelope's floor)")
    coarse_step_mm: float = Field(0.5, gt=0)
    fine_step_mm: float = Field(0.02, gt=0)
    press_mm: float = Field(0.1, ge=0, le=1.0, description="contact height below the glass")
    clearance_mm: float = Field(3.0, gt=0)
    approach_mm: float = Field(1.0, ge=0)
    markers_mm: dict[int, list[tuple[float, float]]] | None = Field(
        None, description="ArUco marker corners (TL, TR, BR, BL) in screen mm on the holder")


@dataclass
class CalibrationReport:
    """What a calibration found: the result and every probe with its residual."""

    calibration: Calibration
    probes: list[Probe]
    fit: FitResult
    camera: ScreenPose | None
    notes: list[str] = field(default_factory=list)


class CalibrationRejected(CalibrationError):
    """The fit is worse than its limit; ``report`` holds the residual map."""

    def __init__(self, message: str, *, hint: str, report: CalibrationReport) -> None:
        super().__init__(message, hint=hint)
        self.report = report


def _grid(profile: DeviceProfile, n: int, margin: float) -> list[tuple[float, float]]:
    w, h = profile.screen_px
    cols = max(2, math.ceil(math.sqrt(n * w / h)))
    rows = max(2, math.ceil(n / cols))
    xs = np.linspace(margin * w, (1 - margin) * w, cols)
    ys = np.linspace(margin * h, (1 - margin) * h, rows)
    out = []
    for r, y in enumerate(ys):  # serpentine: short moves
        row = xs if r % 2 == 0 else xs[::-1]
        out.extend((float(x), float(y)) for x in row)
    return out


def holder_markers_mm(camera: Camera) -> dict[int, list[tuple[float, float]]] | None:
    """The holder's marker layout when the camera knows it: an optional capability, a
    ``markers_mm`` attribute ``{id: [TL, TR, BR, BL]}`` in screen mm (empty: no markers)."""
    layout = getattr(camera, "markers_mm", None)
    if callable(layout):
        layout = layout()
    if not isinstance(layout, dict) or not layout:
        return None
    return {int(k): [(float(x), float(y)) for x, y in v] for k, v in layout.items()}


def calibrate_camera(camera: Camera, link: DeviceLink | None, profile: DeviceProfile,
                     clock: Clock, markers_mm: dict[int, list[tuple[float, float]]] | None
                     ) -> ScreenPose:
    """Camera px -> screen px: holder markers, a shown pattern, the screenshot, the quad."""
    if markers_mm:
        layout = layout_from_mm(markers_mm, profile.screen_px, profile.screen_mm)
        pose = find_markers(camera.latest().image, layout, fit_distortion=True)
        if pose is not None:
            return pose
        logger.warning("the holder's markers were not seen; trying the screen itself")
    if link is not None:
        pose = _from_shown_pattern(camera, link, profile, clock)
        if pose is not None:
            return pose
        clock.sleep(0.2)  # the phone's own screen is back from the next refresh
        shot = link.screenshot()
        return locate_screen(camera.latest().image, profile.screen_px, screenshot=shot)
    return locate_screen(camera.latest().image, profile.screen_px)


def _from_shown_pattern(camera: Camera, link: DeviceLink, profile: DeviceProfile,
                        clock: Clock) -> ScreenPose | None:
    """Show marker patterns (small markers first: more corners; then large ones for a camera
    that resolves the screen coarsely), then a plain white screen (the bright quad)."""
    w, h = profile.screen_px
    for cols, rows, size in ((3, 5, 0.16), (2, 3, 0.30)):
        image, layout = marker_pattern(profile.screen_px, cols=cols, rows=rows, size_frac=size)
        try:
            link.show_image(image)
        except HardwareError:
            logger.info("the device link cannot show a pattern; matching its screenshot")
            return None
        try:
            clock.sleep(0.2)  # the pattern is on screen from the next refresh
            pose = find_markers(camera.latest().image, layout, fit_distortion=True)
        finally:
            link.clear_image()
        if pose is not None:
            return ScreenPose(pose.camera_to_screen, "pattern", pose.residual_px, pose.n_points,
                              pose.distortion)
    link.show_image(np.full((h, w, 3), 255, np.uint8))
    try:
        clock.sleep(0.2)
        quad = find_screen_quad(camera.latest().image)
    finally:
        link.clear_image()
    if quad is None:
        return None
    return ScreenPose(Homography.fit(quad, screen_corners_px(profile.screen_px)), "white quad",
                      0.0, 4)


def calibrate_rig(rig: Any, options: CalibrationOptions | None = None) -> CalibrationReport:
    """:func:`calibrate` on a built rig (``tapbot.rig.Rig``; build it with
    ``overrides={"calibration": UNCALIBRATED}`` when it has no calibration yet)."""
    rig.camera.setup()
    return calibrate(robot=rig.robot, camera=rig.camera, link=rig.link, profile=rig.device,
                     clock=rig.clock, rig_name=rig.name, options=options)


def calibrate(*, robot: Robot, camera: Camera, link: DeviceLink | None,
              profile: DeviceProfile, clock: Clock, rig_name: str,
              options: CalibrationOptions | None = None) -> CalibrationReport:
    """Run the whole procedure on a rig's parts and return the report.

    ``robot`` is a robot front-end; calibration builds its own front-end on the
    same backend, hovering at the probe start height (the glass height is what it measures).
    Raises :class:`CalibrationRejected` (with the report) when the fit is worse than
    ``limit_mm`` and :class:`CalibrationError` when no touch registers.
    """
    opts = options or CalibrationOptions()
    env = robot.settings.envelope
    z_start = opts.z_start_mm if opts.z_start_mm is not None else min(10.0, env.z_mm[1])
    z_floor = opts.z_floor_mm if opts.z_floor_mm is not None else env.z_mm[0]
    settings = RobotSettings.model_validate(
        {**robot.settings.model_dump(), "clearance_mm": 1.0, "overtravel_mm": 0.0})
    prober = Robot(robot.backend, clock, settings, contact_z_mm=z_start - 1.0)
    notes: list[str] = []

    pose: ScreenPose | None
    try:
        pose = calibrate_camera(camera, link, profile, clock,
                                opts.markers_mm or holder_markers_mm(camera))
        notes.append(f"camera -> screen from {pose.method} ({pose.n_points} points)")
    except VisionError as exc:
        if link is None:
            raise
        pose = None
        notes.append(f"camera -> screen not found ({exc.message}); kept none")
    source: TouchSource
    if link is not None:
        source = LinkTouchSource(link, clock)
    else:
        if pose is None:
            raise CalibrationError("no device link and no camera view of the screen",
                                   hint="attach the device link or make the screen visible")
        source = CameraTouchSource(camera, ScreenRectifier(pose.camera_to_screen,
                                                           profile.screen_px, 0.25), clock)

    prober.setup()
    prober.home()
    try:
        probes = _probe_all(prober, source, profile, opts, z_start, z_floor, env)
    finally:
        prober.park()
    src = np.array([p.screen_px for p in probes])
    dst = np.array([(p.robot_mm.x, p.robot_mm.y) for p in probes])
    fit = fit_screen_to_robot(src, dst, model=opts.model, outlier_mm=opts.outlier_mm)
    inl = fit.inliers
    plane = fit_glass_plane(dst[inl], np.array([p.z_mm for p in probes])[inl])
    corners = fit.homography.apply(np.array(
        [[0, 0], [profile.screen_px[0], 0], [profile.screen_px[0], profile.screen_px[1]],
         [0, profile.screen_px[1]]], dtype=np.float64))
    zc = corners @ np.array(plane[:2]) + plane[2]
    contact = float(zc.min()) - opts.press_mm
    points = [ProbePoint(screen_px=p.screen_px, robot_mm=(p.robot_mm.x, p.robot_mm.y),
                         z_mm=p.z_mm, residual_mm=round(float(r), 4), inlier=bool(ok))
              for p, r, ok in zip(probes, fit.residuals_mm, inl, strict=True)]
    cal = Calibration(
        rig=rig_name, device=profile.name,
        screen_to_robot=fit.homography.to_list(),
        camera_to_screen=(pose.camera_to_screen if pose else Homography.identity()).to_list(),
        contact_z_mm=round(contact, 4), clearance_z_mm=round(float(zc.max()) + opts.clearance_mm,
                                                              4),
        residual_mm=round(fit.rms_mm, 4), max_residual_mm=round(fit.max_mm, 4),
        source="measured", model=opts.model, glass_plane=plane, points=points,
        created_at=wall_time(), profile=profile_fingerprint(profile),
        camera_method=pose.method if pose else None,
        camera_distortion=tuple(pose.distortion.to_list()) if pose and pose.distortion else None)
    report = CalibrationReport(cal, probes, fit, pose, notes)
    rejected = int((~inl).sum())
    if rejected:
        notes.append(f"{rejected} probe point(s) rejected as outliers")
    if fit.max_mm > opts.limit_mm:
        worst = int(np.argmax(np.where(inl, fit.residuals_mm, -1)))
        raise CalibrationRejected(
            f"calibration residual {fit.max_mm:.2f} mm at probe {worst} is above the limit "
            f"{opts.limit_mm:.2f} mm",
            hint="check the finger is tight and the phone cannot move in its holder, then run "
                 "'tapbot calibrate' again (or try --model homography)",
            report=report)
    return report


def _rough_map(probes: list[Probe]) -> Homography:
    src = np.array([p.screen_px for p in probes])
    dst = np.array([(p.robot_mm.x, p.robot_mm.y) for p in probes])
    return Homography.fit_affine(src, dst)


def _probe_all(robot: Robot, source: TouchSource, profile: DeviceProfile,
               opts: CalibrationOptions, z_start: float, z_floor: float, env) -> list[Probe]:
    start = PointMm(*(opts.start_mm if opts.start_mm is not None else
                      ((env.x_mm[0] + env.x_mm[1]) / 2, (env.y_mm[0] + env.y_mm[1]) / 2)))
    kw = {"z_floor_mm": z_floor, "coarse_step_mm": opts.coarse_step_mm,
          "fine_step_mm": opts.fine_step_mm, "approach_mm": opts.approach_mm}
    first = probe_point(robot, source, start, z_start_mm=z_start, **kw)
    if first is None:
        raise CalibrationError(
            f"no touch registered at the start point ({start.x:.1f}, {start.y:.1f}) mm down to "
            f"{z_floor:.1f} mm",
            hint="place the phone's screen under the start point, or pass --start X,Y (robot "
                 "mm over the screen); check the phone is awake and the finger conducts")
    probes = [first]
    z_next = first.z_mm + 1.0
    d = opts.bootstrap_step_mm
    axes = []
    for dx, dy in ((d, 0.0), (0.0, d)):
        got = None
        for sign in (1.0, -1.0):
            p = PointMm(start.x + sign * dx, start.y + sign * dy)
            if not env.contains(p.x, p.y, z_next):
                continue
            got = probe_point(robot, source, p, z_start_mm=z_next, **kw)
            if got is not None:
                axes.append((np.array(got.screen_px) - np.array(first.screen_px)) / (sign * d))
                probes.append(got)
                break
        if got is None:
            raise CalibrationError(
                "the bootstrap touches around the start point did not register",
                hint="move the start point towards the middle of the screen (--start X,Y)")
    a = np.column_stack(axes)  # d(screen px) / d(robot mm)
    if abs(np.linalg.det(a)) < 1e-9:
        raise CalibrationError("the bootstrap touches gave a degenerate map",
                               hint="check the device link reports touches where they happen")
    for sx, sy in _grid(profile, opts.points, opts.margin_frac):
        # the rough screen -> robot map, refitted on every probe so far (it improves as the
        # probes spread out, so a sloppy robot's bootstrap does not send probes off-screen)
        rough = _rough_map(probes)
        p = PointMm(*rough.apply_point(sx, sy))
        if not env.contains(p.x, p.y, z_next):
            raise CalibrationError(
                f"probe target ({p.x:.1f}, {p.y:.1f}) mm lies outside the robot envelope",
                hint="move the phone so the whole screen lies inside the envelope")
        got = probe_point(robot, source, p, z_start_mm=z_next, **kw)
        if got is None:
            # the glass may be lower here (tilted phone): search from the start height
            got = probe_point(robot, source, p, z_start_mm=z_start, **kw)
        if got is None:
            raise CalibrationError(
                f"no touch registered at ({p.x:.1f}, {p.y:.1f}) mm",
                hint="the phone may have moved or gone to sleep; wake it and run again")
        probes.append(got)
        z_next = max(pr.z_mm for pr in probes) + 1.0
    logger.info("probed %d points", len(probes))
    return probes
