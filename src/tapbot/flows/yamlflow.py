"""The YAML flow language: Maestro-shaped files compiled to typed steps.

A flow file is an optional header (``name``, ``app``, ``appId``, ``env``, ``tags``), ``---``,
then a list of commands::

    name: open messages
    app: Messages
    ---
    - launchApp
    - tapOn: "Messages"            # visible text, found by OCR
    - tapOn: {point: "50%, 62%"}   # or px: "540, 1488"; or {image: icons/send.png}
    - expectResponse: 300ms
    - pressKey: back

The header and any command given as a mapping may carry ``thresholds:`` (names in
:data:`THRESHOLD_KEYS`, durations as ``700ms``/``5s``): they apply to the whole flow, or to
that step (and the steps inside it), over the plan's.

Compilation checks everything a file can get wrong before anything moves and collects every
problem with ``file:line:column`` and what was expected; :class:`FlowValidationError` carries
them all. Maestro commands tapbot does not support are reported by name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tapbot.core.errors import FlowError
from tapbot.flows import steps as S

logger = logging.getLogger(__name__)

#: Maestro commands that tapbot (black-box, through the camera) does not run.
UNSUPPORTED_MAESTRO = frozenset({
    "hideKeyboard", "copyTextFrom", "pasteText", "openLink", "clearState", "clearKeychain",
    "stopApp", "killApp", "setLocation", "travel", "evalScript", "runScript", "startRecording",
    "stopRecording", "addMedia", "setAirplaneMode", "toggleAirplaneMode", "assertTrue",
    "assertWithAI", "assertNoDefectsWithAI", "extractTextWithAI", "inputRandomText",
    "inputRandomNumber", "inputRandomEmail", "inputRandomPersonName", "setOrientation",
    "setPermissions", "waitUntil", "onFlowStart", "onFlowComplete",
})

HEADER_KEYS = frozenset({"name", "app", "appId", "env", "tags", "keyboard", "url",
                         "thresholds"})

#: Threshold names in plan and flow files -> :class:`tapbot.monitors.Thresholds` fields. Values
#: are durations (``700ms``, ``5s``; a bare number is seconds), except ``drift_max`` and
#: ``pose_drift_max`` (mm).
THRESHOLD_KEYS: dict[str, str] = {
    "unresponsive_after": "unresponsive_after_s",
    "stall_max": "stall_max_s",
    "frozen_frame": "frozen_frame_s",
    "anr": "anr_s",
    "instant_response": "instant_response_s",
    "response_budget": "response_budget_s",
    "max_freeze": "max_freeze_s",
    "settle_quiet": "settle_quiet_s",
    "settle_timeout": "settle_timeout_s",
    "glitch_max": "glitch_max_s",
    "reboot_wait": "reboot_wait_s",
    "drift_max": "drift_max_mm",
    "pose_drift_max": "pose_drift_max_mm",
    "slowdown_min": "slowdown_min_s",
}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DUR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DUR_PARTS = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|h|m|s))+")


@dataclass(frozen=True)
class FlowIssue:
    """One problem in a flow or plan file, at 1-based line and column."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class FlowValidationError(FlowError):
    """A flow or plan file has problems; ``issues`` lists every one of them."""

    def __init__(self, issues: list[FlowIssue]) -> None:
        first = str(issues[0])
        more = f" (and {len(issues) - 1} more problem{'s' if len(issues) > 2 else ''})" \
            if len(issues) > 1 else ""
        super().__init__(first + more, hint="run 'tapbot validate FILE' to list them all")
        self.issues = issues


class _Skip(Exception):
    """The current command has an issue (already recorded); go on with the next one."""


def _plain(node: Node) -> Any:
    return SafeConstructor().construct_object(node, deep=True)


def parse_thresholds(node: Node, issue: Callable[[Node, str], None],
                     where: str = "thresholds") -> dict[str, float]:
    """``{frozen_frame: 700ms, ...}`` -> ``{"frozen_frame_s": 0.7, ...}``; each problem goes to
    ``issue(node, message)`` (the caller's file:line:column reporter) and is left out."""
    out: dict[str, float] = {}
    if not isinstance(node, MappingNode):
        issue(node, f"{where}: expected a mapping such as {{frozen_frame: 700ms}}")
        return out
    for knode, vnode in node.value:
        key = str(knode.value)
        field = THRESHOLD_KEYS.get(key)
        if field is None:
            issue(knode, f"{where}: unknown '{key}'; expected one of "
                  f"{', '.join(sorted(THRESHOLD_KEYS))}")
            continue
        try:
            raw = _plain(vnode)
            if field.endswith("_mm"):
                if isinstance(raw, bool) or not isinstance(raw, int | float):
                    raise ValueError(f"expected a length in mm (a number), got {raw!r}")
                value = float(raw)
            else:
                value = parse_duration_s(raw, "s")
        except (ValueError, ConstructorError) as exc:
            issue(vnode, f"{where}.{key}: {exc}")
            continue
        if not value > 0:
            issue(vnode, f"{where}.{key}: must be positive")
            continue
        out[field] = value
    return out


