"""The twin's inputs, as commands another copy of the twin can replay.

Everything that changes the twin from outside comes through a few doors: the robot's commands
(:class:`~tapbot.sim.robot.SimRobot`: move, lower, raise, home ...), the phone's actions that a
device link or a test asks for (open an app, show an image, show taps), and the clock moving
on. The rest — the phone's reactions, faults, notifications, what the camera sees — follows
from those inputs and the seeds. A copy of the twin made at one instant (a forked process,
:mod:`tapbot.sim.replica`) that is handed the same inputs at the same times stays identical.

:class:`CommandMirror` is that hand-over: the world owns one, the robot and the phone register
with it, and each door (:func:`mirrored`) hands its call to :attr:`CommandMirror.sink` before it
runs. Only the outermost call goes out (``home`` moving the robot is one command, not two).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

#: (actor name, method name, positional args, keyword args)
Sink = Callable[[str, str, tuple, dict], None]


class CommandMirror:
    """Hands each outermost call through a :func:`mirrored` door to ``sink`` (when set)."""

    def __init__(self) -> None:
        self.sink: Sink | None = None
        self.actors: dict[str, Any] = {}
        self._depth = 0

    def register(self, name: str, actor: Any) -> None:
        """``actor`` takes commands as ``name`` (its doors use this mirror)."""
        self.actors[name] = actor
        actor._mirror = self
        actor._mirror_name = name

    def replay(self, name: str, method: str, args: tuple, kwargs: dict) -> None:
        """Run a command handed over by another copy's mirror on this copy's actor."""
        getattr(self.actors[name], method)(*args, **kwargs)


def mirrored(fn: Callable[P, R]) -> Callable[P, R]:
    """A door: the call is handed to the actor's mirror (if any is listening) before it
    runs."""

    @functools.wraps(fn)
    def door(*args: P.args, **kwargs: P.kwargs) -> R:
        actor = args[0]
        mirror: CommandMirror | None = getattr(actor, "_mirror", None)
        if mirror is None or mirror.sink is None or mirror._depth:
            return fn(*args, **kwargs)
        mirror._depth += 1
        try:
            mirror.sink(actor._mirror_name, fn.__name__, tuple(args[1:]), dict(kwargs))
            return fn(*args, **kwargs)
        finally:
            mirror._depth -= 1

    return door
