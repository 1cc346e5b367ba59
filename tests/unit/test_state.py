"""Scheduler transitions are pure: checked by comparing states, with no pool."""

from __future__ import annotations

from shardflow.io import InputShard, Piece
from shardflow.plan import Plan, StagePlan, TaskId, TaskSpec, InputRef, Stage
from shardflow.run.state import (
    cancel_pending,
    fail_task,
    finish_task,
    next_ready,
    releasable,
    retry_task,
    start_state,
)


def _stage(name, inputs, kind):
    return Stage(id=name, steps=(name,), parents=(None,), exits=(name,), inputs=inputs, kind=kind, merge="concat", reason=kind)


def _plan() -> Plan:
    """src (2 shards) -> [a (shard-aligned), g (global, 1 task)]."""
    stages = {
        "src": StagePlan(_stage("src", (), "source"), "k1", 2, 1),
        "a": StagePlan(_stage("a", (("src", "src"),), "shard"), "k2", 2, 1),
        "g": StagePlan(_stage("g", (("src", "src"),), "global"), "k3", 1, 1),
    }
    T = TaskId
    tasks = {
        T("src", 0): TaskSpec(T("src", 0), ()),
        T("src", 1): TaskSpec(T("src", 1), ()),
        T("a", 0): TaskSpec(T("a", 0), (InputRef(T("src", 0), "src"),)),
        T("a", 1): TaskSpec(T("a", 1), (InputRef(T("src", 1), "src"),)),
        T("g", 0): TaskSpec(T("g", 0), (InputRef(T("src", 0), "src"), InputRef(T("src", 1), "src"))),
    }
    return Plan("p", stages, tasks)


T = TaskId


def test_start_state_readies_sources_in_shard_order():
    state = start_state(_plan())
    assert state.ready_ids() == [T("src", 0), T("src", 1)]
    assert state.waiting == {T("a", 0): {T("src", 0)}, T("a", 1): {T("src", 1)}, T("g", 0): {T("src", 0), T("src", 1)}}
    assert state.consumers == {T("src", 0): 2, T("src", 1): 2}


def test_completed_tasks_count_as_done_on_resume():
    state = start_state(_plan(), completed=[T("src", 0), T("a", 0)])
    assert state.done == {T("src", 0), T("a", 0)}
    assert state.ready_ids() == [T("src", 1)]
    assert state.waiting == {T("a", 1): {T("src", 1)}, T("g", 0): {T("src", 1)}}


def test_a_shard_flows_downstream_before_the_next_shard_starts():
    state = start_state(_plan())
    assert next_ready(state) == T("src", 0)
    assert finish_task(state, T("src", 0)) == [T("a", 0)]
    # a/0 (shard 0) goes before src/1 (shard 1): stages pipeline at shard granularity
    assert state.ready_ids() == [T("a", 0), T("src", 1)]
    assert state.running == set()


def test_global_task_waits_for_every_shard():
    state = start_state(_plan())
    for tid in (T("src", 0), T("src", 1)):
        next_ready(state)
    finish_task(state, T("src", 0))
    assert T("g", 0) in state.waiting
    assert finish_task(state, T("src", 1)) == [T("a", 1), T("g", 0)]


def test_releasable_frees_data_when_last_reader_finishes():
    state = start_state(_plan())
    assert releasable(state, T("a", 0), [T("src", 0)]) == []
    assert releasable(state, T("g", 0), [T("src", 0), T("src", 1)]) == [T("src", 0)]


def test_failure_blocks_transitive_dependents_only():
    state = start_state(_plan())
    next_ready(state)
    blocked = fail_task(state, T("src", 0), "boom")
    assert blocked == {T("a", 0), T("g", 0)}
    assert state.failed == {T("src", 0): "boom"}
    assert T("a", 1) in state.waiting  # the other shard's branch still runs


def test_retry_puts_task_back_and_cancel_empties_queue():
    state = start_state(_plan())
    tid = next_ready(state)
    retry_task(state, tid)
    assert state.ready_ids() == [T("src", 0), T("src", 1)] and not state.running
    dropped = cancel_pending(state)
    assert set(dropped) == {T("src", 0), T("src", 1), T("a", 0), T("a", 1), T("g", 0)}
    assert state.finished
