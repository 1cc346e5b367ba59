"""Counting a run as it goes: per stage, tasks done / total, rows and bytes read, rates, ETA.

:class:`RunTally` is a run hook that only counts; the terminal displays in
:mod:`shardflow.report.progress` draw from it. Rates and ETAs come from this run's own
work (reused tasks count as done but not as speed) and an injectable clock, so they are
tested without waiting.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from shardflow.run.hooks import RunHooks

if TYPE_CHECKING:
    from shardflow.plan import Plan, TaskId
    from shardflow.run.rundir import Marker


@dataclass
class StageTally:
    """Where one stage stands in this run.

    Attributes:
        id: The stage id.
        total: Its tasks.
        done: Tasks complete, reused ones included.
        reused: Tasks found complete from an earlier run.
        running: Tasks submitted and not yet finished.
        failed: Tasks that failed for good (no retry left).
        rows: Rows read by the tasks this run finished.
        bytes: Bytes read (as stored) by the tasks this run finished.
        started: Clock time its first task started in this run (None: none yet).
        ended: Clock time its last task finished (None: still going).
    """

    id: str
    total: int
    done: int = 0
    reused: int = 0
    running: int = 0
    failed: int = 0
    rows: int = 0
    bytes: int = 0
    started: float | None = None
    ended: float | None = None

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return max((self.ended or now) - self.started, 1e-9)

    def rates(self, now: float) -> tuple[float, float]:
        """Rows and bytes read per second since the stage's first task started."""
        elapsed = self.elapsed(now)
        if not elapsed:
            return 0.0, 0.0
        return self.rows / elapsed, self.bytes / elapsed

    def eta(self, now: float) -> float | None:
        """Seconds until the stage is done, at this run's pace so far (None: unknown yet)."""
        left = self.total - self.done - self.failed
        ran = self.done - self.reused
        if left <= 0:
            return 0.0
        if not ran or self.started is None:
            return None
        return left * self.elapsed(now) / ran


def rows_read(plan: "Plan", stage: str, stats: dict[str, dict]) -> int:
    """Rows a task of ``stage`` read: what its source emitted, or what its first step received."""
    sp = plan.stages[stage]
    first = stats.get(sp.stage.steps[0], {})
    return first.get("rows_out", 0) if sp.stage.kind == "source" else first.get("rows_in", 0)


class RunTally(RunHooks):
    """A run hook that counts tasks, rows and bytes per stage and in total.

    Args:
        clock: Returns the current time in seconds (tests pass a fake one).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.plan: Plan | None = None
        self.stages: dict[str, StageTally] = {}
        self.started: float | None = None
        self.status: str | None = None
        # Displays read the tally from their own thread; a lock keeps a reading consistent.
        self.lock = threading.Lock()

    def on_run_start(self, plan: "Plan", reused: "dict[TaskId, Marker]") -> None:
        with self.lock:
            self.plan = plan
            self.started = self.clock()
            self.stages = {sid: StageTally(sid, sp.n_tasks) for sid, sp in plan.stages.items()}
            for tid in reused:
                tally = self.stages[tid.stage]
                tally.done += 1
                tally.reused += 1

    def on_task_start(self, task: "TaskId", attempt: int) -> None:
        with self.lock:
            tally = self.stages[task.stage]
            tally.running += 1
            if tally.started is None:
                tally.started = self.clock()

    def on_task_done(self, task: "TaskId", marker: "Marker") -> None:
        with self.lock:
            tally = self.stages[task.stage]
            tally.running -= 1
            tally.done += 1
            tally.rows += rows_read(self.plan, task.stage, marker.stats)
            tally.bytes += int(marker.data.get("bytes_in") or 0)
            if tally.done == tally.total:
                tally.ended = self.clock()

    def on_task_failed(self, task: "TaskId", failure, retry_in: float | None) -> None:
        with self.lock:
            tally = self.stages[task.stage]
            tally.running -= 1
            if retry_in is None:
                tally.failed += 1

    def on_run_end(self, status: str) -> None:
        self.status = status

    def total(self) -> StageTally:
        """The whole run as one tally (rates over the run's wall time)."""
        now = self.clock()
        whole = StageTally("total", sum(t.total for t in self.stages.values()))
        for t in self.stages.values():
            whole.done += t.done
            whole.reused += t.reused
            whole.running += t.running
            whole.failed += t.failed
            # Rows and bytes of the source stages: what the run read, counted once.
            if self.plan is not None and self.plan.stages[t.id].stage.kind == "source":
                whole.rows += t.rows
                whole.bytes += t.bytes
        starts = [t.started for t in self.stages.values() if t.started is not None]
        whole.started = min(starts) if starts else None
        if whole.done + whole.failed == whole.total and whole.started is not None:
            whole.ended = max((t.ended or now) for t in self.stages.values() if t.started is not None)
        return whole
