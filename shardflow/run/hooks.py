"""Run hooks: a fixed, typed list of callbacks with do-nothing defaults.

The scheduler calls these as the run progresses (progress bars, dashboards and tests
subclass :class:`RunHooks`). Hooks run in the driver, between scheduling decisions: keep
them fast, and never let them raise (the scheduler logs and ignores their errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from shardflow.plan import Plan, TaskId
    from shardflow.run.executor import TaskFailure
    from shardflow.run.rundir import Marker


class RunHooks:
    """Override the methods you need; each does nothing by default."""

    def on_run_start(self, plan: "Plan", reused: "dict[TaskId, Marker]") -> None:
        """The plan is known and completed tasks were found (``reused``)."""

    def on_task_start(self, task: "TaskId", attempt: int) -> None:
        """A task was submitted to the executor."""

    def on_task_done(self, task: "TaskId", marker: "Marker") -> None:
        """A task committed its outputs and marker."""

    def on_task_failed(self, task: "TaskId", failure: "TaskFailure", retry_in: float | None) -> None:
        """A task failed; ``retry_in`` is the delay before its retry, or None if it is not retried."""

    def on_interrupt(self, count: int) -> None:
        """Ctrl-C was pressed (``count`` times so far)."""

    def on_run_end(self, status: str) -> None:
        """The loop ended with ``status`` ``ok``, ``failed`` or ``interrupted``."""


class HookList(RunHooks):
    """Calls several hooks in order; an error in one is logged and does not stop the run."""

    def __init__(self, hooks: Iterable[RunHooks] = ()) -> None:
        self.hooks = list(hooks)

    def _each(self, name: str, *args) -> None:
        import logging

        for hook in self.hooks:
            try:
                getattr(hook, name)(*args)
            except Exception:  # noqa: BLE001 - a broken display must not break a run
                logging.getLogger("shardflow").exception("hook %s.%s failed", type(hook).__name__, name)

    def on_run_start(self, plan, reused) -> None:
        self._each("on_run_start", plan, reused)

    def on_task_start(self, task, attempt) -> None:
        self._each("on_task_start", task, attempt)

    def on_task_done(self, task, marker) -> None:
        self._each("on_task_done", task, marker)

    def on_task_failed(self, task, failure, retry_in) -> None:
        self._each("on_task_failed", task, failure, retry_in)

    def on_interrupt(self, count) -> None:
        self._each("on_interrupt", count)

    def on_run_end(self, status) -> None:
        self._each("on_run_end", status)
