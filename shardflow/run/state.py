"""The scheduler's state and its transitions, as pure functions over a typed state object.

Nothing here touches a pool, a file or a clock, so every rule is unit-tested by comparing
states. Glossary:

* waiting: task -> the deps it still waits for (only tasks not yet ready);
* ready: tasks whose deps are all done, in priority order (shard, then stage order), so a
  shard flows through its stages before the next shard starts: stages pipeline at shard
  granularity and intermediate data is freed early;
* running / done / failed: as named; blocked: tasks that can never run because a task they
  (transitively) depend on failed;
* consumers: task -> how many not-yet-done tasks still read its output (for freeing data).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Iterable

from shardflow.plan import Plan, TaskId


@dataclass
class SchedulerState:
    """Where every task of one run stands."""

    waiting: dict[TaskId, set[TaskId]] = field(default_factory=dict)
    dependents: dict[TaskId, list[TaskId]] = field(default_factory=dict)
    ready: list[tuple[int, int, TaskId]] = field(default_factory=list)  # a heap
    running: set[TaskId] = field(default_factory=set)
    done: set[TaskId] = field(default_factory=set)
    failed: dict[TaskId, str] = field(default_factory=dict)
    blocked: set[TaskId] = field(default_factory=set)
    consumers: dict[TaskId, int] = field(default_factory=dict)
    stage_order: dict[str, int] = field(default_factory=dict)

    def ready_ids(self) -> list[TaskId]:
        return [t for _, _, t in sorted(self.ready)]

    @property
    def finished(self) -> bool:
        """True when nothing is ready, waiting or running."""
        return not self.ready and not self.running and not self.waiting


def _push_ready(state: SchedulerState, tid: TaskId) -> None:
    heapq.heappush(state.ready, (tid.shard, state.stage_order[tid.stage], tid))


def start_state(plan: Plan, completed: Iterable[TaskId] = ()) -> SchedulerState:
    """The state before the loop starts; ``completed`` tasks (valid markers) count as done."""
    done = set(completed)
    state = SchedulerState(stage_order={sid: i for i, sid in enumerate(plan.stages)}, done=done)
    for tid, spec in plan.tasks.items():
        for dep in spec.deps:
            state.dependents.setdefault(dep, []).append(tid)
            if tid not in done:
                state.consumers[dep] = state.consumers.get(dep, 0) + 1
    for tid, spec in plan.tasks.items():
        if tid in done:
            continue
        pending = {d for d in spec.deps if d not in done}
        if pending:
            state.waiting[tid] = pending
        else:
            _push_ready(state, tid)
    return state


def next_ready(state: SchedulerState) -> TaskId | None:
    """Take the highest-priority ready task and mark it running (None if none is ready)."""
    if not state.ready:
        return None
    _, _, tid = heapq.heappop(state.ready)
    state.running.add(tid)
    return tid


def finish_task(state: SchedulerState, tid: TaskId) -> list[TaskId]:
    """Mark ``tid`` done; return the tasks that became ready because of it."""
    state.running.discard(tid)
    state.done.add(tid)
    newly: list[TaskId] = []
    for child in state.dependents.get(tid, ()):
        pending = state.waiting.get(child)
        if pending is None:
            continue
        pending.discard(tid)
        if not pending:
            del state.waiting[child]
            _push_ready(state, child)
            newly.append(child)
    return newly


def releasable(state: SchedulerState, tid: TaskId, deps: Iterable[TaskId]) -> list[TaskId]:
    """Count ``tid`` (just done) off as a reader of ``deps``; return those nobody reads anymore."""
    free = []
    for dep in deps:
        left = state.consumers.get(dep, 0) - 1
        state.consumers[dep] = left
        if left == 0:
            free.append(dep)
    return free


def retry_task(state: SchedulerState, tid: TaskId) -> None:
    """Put a running task back in the ready queue (after an infrastructure failure)."""
    state.running.discard(tid)
    _push_ready(state, tid)


def fail_task(state: SchedulerState, tid: TaskId, reason: str) -> set[TaskId]:
    """Mark ``tid`` failed; return every task that now can never run (transitive dependents)."""
    state.running.discard(tid)
    state.failed[tid] = reason
    blocked: set[TaskId] = set()
    stack = list(state.dependents.get(tid, ()))
    while stack:
        child = stack.pop()
        if child in blocked or child in state.done:
            continue
        blocked.add(child)
        state.waiting.pop(child, None)
        stack.extend(state.dependents.get(child, ()))
    state.blocked |= blocked
    return blocked


def cancel_pending(state: SchedulerState) -> list[TaskId]:
    """Drop every ready and waiting task (stop taking new work); return what was dropped."""
    dropped = [t for _, _, t in state.ready] + list(state.waiting)
    state.ready.clear()
    state.waiting.clear()
    return dropped
