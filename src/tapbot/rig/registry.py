"""Backends by ``type`` name (DESIGN rule 2): a mapping per kind, never an if/elif chain.

A factory receives its section's options (already stripped of ``type``) and the build context
and returns a backend. Real backends register themselves here the same way the twin's do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tapbot.cameras.base import Camera
from tapbot.core.calibration import Calibration
from tapbot.core.clock import Clock
from tapbot.core.errors import ConfigError
from tapbot.devices.link import DeviceLink
from tapbot.devices.profile import DeviceProfile
from tapbot.rig.config import describe_validation_error
from tapbot.rig.yamlsource import LocatedYaml
from tapbot.robots.base import RobotBackend

M = TypeVar("M", bound=BaseModel)


@dataclass
class DeviceHandle:
    """What a device factory returns: the profile, an optional link, and (twin only) truth."""

    profile: DeviceProfile
    link: DeviceLink | None = None
    truth: Any = None


@dataclass
class BuildContext:
    """Shared state while one rig is built (the clock, the twin's world, where the file is)."""

    clock: Clock | None = None
    doc: LocatedYaml | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    seed: int = 0
    shared: dict[str, Any] = field(default_factory=dict)

    def validate(self, model: type[M], options: dict[str, Any],
                 section: tuple[str | int, ...]) -> M:
        """Validate a section's options with ``model``; errors name the file, line and key."""
        try:
            return model.model_validate(options)
        except ValidationError as exc:
            raise ConfigError(
                describe_validation_error(exc, self.doc, section),
                hint="see the rig config section of the README",
            ) from exc


DeviceFactory = Callable[[dict[str, Any], BuildContext, tuple[str | int, ...]], DeviceHandle]
RobotFactory = Callable[[dict[str, Any], BuildContext, tuple[str | int, ...]], RobotBackend]
CameraFactory = Callable[[dict[str, Any], BuildContext, tuple[str | int, ...]], Camera]
CalibrationFactory = Callable[
    [dict[str, Any], BuildContext, tuple[str | int, ...], Camera], Calibration
]

DEVICE_TYPES: dict[str, DeviceFactory] = {}
ROBOT_TYPES: dict[str, RobotFactory] = {}
CAMERA_TYPES: dict[str, CameraFactory] = {}
CALIBRATION_TYPES: dict[str, CalibrationFactory] = {}


def lookup(registry: dict[str, Any], kind: str, section: tuple[str | int, ...],
           ctx: BuildContext) -> Any:
    """The factory for ``kind`` or a ConfigError naming the allowed values."""
    try:
        return registry[kind]
    except KeyError:
        where = ctx.doc.where((*section, "type")) if ctx.doc else "rig"
        allowed = ", ".join(sorted(registry))
        dotted = ".".join(str(p) for p in section)
        raise ConfigError(
            f"{where}: {dotted}.type '{kind}' is unknown; allowed: {allowed}",
            hint="pick one of the allowed types",
        ) from None
