"""The scheduler: one small loop that drives any executor through a plan.

Design
------
The loop owns a :class:`~shardflow.run.state.SchedulerState` and changes it only through the
pure transitions of :mod:`shardflow.run.state`. Each turn it

1. submits ready tasks, highest priority first, while the executor can take them;
2. blocks on the executor's ``wait`` ("first completed"); it never sleep-polls. The only
   timeout it passes is the time until the next delayed retry is due;
3. applies each completion: success -> ``finish_task`` (its dependents may become ready);
   failure -> retry with exponential backoff if the policy allows, else ``fail_task``
   (which blocks its dependents) and, under ``fail_fast``, ``cancel_pending``.

Everything durable is written by tasks (outputs, then their marker) or appended here to the
event log. Resume is therefore free: a rerun reads the valid markers, counts those tasks as
done in ``start_state``, and runs the rest.

Policies
--------
* Infrastructure failures (worker died, timeout) are retried up to ``max_retries`` times,
  with backoff ``retry_backoff * 2**(attempt-1)`` seconds.
* Errors in a step's code are retried only if that step says so (``retries=``), and then
  follow its ``on_failure``: ``fail_fast`` stops taking new tasks and lets running ones
  finish (their work is kept); ``continue`` lets independent branches go on.
* First Ctrl-C: stop taking new tasks, let running ones finish and commit. Second: kill.
  Either way the message names the command that resumes the run.

Glossary: *bound task*, a task with its inputs resolved (see :mod:`shardflow.run.bound`);
*marker*, the completion record a task writes last.
"""

from __future__ import annotations

import contextlib
import heapq
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from shardflow.plan import Plan, TaskId
from shardflow.run.bound import Binder, BoundTask
from shardflow.run.executor import Completion, Executor, TaskFailure
from shardflow.run.hooks import RunHooks
from shardflow.run.policy import failure_policy, retry_delay
from shardflow.run.rundir import Marker, RunDir
from shardflow.run.state import (
    SchedulerState,
    cancel_pending,
    fail_task,
    finish_task,
    next_ready,
    start_state,
)

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph


@dataclass
class LoopOutcome:
    """What the loop did: markers of every completed task, failures, and counts."""

    markers: dict[TaskId, Marker]
    failures: dict[TaskId, TaskFailure] = field(default_factory=dict)
    blocked: set[TaskId] = field(default_factory=set)
    cancelled: list[TaskId] = field(default_factory=list)
    reused: int = 0
    ran: int = 0
    retries: int = 0
    interrupted: bool = False