def parse_duration_s(value: Any, default_unit: str = "ms") -> float:
    """A duration in seconds from ``200ms``, ``1.5s``, ``2m`` or a bare number in
    ``default_unit`` (Maestro's timeouts are milliseconds)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms, 2s or 24h")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    if isinstance(value, int | float):
        return float(value) * scale[default_unit]
    if isinstance(value, str) and (m := _DUR.match(value)):
        return float(m.group(1)) * scale[m.group(2) or default_unit]
    if isinstance(value, str) and _DUR_PARTS.fullmatch(value.strip()):
        return sum(float(n) * scale[u] for n, u in _DUR_PART.findall(value.strip()))
    raise ValueError(f"expected a duration such as 500ms, 2s or 24h, got {value!r}")


class FlowCompiler:
    """Compiles flow files (and the flows they run) and collects every issue."""

    def __init__(self) -> None:
        self.issues: list[FlowIssue] = []
        self._cache: dict[Path, tuple[dict[str, Any], list[Node] | None, str | None]] = {}
        self._stack: list[Path] = []
        self._path = "<flow>"
        self._base = Path.cwd()
        self._env: dict[str, str] = {}
        self._keyboard: dict[str, S.Point] | None = None
        self._app: str | None = None

    # -- issues -----------------------------------------------------------------------------
    def issue(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        col = node.start_mark.column + 1 if node is not None else 1
        self.issues.append(FlowIssue(self._path, line, col, message))

    def fail(self, node: Node | None, message: str) -> _Skip:
        self.issue(node, message)
        return _Skip()

    # -- files ------------------------------------------------------------------------------
    def compile_file(self, path: Path, env: dict[str, str] | None = None,
                     at: tuple[str, Node] | None = None) -> S.Flow | None:
        """Compile ``path``; returns None when it has issues (see ``self.issues``)."""
        path = Path(path)
        resolved = path.resolve()
        if resolved in self._stack:
            chain = " -> ".join(p.name for p in [*self._stack, resolved])
            if at is not None:
                self.issues.append(FlowIssue(at[0], at[1].start_mark.line + 1,
                                             at[1].start_mark.column + 1,
                                             f"runFlow is cyclic: {chain}"))
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            where = at or (str(path), None)
            saved = self._path
            self._path = where[0]
            self.issue(where[1], f"flow file {path} cannot be read "
                       f"({exc.strerror or exc.__class__.__name__})")
            self._path = saved
            return None
        saved = (self._path, self._base, self._env, self._keyboard, self._app)
        self._stack.append(resolved)
        try:
            return self.compile_text(text, str(path), base_dir=path.parent, env=env)
        finally:
            self._stack.pop()
            self._path, self._base, self._env, self._keyboard, self._app = saved

    def compile_text(self, text: str, path: str = "<flow>", *, base_dir: Path | None = None,
                     env: dict[str, str] | None = None) -> S.Flow | None:
        self._path = path
        self._base = base_dir or Path.cwd()
        n_before = len(self.issues)
        try:
            docs = list(yaml.compose_all(text))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = exc.problem or exc.context or "malformed YAML"
            self.issues.append(FlowIssue(path, line, col, f"malformed YAML: {problem}"))
            return None
        except yaml.YAMLError as exc:
            self.issues.append(FlowIssue(path, 1, 1, f"malformed YAML: {exc}"))
            return None
        docs = [d for d in docs if d is not None]
        if not docs:
            self.issues.append(FlowIssue(path, 1, 1, "empty flow: expected a list of commands"))
            return None
        header_node: Node | None = None
        if len(docs) == 1:
            commands_node = docs[0]
        elif len(docs) == 2:
            header_node, commands_node = docs
        else:
            self.issue(docs[2], "expected a header, '---' and one list of commands; "
                       "found a third document")
            return None
        header = self._header(header_node, env or {})
        if not isinstance(commands_node, SequenceNode):
            self.issue(commands_node, "expected a list of commands ('- tapOn: ...')")
            return None
        steps = self._commands(commands_node)
        if len(self.issues) > n_before:
            return None
        if not steps:
            self.issue(commands_node, "the flow has no commands")
            return None
        name = header.get("name") or Path(path).stem
        try:
            return S.Flow(name=name, steps=steps, app=header.get("app"), source=path,
                          thresholds=header.get("thresholds", {}))
        except ValidationError as exc:
            self.issue(header_node, validation_message(exc))
            return None

    def _header(self, node: Node | None, env: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self._env = dict(env)
        self._app = None
        if node is None:
            return out
        if not isinstance(node, MappingNode):
            self.issue(node, "the header must be a mapping (name:, app:, env:)")
            return out
        defaults: dict[str, str] = {}
        for knode, vnode in node.value:
            key = knode.value
            if key in ("onFlowStart", "onFlowComplete"):
                self.issue(knode, f"unsupported Maestro command '{key}'")
            elif key not in HEADER_KEYS:
                self.issue(knode, f"unknown header key '{key}'; expected one of "
                           f"{', '.join(sorted(HEADER_KEYS))}")
            elif key == "env":
                if not isinstance(vnode, MappingNode):
                    self.issue(vnode, "env must be a mapping of NAME: value")
                    continue
                for k, v in vnode.value:
                    defaults[str(k.value)] = str(_plain(v))
            elif key == "keyboard":
                self._keyboard = self._keyboard_file(vnode)
            elif key == "tags":
                continue
            elif key == "thresholds":
                out[key] = parse_thresholds(vnode, self.issue)
            else:
                out[key] = self._str(vnode)
        self._env = {**defaults, **env}
        self._app = out.get("app")
        return out

    def _keyboard_file(self, node: Node) -> dict[str, S.Point] | None:
        path = self._base / str(_plain(node))
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            self.issue(node, f"keyboard layout {path} cannot be read ({exc.__class__.__name__})")
            return None
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, dict):
            self.issue(node, f"keyboard layout {path}: expected 'keys:' mapping a key label "
                       "to 'x, y' (px or %)")
            return None
        layout: dict[str, S.Point] = {}
        for label, pos in keys.items():
            try:
                layout[str(label)] = _point_from_text(str(pos))
            except ValueError as exc:
                self.issue(node, f"keyboard layout {path}: key {label!r}: {exc}")
        return layout

    # -- commands ---------------------------------------------------------------------------
    def _commands(self, seq: Node) -> list[Any]:
        if not isinstance(seq, SequenceNode):
            self.issue(seq, "expected a list of commands")
            return []
        out = []
        for item in seq.value:
            try:
                out.append(self._command(item))
            except _Skip:
                continue
        return out

    def _command(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            name, arg = self._str(node), None
            key_node = node
        elif isinstance(node, MappingNode) and len(node.value) == 1:
            key_node, arg = node.value[0]
            name = key_node.value
        elif isinstance(node, MappingNode):
            raise self.fail(node, "expected one command per list item ('- tapOn: ...'), found "
                            f"{len(node.value)} keys; start each command with '- '")
        else:
            raise self.fail(node, "expected a command ('- tapOn: ...')")
        handler = self._handlers().get(name)
        if handler is None:
            if name in UNSUPPORTED_MAESTRO:
                raise self.fail(key_node, f"unsupported Maestro command '{name}'")
            raise self.fail(key_node, f"unknown command '{name}'; expected one of "
                            f"{', '.join(sorted(self._handlers()))}")
        source = f"{self._path}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}"
        thresholds: dict[str, float] = {}
        if isinstance(arg, MappingNode):  # any mapping-form command may set thresholds
            rest = [(k, v) for k, v in arg.value if k.value != "thresholds"]
            for k, v in arg.value:
                if k.value == "thresholds":
                    n_before = len(self.issues)
                    thresholds = parse_thresholds(v, self.issue, f"{name}: thresholds")
                    if len(self.issues) > n_before:
                        raise _Skip()
            if len(rest) != len(arg.value):
                arg = MappingNode(arg.tag, rest, arg.start_mark, arg.end_mark,
                                  flow_style=arg.flow_style)
        fields = handler(key_node, arg)
        if isinstance(fields, BaseModel):
            return fields
        fields["source"] = source
        if thresholds:
            fields["thresholds"] = thresholds
        model = fields.pop("__model__")
        try:
            return model(**fields)
        except ValidationError as exc:
            raise self.fail(arg if arg is not None else key_node,
                            f"{name}: {validation_message(exc)}") from None

    def _handlers(self) -> dict[str, Callable[[Node, Node | None], Any]]:
        return {
            "launchApp": self._launch_app,
            "tapOn": lambda k, a: self._touch(k, a, S.Tap),
            "doubleTapOn": lambda k, a: self._touch(k, a, S.DoubleTap),
            "longPressOn": lambda k, a: self._touch(k, a, S.LongPress),
            "inputText": self._input_text,
            "eraseText": self._erase_text,
            "swipe": self._swipe,
            "scroll": self._scroll,
            "scrollUntilVisible": self._scroll_until_visible,
            "pressKey": self._press_key,
            "back": lambda k, a: {"__model__": S.PressKey, "key": "back"},
            "assertVisible": lambda k, a: self._assert(k, a, S.AssertVisible),
            "assertNotVisible": lambda k, a: self._assert(k, a, S.AssertNotVisible),
            "waitForAnimationToEnd": self._wait_animation,
            "extendedWaitUntil": self._extended_wait,
            "takeScreenshot": self._screenshot,
            "repeat": self._repeat,
            "retry": self._retry,
            "runFlow": self._run_flow,
            "expectResponse": self._expect_response,
            "measure": self._measure,
            "pinch": self._pinch,
            "wait": self._wait,
            "watchAnimation": self._watch,
        }

    # -- values -----------------------------------------------------------------------------
    def _str(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, "expected a text value")
        value = str(node.value)

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self._env:
                raise self.fail(node, f"undefined variable ${{{name}}}; define it in the "
                                "header's env: or in runFlow's env:")
            return self._env[name]

        return _VAR.sub(sub, value)

    def _value(self, node: Node) -> Any:
        if isinstance(node, ScalarNode) and node.tag.endswith(":str"):
            return self._str(node)
        try:
            return _plain(node)
        except ConstructorError as exc:
            raise self.fail(node, f"cannot read this value ({exc.problem})") from None

    def _duration(self, node: Node, default_unit: str = "ms") -> float:
        try:
            return parse_duration_s(self._value(node), default_unit)
        except ValueError as exc:
            raise self.fail(node, str(exc)) from None

    def _mapping(self, node: Node, allowed: set[str], what: str) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what}: expected a mapping with {', '.join(sorted(allowed))}")
        out: dict[str, Node] = {}
        for knode, vnode in node.value:
            key = str(knode.value)
            if key not in allowed:
                raise self.fail(knode, f"{what}: unknown key '{key}'; expected one of "
                                f"{', '.join(sorted(allowed))}")
            out[key] = vnode
        return out

    def _point(self, node: Node) -> S.Point:
        text = self._str(node)
        try:
            return _point_from_text(text)
        except ValueError as exc:
            raise self.fail(node, str(exc)) from None

    def _region(self, node: Node) -> S.Region:
        text = self._str(node)
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 4:
            raise self.fail(node, f"region '{text}': expected 'x0, y0, x1, y1' in px or %")
        try:
            vals = [_coord(p) for p in parts]
            return S.Region(x0=vals[0], y0=vals[1], x1=vals[2], y1=vals[3])
        except (ValueError, ValidationError) as exc:
            raise self.fail(node, f"region '{text}': {exc}") from None

    def _image(self, node: Node, region: S.Region | None = None,
               threshold: float | None = None) -> S.Image:
        rel = self._str(node)
        path = (self._base / rel) if not Path(rel).is_absolute() else Path(rel)
        if not path.is_file():
            raise self.fail(node, f"image file {rel} not found (looked for {path})")
        kw: dict[str, Any] = {"image": path, "region": region}
        if threshold is not None:
            kw["threshold"] = threshold
        return S.Image(**kw)

    def _selector(self, node: Node, what: str, allow_point: bool = True,
                  extra: set[str] | frozenset[str] = frozenset()
                  ) -> tuple[S.Target, dict[str, Node]]:
        """A target from ``"text"`` or a mapping (text/image/point/region...)."""
        if isinstance(node, ScalarNode):
            return S.Text(text=self._str(node)), {}
        keys = {"text", "image", "point", "region", "threshold", "minScore", "id",
                "index", "below", "above", "leftOf", "rightOf", "containsChild", "enabled"}
        m = self._mapping(node, keys | set(extra), what)
        for unsupported in ("id", "index", "below", "above", "leftOf", "rightOf",
                            "containsChild", "enabled"):
            if unsupported in m:
                raise self.fail(m[unsupported], f"{what}: selector '{unsupported}' is not "
                                "supported (tapbot sees the screen only through the camera: "
                                "use text, image or point)")
        chosen = [k for k in ("text", "image", "point") if k in m]
        if len(chosen) != 1:
            raise self.fail(node, f"{what}: expected exactly one of text, image or point")
        region = self._region(m["region"]) if "region" in m else None
        rest = {k: v for k, v in m.items() if k in extra}
        if chosen[0] == "point":
            if not allow_point:
                raise self.fail(m["point"], f"{what}: a point is always 'visible'; expected "
                                "text or image")
            return self._point(m["point"]), rest
        if chosen[0] == "image":
            threshold = float(self._value(m["threshold"])) if "threshold" in m else None
            return self._image(m["image"], region, threshold), rest
        kw: dict[str, Any] = {"text": self._str(m["text"]), "region": region}
        if "minScore" in m:
            kw["min_score"] = self._value(m["minScore"])
        try:
            return S.Text(**kw), rest
        except ValidationError as exc:
            raise self.fail(node, f"{what}: {validation_message(exc)}") from None

    def _touch_options(self, opts: dict[str, Node]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "label" in opts:
            out["label"] = self._str(opts["label"])
        if "expect" in opts:
            value = self._str(opts["expect"])
            if value not in ("change", "none", "still"):
                raise self.fail(opts["expect"], "expect: expected 'change', 'still' or 'none'")
            out["expect"] = value
        if "settle" in opts:
            out["settle"] = bool(self._value(opts["settle"]))
        if "animated" in opts:
            node = opts["animated"]
            items = node.value if isinstance(node, SequenceNode) else [node]
            out["animated"] = [self._region(r) for r in items]
        if "budget" in opts:
            out["budget_s"] = self._duration(opts["budget"])
        return out

    # -- command handlers -------------------------------------------------------------------
    _TOUCH_KEYS = frozenset({"label", "expect", "settle", "animated", "budget"})

    def _need(self, key: Node, arg: Node | None, what: str) -> Node:
        if arg is None or (isinstance(arg, ScalarNode) and arg.value == ""
                           and arg.tag.endswith(":null")):
            raise self.fail(key, f"{key.value}: expected {what}")
        return arg

    def _touch(self, key: Node, arg: Node | None, model: type) -> dict[str, Any]:
        arg = self._need(key, arg, "a selector: text, {text: ...}, {image: ...} or "
                         "{point: 'x, y'}")
        extra = set(self._TOUCH_KEYS) | {"repeat", "delay", "retryTapIfNoChange",
                                         "waitToSettleTimeoutMs"}
        if model is S.LongPress or model is S.Tap:
            extra.add("hold")
        target, opts = self._selector(arg, key.value, extra=extra)
        for maestro_only in ("repeat", "delay", "retryTapIfNoChange", "waitToSettleTimeoutMs"):
            if maestro_only in opts:
                raise self.fail(opts[maestro_only], f"{key.value}: option '{maestro_only}' is "
                                "not supported; use repeat:/retry: commands")
        fields = {"__model__": model, "at": target, **self._touch_options(opts)}
        if "hold" in opts:
            fields["hold_s"] = self._duration(opts["hold"])
        return fields

    def _launch_app(self, key: Node, arg: Node | None) -> dict[str, Any]:
        header_app = self._current_app
        if arg is None:
            if not header_app:
                raise self.fail(key, "launchApp: expected an app name (or 'app:' in the "
                                "flow header)")
            return {"__model__": S.LaunchApp, "app": header_app}
        if isinstance(arg, ScalarNode):
            return {"__model__": S.LaunchApp, "app": self._str(arg)}
        m = self._mapping(arg, {"appId", "app", "icon", "label", "clearState", "stopApp",
                                "permissions", "arguments"}, "launchApp")
        for unsupported in ("clearState", "stopApp", "permissions", "arguments"):
            if unsupported in m:
                raise self.fail(m[unsupported], f"launchApp: option '{unsupported}' is not "
                                "supported")
        name_node = m.get("app") or m.get("appId")
        app = self._str(name_node) if name_node is not None else header_app
        if not app:
            raise self.fail(arg, "launchApp: expected app: NAME")
        fields: dict[str, Any] = {"__model__": S.LaunchApp, "app": app}
        if "icon" in m:
            fields["icon"], _ = self._selector(m["icon"], "launchApp icon")
        if "label" in m:
            fields["label"] = self._str(m["label"])
        return fields

    @property
    def _current_app(self) -> str | None:
        return self._app

    def _input_text(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "the text to type")
        if isinstance(arg, MappingNode):
            m = self._mapping(arg, {"text", "label"}, "inputText")
            text = self._str(m["text"]) if "text" in m else ""
        else:
            text = str(self._value(arg))
        return {"__model__": S.InputText, "text": text, "keyboard": self._keyboard}

    def _erase_text(self, key: Node, arg: Node | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"__model__": S.EraseText, "keyboard": self._keyboard}
        if arg is not None and not (isinstance(arg, ScalarNode) and arg.value == ""):
            if isinstance(arg, MappingNode):
                m = self._mapping(arg, {"charactersToErase", "label"}, "eraseText")
                if "charactersToErase" in m:
                    fields["characters"] = self._value(m["charactersToErase"])
            else:
                fields["characters"] = self._value(arg)
        return fields

    def _swipe(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "direction: UP/DOWN/LEFT/RIGHT, or start: and end:")
        if isinstance(arg, ScalarNode):
            m = {"direction": arg}
        else:
            m = self._mapping(arg, {"direction", "start", "end", "duration", *self._TOUCH_KEYS},
                              "swipe")
        fields: dict[str, Any] = {"__model__": S.Swipe, **self._touch_options(m)}
        if "direction" in m:
            if "start" in m or "end" in m:
                raise self.fail(arg, "swipe: give direction, or start and end, not both")
            d = self._str(m["direction"]).lower()
            if d not in ("up", "down", "left", "right"):
                raise self.fail(m["direction"], "swipe: direction must be UP, DOWN, LEFT or "
                                "RIGHT")
            fields["start"], fields["end"] = S.direction_points(d)
        elif "start" in m and "end" in m:
            fields["start"], fields["end"] = self._point(m["start"]), self._point(m["end"])
        else:
            raise self.fail(arg, "swipe: expected direction, or both start and end")
        if "duration" in m:
            fields["duration_s"] = self._duration(m["duration"])
        fields.setdefault("expect", "none")
        return fields

    def _scroll(self, key: Node, arg: Node | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"__model__": S.Scroll, "expect": "none"}
        if arg is not None and not (isinstance(arg, ScalarNode) and arg.value == ""):
            m = self._mapping(arg, {"direction", *self._TOUCH_KEYS}, "scroll") \
                if isinstance(arg, MappingNode) else {"direction": arg}
            fields.update(self._touch_options(m))
            if "direction" in m:
                fields["direction"] = self._direction(m["direction"], "scroll")
        return fields

    def _direction(self, node: Node, what: str) -> str:
        d = self._str(node).lower()
        if d not in ("up", "down", "left", "right"):
            raise self.fail(node, f"{what}: direction must be UP, DOWN, LEFT or RIGHT")
        return d

    def _scroll_until_visible(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "element: and optionally direction:")
        if isinstance(arg, ScalarNode):
            target, _ = self._selector(arg, "scrollUntilVisible", allow_point=False)
            return {"__model__": S.ScrollUntilVisible, "target": target}
        m = self._mapping(arg, {"element", "direction", "timeout", "maxScrolls", "label",
                                "speed", "visibilityPercentage", "centerElement"},
                          "scrollUntilVisible")
        if "element" not in m:
            raise self.fail(arg, "scrollUntilVisible: expected element:")
        target, _ = self._selector(m["element"], "scrollUntilVisible", allow_point=False)
        fields: dict[str, Any] = {"__model__": S.ScrollUntilVisible, "target": target}
        if "direction" in m:
            fields["direction"] = self._direction(m["direction"], "scrollUntilVisible")
        if "maxScrolls" in m:
            fields["max_scrolls"] = self._value(m["maxScrolls"])
        elif "timeout" in m:  # Maestro: ms; about one scroll per 1.5 s
            fields["max_scrolls"] = max(1, round(self._duration(m["timeout"]) / 1.5))
        return fields

    def _press_key(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "a key name: back, home or recents")
        if isinstance(arg, MappingNode):
            m = self._mapping(arg, {"key", *self._TOUCH_KEYS}, "pressKey")
            if "key" not in m:
                raise self.fail(arg, "pressKey: expected key: back, home or recents")
            return {"__model__": S.PressKey, "key": self._str(m["key"]),
                    **self._touch_options(m)}
        return {"__model__": S.PressKey, "key": self._str(arg)}

    def _assert(self, key: Node, arg: Node | None, model: type) -> dict[str, Any]:
        arg = self._need(key, arg, "a selector: text or {image: ...}")
        target, opts = self._selector(arg, key.value, allow_point=False,
                                      extra={"timeout", "label"})
        fields: dict[str, Any] = {"__model__": model, "target": target}
        if "timeout" in opts:
            fields["timeout_s"] = self._duration(opts["timeout"])
        return fields

    def _wait_animation(self, key: Node, arg: Node | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"__model__": S.WaitForAnimationToEnd}
        if isinstance(arg, MappingNode):
            m = self._mapping(arg, {"timeout", "label"}, "waitForAnimationToEnd")
            if "timeout" in m:
                fields["timeout_s"] = self._duration(m["timeout"])
        elif arg is not None and not (isinstance(arg, ScalarNode) and arg.value == ""):
            fields["timeout_s"] = self._duration(arg)
        return fields

    def _extended_wait(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "visible: or notVisible:, and timeout:")
        m = self._mapping(arg, {"visible", "notVisible", "timeout", "label"}, "extendedWaitUntil")
        fields: dict[str, Any] = {"__model__": S.ExtendedWaitUntil}
        if ("visible" in m) == ("notVisible" in m):
            raise self.fail(arg, "extendedWaitUntil: expected exactly one of visible: or "
                            "notVisible:")
        if "visible" in m:
            fields["visible"], _ = self._selector(m["visible"], "visible", allow_point=False)
        else:
            fields["not_visible"], _ = self._selector(m["notVisible"], "notVisible",
                                                      allow_point=False)
        if "timeout" in m:
            fields["timeout_s"] = self._duration(m["timeout"])
        return fields

    def _screenshot(self, key: Node, arg: Node | None) -> dict[str, Any]:
        if isinstance(arg, MappingNode):
            m = self._mapping(arg, {"path", "name"}, "takeScreenshot")
            node = m.get("path") or m.get("name")
            name = self._str(node) if node is not None else "screenshot"
        elif arg is not None and arg.value != "":
            name = self._str(arg)
        else:
            name = "screenshot"
        return {"__model__": S.TakeScreenshot, "name": name}

    def _repeat(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "times: and commands:")
        m = self._mapping(arg, {"times", "commands", "while", "label"}, "repeat")
        if "while" in m:
            raise self.fail(m["while"], "repeat: 'while' is not supported; use times:")
        if "times" not in m or "commands" not in m:
            raise self.fail(arg, "repeat: expected times: and commands:")
        times = self._value(m["times"])
        if isinstance(times, str) and times.isdigit():
            times = int(times)
        steps = self._commands(m["commands"])
        if not steps:
            raise self.fail(m["commands"], "repeat: commands: is empty")
        return {"__model__": S.Repeat, "times": times, "steps": steps}

    def _retry(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "maxRetries: and commands:")
        m = self._mapping(arg, {"maxRetries", "commands", "file", "label"}, "retry")
        if "file" in m:
            raise self.fail(m["file"], "retry: 'file' is not supported; use commands:")
        if "commands" not in m:
            raise self.fail(arg, "retry: expected commands:")
        steps = self._commands(m["commands"])
        if not steps:
            raise self.fail(m["commands"], "retry: commands: is empty")
        fields: dict[str, Any] = {"__model__": S.Retry, "steps": steps}
        if "maxRetries" in m:
            fields["max_retries"] = self._value(m["maxRetries"])
        return fields

    def _run_flow(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "a flow file, or file: and env:")
        env: dict[str, str] = {}
        if isinstance(arg, ScalarNode):
            file_node = arg
        else:
            m = self._mapping(arg, {"file", "env", "when", "commands", "label"}, "runFlow")
            for unsupported in ("when", "commands"):
                if unsupported in m:
                    raise self.fail(m[unsupported], f"runFlow: '{unsupported}' is not "
                                    "supported; use file:")
            if "file" not in m:
                raise self.fail(arg, "runFlow: expected file:")
            file_node = m["file"]
            if "env" in m:
                if not isinstance(m["env"], MappingNode):
                    raise self.fail(m["env"], "runFlow: env must be a mapping of NAME: value")
                for k, v in m["env"].value:
                    env[str(k.value)] = str(self._value(v))
        rel = self._str(file_node)
        path = self._base / rel
        n_before = len(self.issues)
        flow = self.compile_file(path, env=env, at=(self._path, file_node))
        if flow is None:
            if len(self.issues) == n_before:
                self.issue(file_node, f"runFlow: {rel} did not compile")
            raise _Skip()
        return {"__model__": S.SubFlow, "flow": flow.name, "steps": flow.steps}

    def _expect_response(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "a latency budget such as 300ms")
        node = arg
        if isinstance(arg, MappingNode):
            node = self._mapping(arg, {"within", "label"}, "expectResponse").get("within")
            if node is None:
                raise self.fail(arg, "expectResponse: expected within:")
        return {"__model__": S.ExpectResponse, "within_s": self._duration(node)}

    def _measure(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "a name, or name: and until:")
        if isinstance(arg, ScalarNode):
            return {"__model__": S.Measure, "name": self._str(arg)}
        m = self._mapping(arg, {"name", "until", "timeout", "label"}, "measure")
        if "name" not in m:
            raise self.fail(arg, "measure: expected name:")
        fields: dict[str, Any] = {"__model__": S.Measure, "name": self._str(m["name"])}
        if "until" in m:
            u = m["until"]
            if isinstance(u, ScalarNode) and u.value in ("settled", "response"):
                fields["until"] = u.value
            elif isinstance(u, MappingNode):
                mm = self._mapping(u, {"visible"}, "measure until")
                if "visible" not in mm:
                    raise self.fail(u, "measure: until: expected settled, response or "
                                    "{visible: ...}")
                fields["until"], _ = self._selector(mm["visible"], "until", allow_point=False)
            else:
                raise self.fail(u, "measure: until: expected settled, response or "
                                "{visible: ...}")
        if "timeout" in m:
            fields["timeout_s"] = self._duration(m["timeout"])
        return fields

    def _pinch(self, key: Node, arg: Node | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"__model__": S.Pinch, "expect": "none"}
        if arg is None or (isinstance(arg, ScalarNode) and arg.value == ""):
            return fields
        m = self._mapping(arg, {"center", "scale", "span", "duration", *self._TOUCH_KEYS},
                          "pinch")
        fields.update(self._touch_options(m))
        if "center" in m:
            fields["center"] = self._point(m["center"])
        if "scale" in m:
            fields["scale"] = self._value(m["scale"])
        if "span" in m:
            fields["span_px"] = self._value(m["span"])
        if "duration" in m:
            fields["duration_s"] = self._duration(m["duration"])
        return fields

    def _wait(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "a duration such as 2s")
        return {"__model__": S.Wait, "seconds": self._duration(arg, "s")}

    def _watch(self, key: Node, arg: Node | None) -> dict[str, Any]:
        arg = self._need(key, arg, "a duration such as 3s")
        if isinstance(arg, MappingNode):
            m = self._mapping(arg, {"duration", "label"}, "watchAnimation")
            if "duration" not in m:
                raise self.fail(arg, "watchAnimation: expected duration:")
            label = self._str(m["label"]) if "label" in m else ""
            return {"__model__": S.WatchAnimation, "seconds": self._duration(m["duration"], "s"),
                    "label": label}
        return {"__model__": S.WatchAnimation, "seconds": self._duration(arg, "s")}


def _coord(text: str) -> float | str:
    text = text.strip()
    if text.endswith("%"):
        float(text[:-1])
        return text
    return float(text)


def _point_from_text(text: str) -> S.Point:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise ValueError(f"point '{text}': expected 'x, y' in px or % (e.g. '50%, 62%')")
    try:
        return S.Point(x=_coord(parts[0]), y=_coord(parts[1]))
    except ValueError:
        raise ValueError(f"point '{text}': expected 'x, y' in px or % (e.g. '50%, 62%')") \
            from None


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as one line: ``field.path: what is wrong`` for each problem."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"] if x != "__root__")
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def compile_flow_file(path: Path | str, env: dict[str, str] | None = None) -> S.Flow:
    """Compile one flow file; raises :class:`FlowValidationError` listing every issue."""
    compiler = FlowCompiler()
    flow = compiler.compile_file(Path(path), env=env)
    if compiler.issues or flow is None:
        raise FlowValidationError(compiler.issues or [FlowIssue(str(path), 1, 1,
                                                                "the flow did not compile")])
    return flow


def compile_flow_text(text: str, path: str = "<flow>", *, base_dir: Path | None = None,
                      env: dict[str, str] | None = None) -> S.Flow:
    """Compile flow YAML given as text (``path`` is used in messages)."""
    compiler = FlowCompiler()
    flow = compiler.compile_text(text, path, base_dir=base_dir, env=env)
    if compiler.issues or flow is None:
        raise FlowValidationError(compiler.issues or [FlowIssue(path, 1, 1,
                                                                "the flow did not compile")])
    return flow
