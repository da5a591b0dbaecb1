"""A rich progress bar fed by run documents (a subscriber like any other)."""

from __future__ import annotations

from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tapbot.cli.durations import format_duration
from tapbot.core.documents import Incident, RunStart, StepDoc


class SoakProgress:
    """Simulated time, steps done and incidents so far."""

    def __init__(self, console: Console, duration_s: float) -> None:
        self.duration_s = duration_s
        self.steps = 0
        self.incidents = 0
        self._t0 = 0.0
        self.progress = Progress(
            TextColumn("[bold]soak[/]"),
            BarColumn(),
            TextColumn("{task.fields[sim]}"),
            TextColumn("steps {task.fields[steps]}"),
            TextColumn("incidents {task.fields[incidents]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task = self.progress.add_task("soak", total=duration_s, sim="0:00:00", steps=0,
                                           incidents=0)

    def __enter__(self) -> SoakProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, doc: BaseModel) -> None:
        if isinstance(doc, RunStart):
            self._t0 = doc.t
        elif isinstance(doc, StepDoc):
            self.steps += 1
        elif isinstance(doc, Incident):
            self.incidents += 1
        else:
            return
        elapsed = doc.t - self._t0
        self.progress.update(self.task, completed=min(elapsed, self.duration_s),
                             sim=format_duration(elapsed), steps=self.steps,
                             incidents=self.incidents)