class Scheduler:
    """Runs a plan's tasks on an executor, recording events in the run directory.

    Args:
        plan: The compiled plan.
        graph: The step graph (for the steps' retry and failure policies).
        rundir: The run directory.
        executor: Any :class:`~shardflow.run.executor.Executor`.
        max_retries: Retries of infrastructure failures per task.
        retry_backoff: Seconds before the first infrastructure retry.
        hooks: Callbacks told of every task start, completion and failure.
        dry_run: Scratch directory that sinks write to in a dry run (None: a real run).
        part_rows: Tasks commit their outputs every this many input rows (None: once).
        verify: How completed outputs are checked before they are reused: ``"size"``
            (each file exists with its recorded size) or ``"checksum"`` (also its CRC-32).
        cleaner: Called with a failed task's id before it is retried or given up on, to
            remove what its attempt left uncommitted.
    """

    def __init__(
        self,
        plan: Plan,
        graph: "Graph",
        rundir: RunDir,
        executor: Executor,
        *,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
        hooks: RunHooks | None = None,
        dry_run: str | None = None,
        part_rows: int | None = None,
        verify: str = "size",
        cleaner: Callable[[TaskId], object] | None = None,
    ) -> None:
        self.plan = plan
        self.graph = graph
        self.rundir = rundir
        self.executor = executor
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.hooks = hooks or RunHooks()
        self.dry_run = dry_run
        self.part_rows = part_rows
        self.verify = verify
        self.cleaner = cleaner
        self._delayed: list[tuple[float, int, BoundTask]] = []  # (due time, seq, task) heap
        self._seq = 0
        self._submitted: dict[TaskId, float] = {}  # wall time of each running task's submission
        self._interrupts = 0

    def run(self) -> LoopOutcome:
        markers = self.rundir.completed(self.plan, verify=self.verify)
        state = start_state(self.plan, markers.keys())
        outcome = LoopOutcome(markers=markers, reused=len(markers))
        for tid in sorted(markers):
            self.rundir.append_event("task_reused", task=str(tid), stage_key=self.plan.stages[tid.stage].key)
        for sp in self.plan.stages.values():
            self.rundir.makedirs(sp)
        binder = Binder(self.plan, self.graph, self.rundir, dry_run=self.dry_run, part_rows=self.part_rows)
        self.hooks.on_run_start(self.plan, dict(markers))
        self.executor.start()
        forced = False
        # The handler stays installed through shutdown: a second Ctrl-C that lands after the
        # loop ended must make the shutdown forceful, not raise out of it.
        with self._interrupts_handled(state):
            try:
                self._in_loop = True
                self._loop(state, binder, outcome)
            except KeyboardInterrupt:
                forced = True  # second Ctrl-C: stop now; committed tasks stay committed
            finally:
                self._in_loop = False
                self.executor.shutdown(force=forced or self._interrupts >= 2)
        outcome.interrupted = self._interrupts > 0
        outcome.cancelled += cancel_pending(state) if forced else []
        outcome.blocked = set(state.blocked)
        return outcome

    @contextlib.contextmanager
    def _interrupts_handled(self, state: SchedulerState):
        """First Ctrl-C: take no new tasks, let running ones commit. Second: stop at once."""
        self._interrupts = 0
        self._in_loop = False
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only; a run in a thread is stopped by its owner
            return

        def on_sigint(signum, frame):
            self._interrupts += 1
            self.rundir.append_event("interrupt", count=self._interrupts, running=[str(t) for t in state.running])
            self.hooks.on_interrupt(self._interrupts)
            if self._interrupts >= 2:
                if self._in_loop:
                    raise KeyboardInterrupt
                return  # the loop is over: shutdown sees the count and kills what is left
            print(
                f"\nshardflow: stopping — no new tasks; waiting for {len(state.running)} running task(s) "
                "to commit. Press Ctrl-C again to stop now.",
                file=sys.stderr,
                flush=True,
            )

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    # -- the loop ----------------------------------------------------------------------------
    def _loop(self, state: SchedulerState, binder: Binder, outcome: LoopOutcome) -> None:
        while not state.finished or self._delayed:
            if self._interrupts and (state.ready or state.waiting or self._delayed):
                outcome.cancelled += cancel_pending(state)
                self._delayed.clear()
                continue
            self._submit_ready(state, binder, outcome)
            if not state.running:
                if self._delayed:
                    time.sleep(max(0.0, self._delayed[0][0] - time.monotonic()))
                    continue
                if state.ready:
                    raise RuntimeError("the executor accepts no task although none is running")
                break
            timeout = max(0.0, self._delayed[0][0] - time.monotonic()) if self._delayed else None
            for completion in self.executor.wait(timeout):
                self._apply(state, completion, outcome)

    def _submit_ready(self, state: SchedulerState, binder: Binder, outcome: LoopOutcome) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now and self.executor.can_submit(self._delayed[0][2]):
            _, _, task = heapq.heappop(self._delayed)
            self._submit(state, task)
        while state.ready:
            tid = state.ready[0][2]
            task = binder.bind(tid, outcome.markers)
            if not self.executor.can_submit(task):
                return
            next_ready(state)
            self._submit(state, task)

    def _submit(self, state: SchedulerState, task: BoundTask) -> None:
        state.running.add(task.id)
        self._submitted[task.id] = time.time()
        self.executor.submit(task)
        self.rundir.append_event("task_start", task=str(task.id), attempt=task.attempt)
        self.hooks.on_task_start(task.id, task.attempt)

    def _apply(self, state: SchedulerState, c: Completion, outcome: LoopOutcome) -> None:
        tid = c.task.id
        if c.failure is None:
            sp = self.plan.stages[tid.stage]
            marker = Marker.from_dict(tid, c.marker)
            outcome.markers[tid] = marker
            outcome.ran += 1
            finish_task(state, tid)
            rows = sum(s.get("rows_out", 0) for s in marker.stats.values())
            self._submitted.pop(tid, None)
            self.rundir.append_event(
                "task_done", task=str(tid), stage_key=sp.key, attempt=c.task.attempt,
                seconds=marker.seconds, rows_out=rows,
                bytes_in=c.marker.get("bytes_in"), bytes_out=c.marker.get("bytes_out"),
            )
            self.hooks.on_task_done(tid, marker)
            return
        failure = c.failure
        if self.cleaner is not None:
            self.cleaner(tid)
        delay = retry_delay(
            failure, c.task.attempt, self._step_options(failure.step), self.max_retries, self.retry_backoff
        )
        submitted = self._submitted.pop(tid, None)
        self.rundir.append_event(
            "task_failed", task=str(tid), attempt=c.task.attempt, kind=failure.kind,
            seconds=round(time.time() - submitted, 6) if submitted else None,
            step=failure.step, message=failure.message, retry_in=delay,
            log=c.task.log_path,
        )
        self.hooks.on_task_failed(tid, failure, delay)
        state.running.discard(tid)
        if delay is not None:
            outcome.retries += 1
            self._seq += 1
            heapq.heappush(self._delayed, (time.monotonic() + delay, self._seq, c.task.retry()))
            return
        outcome.failures[tid] = failure
        fail_task(state, tid, failure.message)
        if failure_policy(self._step_options(failure.step)) == "fail_fast":
            outcome.cancelled += cancel_pending(state)
            self._delayed.clear()

    def _step_options(self, name: str | None):
        if name is None:
            return None
        try:
            return self.graph.step(name).options
        except KeyError:
            return None
