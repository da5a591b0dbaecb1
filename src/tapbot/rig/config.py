"""Typed rig config: ``robot:``, ``camera:``, ``devices:`` and ``calibration:``, each with a
``type:`` chosen from a registry. With no file at all the rig is the digital twin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tapbot.core.errors import ConfigError
from tapbot.rig.yamlsource import LocatedYaml, load_yaml


class Section(BaseModel):
    """One pluggable part: its ``type`` plus options the chosen backend validates."""

    model_config = ConfigDict(extra="allow")

    type: str

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class DeviceSection(Section):
    name: str = "phone"


class RigConfig(BaseModel):
    """A whole rig. Defaults make the twin."""

    model_config = ConfigDict(extra="forbid")

    name: str = "twin"
    robot: Section = Field(default_factory=lambda: Section(type="sim"))
    camera: Section = Field(default_factory=lambda: Section(type="sim"))
    devices: list[DeviceSection] = Field(
        default_factory=lambda: [DeviceSection(type="sim")], min_length=1, max_length=1
    )
    calibration: Section = Field(default_factory=lambda: Section(type="twin"))
    seed: int = 0


def describe_validation_error(
    exc: ValidationError, doc: LocatedYaml | None, prefix: tuple[str | int, ...] = ()
) -> str:
    """One line: ``file:line: field.path: what is wrong``."""
    first = exc.errors()[0]
    loc = (*prefix, *first["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    where = doc.where(loc) if doc else "config"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "missing":
        msg = "required key is missing"
    return f"{where}: {field}: {msg}"


def load_rig_config(path: Path | None) -> tuple[RigConfig, LocatedYaml | None]:
    """Read and validate a rig file (``None`` gives the default twin)."""
    if path is None:
        return RigConfig(), None
    doc = load_yaml(path)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}: a rig file must be a mapping with robot/camera/devices keys")
    try:
        return RigConfig.model_validate(doc.data), doc
    except ValidationError as exc:
        raise ConfigError(
            describe_validation_error(exc, doc), hint="see the rig config section of the README"
        ) from exc
