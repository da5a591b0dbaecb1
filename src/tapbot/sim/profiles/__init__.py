"""Device profiles of the twin's phones, kept as YAML data files next to this module.

``load_profile("twin-max")`` reads ``twin-max.yaml``; ``profile_names()`` lists them. A bad
file raises :class:`~tapbot.core.errors.ConfigError` naming the file, line and field.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tapbot.core.errors import ConfigError
from tapbot.devices.profile import DeviceProfile

logger = logging.getLogger(__name__)

PROFILE_DIR = Path(__file__).resolve().parent


def profile_names() -> list[str]:
    """Names of the profiles shipped with tapbot."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def _key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            lines[str(k.value)] = k.start_mark.line + 1
    return lines


def parse_profile(text: str, source: str) -> DeviceProfile:
    """A profile from YAML ``text``; errors name ``source``, the line and the field."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: malformed YAML in a device profile",
                          hint="fix the syntax") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a device profile must be a mapping of name, screen_px, "
                          "screen_mm, refresh_hz, buttons")
    try:
        return DeviceProfile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        msg = err["msg"].removeprefix("Value error, ")
        lines = _key_lines(text)
        fld = loc[0] if loc else next(
            (f for f in DeviceProfile.model_fields if f in msg or f.rstrip("s") + " " in msg),
            "")
        line = lines.get(fld)
        where = f"{source}:{line}" if line else source
        raise ConfigError(f"{where}: {'.'.join(loc) or fld or 'profile'}: {msg}",
                          hint="see docs/twin-phone.md for the profile fields") from exc


@functools.lru_cache(maxsize=16)
def load_profile(name: str) -> DeviceProfile:
    """The shipped profile called ``name``; unknown names raise ``ValueError`` listing them."""
    path = PROFILE_DIR / f"{name}.yaml"
    if "/" in name or "\\" in name or not path.is_file():
        raise ValueError(f"profile: unknown device profile {name!r}; known: "
                         f"{', '.join(profile_names())}")
    profile = parse_profile(path.read_text(), str(path))
    if profile.name != name:
        raise ConfigError(f"{path}: name: the profile is called {profile.name!r}, "
                          f"its file {name!r}")
    return profile
