"""YAML loading that remembers where each key was, so errors can name file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tapbot.core.errors import ConfigError


class LocatedYaml:
    """A parsed YAML document plus the line of every mapping key and sequence item."""

    def __init__(self, data: Any, lines: dict[tuple[str | int, ...], int], source: str) -> None:
        self.data = data
        self.lines = lines
        self.source = source

    def where(self, path: tuple[str | int, ...]) -> str:
        """``file:line`` of the deepest known prefix of ``path`` (or just the file)."""
        for n in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:n]))
            if line is not None:
                return f"{self.source}:{line}"
        return self.source


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), lines)


def load_yaml(path: Path) -> LocatedYaml:
    """Load one YAML document; a missing or malformed file raises :class:`ConfigError`."""
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found", hint="check the path") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> LocatedYaml:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: malformed YAML: {problem}", hint="fix the syntax") from exc
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYaml(data, lines, source)
