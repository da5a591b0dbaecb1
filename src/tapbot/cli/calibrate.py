"""``tapbot calibrate``: probe the screen, fit the maps, print the residual map, save JSON."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from tapbot.calibrate import (
    UNCALIBRATED,
    CalibrationOptions,
    CalibrationRejected,
    CalibrationReport,
    calibrate,
    calibration_path,
    save_calibration,
)
from tapbot.core.errors import ConfigError
from tapbot.rig import build_rig

logger = logging.getLogger(__name__)
console = Console()


def _parse_xy(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--start '{text}' is not X,Y in mm",
                          hint="e.g. --start 75,100") from None
    return x, y


def _load_markers(path: Path | None) -> dict[int, list[tuple[float, float]]] | None:
    """A YAML mapping ``marker id: [[x, y] x 4]`` (TL, TR, BR, BL corners, screen mm)."""
    if path is None:
        return None
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the marker layout ({exc})",
                          hint="a YAML mapping of marker id to 4 [x, y] corners in mm") from None
    out: dict[int, list[tuple[float, float]]] = {}
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{path}: the marker layout must be a non-empty mapping",
                          hint="e.g. '0: [[-17, 0], [-7, 0], [-7, 10], [-17, 10]]'")
    for key, corners in raw.items():
        try:
            pts = [(float(x), float(y)) for x, y in corners]
            if len(pts) != 4:
                raise ValueError
            out[int(key)] = pts
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: marker {key!r}: needs 4 [x, y] corners in mm",
                              hint="list TL, TR, BR, BL as printed") from None
    return out


def print_report(report: CalibrationReport, limit_mm: float) -> None:
    """The residual map: one row per probe point."""
    cal = report.calibration
    table = Table(title="calibration residuals (screen px -> robot mm)")
    for col in ("#", "screen x px", "screen y px", "robot x mm", "robot y mm", "glass z mm",
                "residual mm", ""):
        table.add_column(col, justify="right")
    for i, p in enumerate(cal.points):
        if not p.inlier:
            flag, style = "outlier", "yellow"
        elif p.residual_mm > limit_mm:
            flag, style = "over limit", "red"
        else:
            flag, style = "ok", "green"
        table.add_row(str(i), f"{p.screen_px[0]:.1f}", f"{p.screen_px[1]:.1f}",
                      f"{p.robot_mm[0]:.2f}", f"{p.robot_mm[1]:.2f}", f"{p.z_mm:.3f}",
                      f"{p.residual_mm:.3f}", f"[{style}]{flag}[/]")
    console.print(table)
    console.print(f"model {cal.model}: RMS {cal.residual_mm:.3f} mm, worst "
                  f"{cal.max_residual_mm:.3f} mm (limit {limit_mm:.2f} mm); "
                  f"contact z {cal.contact_z_mm:.3f} mm")
    for note in report.notes:
        console.print(f"- {note}")


def calibrate_command(
    rig: Annotated[Path | None, typer.Option(help="rig YAML (default: the twin)")] = None,
    out: Annotated[Path | None, typer.Option(
        help="where to save (default: calibrations/<rig>/<device>.json)")] = None,
    points: Annotated[int, typer.Option(help="probe touches spread over the screen")] = 9,
    model: Annotated[str, typer.Option(help="affine (shear included) or homography")] = "affine",
    limit_mm: Annotated[float, typer.Option(help="refuse a worse worst residual")] = 0.5,
    start: Annotated[str | None, typer.Option(
        help="X,Y robot mm over the screen to start probing (default: envelope centre)")] = None,
    markers: Annotated[Path | None, typer.Option(
        help="YAML: ArUco (4x4_50) marker id -> 4 corners in screen mm, on the holder")] = None,
    seed: Annotated[int, typer.Option(help="seed of the twin")] = 0,
) -> None:
    """Calibrate a rig: camera -> screen from the image, screen -> robot from probe touches.

    Prints the residual per probe point and saves versioned JSON; a rig uses it with
    ``calibration: {type: file, path: ...}``.
    """
    try:
        options = CalibrationOptions(points=points, model=model, limit_mm=limit_mm,
                                     start_mm=_parse_xy(start),
                                     markers_mm=_load_markers(markers))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"calibrate option {first['loc'][0]}: {first['msg']}",
                          hint="see 'tapbot calibrate --help'") from None
    the_rig = build_rig(rig, seed=seed, overrides={"calibration": UNCALIBRATED})
    console.print(f"calibrating rig '{the_rig.name}', device '{the_rig.device.name}' "
                  f"({options.points} probe points, {options.model})")
    the_rig.camera.setup()
    try:
        report = calibrate(robot=the_rig.robot, camera=the_rig.camera,
                           link=the_rig.link, profile=the_rig.device, clock=the_rig.clock,
                           rig_name=the_rig.name, options=options)
    except CalibrationRejected as exc:
        print_report(exc.report, limit_mm)
        raise
    finally:
        the_rig.close()
    print_report(report, limit_mm)
    path = save_calibration(report.calibration,
                            out or calibration_path(the_rig.name, the_rig.device.name))
    console.print(f"saved: {path}")
    console.print(f"use it in the rig file: calibration: {{type: file, path: {path}}}")
