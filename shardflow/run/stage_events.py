"""Stage and branch events for the event log, derived from task events by a run hook.

The scheduler logs tasks; this hook adds when each stage started and ended in this run, how
long it took, and the branch it belongs to, so ``shardflow events --kind stage`` (or
``--kind branch``) answers "which stage took how long" without pairing task events by hand.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from shardflow.plan.branches import stage_branches
from shardflow.run.hooks import RunHooks

if TYPE_CHECKING:
    from shardflow.plan import Plan, TaskId
    from shardflow.run.rundir import RunDir


class StageEvents(RunHooks):
    """Append ``stage_start``, ``stage_done`` and ``stage_failed`` events to the run directory.

    Args:
        rundir: The run directory whose events.jsonl receives the events.
    """

    def __init__(self, rundir: "RunDir") -> None:
        self.rundir = rundir
        self._left: dict[str, int] = {}
        self._started: dict[str, float] = {}
        self._failed: set[str] = set()
        self._branch: dict[str, str | None] = {}
        self._tasks: dict[str, int] = {}

    def on_run_start(self, plan: "Plan", reused) -> None:
        self._tasks = {sid: sp.n_tasks for sid, sp in plan.stages.items()}
        self._left = dict(self._tasks)
        for tid in reused:
            self._left[tid.stage] -= 1
        self._branch = stage_branches((sid, sp.stage.inputs) for sid, sp in plan.stages.items())

    def on_task_start(self, task: "TaskId", attempt: int) -> None:
        sid = task.stage
        if sid not in self._started:
            self._started[sid] = time.time()
            reused = self._tasks[sid] - self._left[sid]
            self._event("stage_start", sid, tasks=self._tasks[sid], reused=reused)

    def on_task_done(self, task: "TaskId", marker) -> None:
        sid = task.stage
        self._left[sid] -= 1
        if self._left[sid] == 0:
            self._event("stage_done", sid, tasks=self._tasks[sid], seconds=round(time.time() - self._started[sid], 6))

    def on_task_failed(self, task: "TaskId", failure, retry_in: float | None) -> None:
        sid = task.stage
        if retry_in is None and sid not in self._failed:
            self._failed.add(sid)
            self._event("stage_failed", sid, task=str(task), seconds=round(time.time() - self._started[sid], 6))

    def _event(self, name: str, sid: str, **fields) -> None:
        self.rundir.append_event(name, stage=sid, branch=self._branch.get(sid), **fields)
