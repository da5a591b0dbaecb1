"""The runner: executes flows and soaks; owns the state machine and the clock."""

from tapbot.runner.observer import Observer, View
from tapbot.runner.resume import resume_point
from tapbot.runner.runner import ResumePoint, Runner
from tapbot.runner.state import RunState, StateMachine
from tapbot.runner.summary import RunSummary

__all__ = ["Observer", "ResumePoint", "RunState", "RunSummary", "Runner", "StateMachine",
           "View", "resume_point"]
