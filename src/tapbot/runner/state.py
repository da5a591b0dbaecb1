"""The runner's explicit state table."""

from __future__ import annotations

from enum import StrEnum

from tapbot.core.errors import RunAborted


class RunState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    FINISHED = "finished"
    FAULTED = "faulted"


ALLOWED: dict[RunState, frozenset[RunState]] = {
    RunState.IDLE: frozenset({RunState.RUNNING, RunState.FAULTED}),
    RunState.RUNNING: frozenset(
        {RunState.PAUSED, RunState.STOPPING, RunState.FINISHED, RunState.FAULTED}),
    RunState.PAUSED: frozenset({RunState.RUNNING, RunState.STOPPING, RunState.FAULTED}),
    RunState.STOPPING: frozenset({RunState.FINISHED, RunState.FAULTED}),
    RunState.FINISHED: frozenset(),
    RunState.FAULTED: frozenset(),
}


class StateMachine:
    """Holds the state and refuses transitions the table does not allow."""

    def __init__(self) -> None:
        self.state = RunState.IDLE

    def to(self, new: RunState) -> None:
        if new == self.state:
            return
        if new not in ALLOWED[self.state]:
            raise RunAborted(f"the runner cannot go from {self.state} to {new}")
        self.state = new
