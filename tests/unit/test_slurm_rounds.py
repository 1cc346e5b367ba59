"""What a Slurm run decides between rounds, from its records alone (no Slurm needed)."""

from __future__ import annotations

import os
import time

import pytest

from shardflow import SlurmExecutor
from shardflow.executors.slurm.records import FAILED, STARTED, write_attempt
from shardflow.executors.slurm.rounds import RoundSpec, RunSpec, SlurmRun
from shardflow.executors.slurm.script import job_name
from shardflow.graph.step import StepOptions
from shardflow.plan import TaskId
from shardflow.run import RunDir
from shardflow.run.bound import Binder
from shardflow.run.executor import INFRA, STEP, TIMEOUT, TaskFailure
from shardflow.run.scheduler import LoopOutcome
from tests.conformance.pipelines import CASES, write_inputs


@pytest.fixture
def make_run(tmp_path):
    inp = str(tmp_path / "in")
    write_inputs(inp)
    pipeline = {c.name: c for c in CASES}["fan_out"].build(inp, str(tmp_path / "out"))
    plan = pipeline.plan(5)

    def make(on_failure: str = "fail_fast", max_retries: int = 3) -> SlurmRun:
        rundir = RunDir(str(tmp_path / "run"))
        rundir.fs.makedirs(rundir.url, exist_ok=True)
        options = {s.name: StepOptions(on_failure=on_failure) for s in pipeline.graph}
        spec = RunSpec("r1", Binder(plan, pipeline.graph, rundir), options, SlurmExecutor(logs_folder=str(tmp_path / "logs")),
                       max_retries, "python run.py", time.time(), 0)
        return SlurmRun(spec)

    return make


def record(run: SlurmRun, task: TaskId, attempt: int, state: str, failure=None, log: str = "") -> None:
    os.environ.update(SLURM_ARRAY_JOB_ID="41", SLURM_ARRAY_TASK_ID=str(task.shard))
    try:
        write_attempt(run.files.attempt(run.plan.stages[task.stage], task.shard, attempt), task, attempt, state, failure)
    finally:
        del os.environ["SLURM_ARRAY_JOB_ID"], os.environ["SLURM_ARRAY_TASK_ID"]
    os.makedirs(run.files.logs, exist_ok=True)
    with open(run.files.log(job_name(run.ex.job_name, task.stage), "41", task.shard), "w") as f:
        f.write(log)


def first_round(run: SlurmRun) -> RoundSpec:
    return run.round(1, {t: 1 for t in run.plan.tasks}, detached=False)


def test_killed_and_late_tasks_are_retried_never_started_ones_resubmitted_and_readers_of_a_failure_blocked(make_run):
    run = make_run(on_failure="continue")
    source, a, b = run.plan.stages
    rnd = first_round(run)
    record(run, TaskId(source, 0), 1, FAILED, TaskFailure(STEP, "ValueError: bad", "tb", "kept"))
    record(run, TaskId(source, 1), 1, STARTED, log="slurmstepd: error: *** JOB 42 ON vm CANCELLED AT now DUE TO TIME LIMIT ***")
    record(run, TaskId(source, 2), 1, STARTED, log="")
    nxt = run.advance(rnd)

    assert isinstance(nxt, RoundSpec) and nxt.number == 2
    todo = {a.task: a.attempt for a in nxt.attempts}
    assert todo == {
        TaskId(source, 1): 2, TaskId(source, 2): 2, TaskId(source, 3): 1, TaskId(source, 4): 1,
        **{TaskId(s, i): 1 for s in (a, b) for i in range(1, 5)},
    }
    assert nxt.retries == 2 and list(nxt.failures) == [TaskId(source, 0)]
    failed = {e["task"]: (e["kind"], e["retry_in"] is None) for e in run.rundir.events() if e["event"] == "task_failed"}
    assert failed == {f"{source}/00000": (STEP, True), f"{source}/00001": (TIMEOUT, False), f"{source}/00002": (INFRA, False)}


def test_a_fail_fast_failure_ends_the_run_and_says_what_is_left(make_run):
    run = make_run()
    source, a, b = run.plan.stages
    record(run, TaskId(source, 0), 1, FAILED, TaskFailure(STEP, "ValueError: bad", "tb", "kept"))
    record(run, TaskId(source, 1), 1, STARTED)
    outcome = run.advance(first_round(run))
    assert isinstance(outcome, LoopOutcome)
    assert set(outcome.failures) == {TaskId(source, 0)}
    assert outcome.blocked == {TaskId(a, 0), TaskId(b, 0)}
    assert len(outcome.cancelled) == 15 - 3 and not outcome.markers


def test_a_task_killed_more_than_max_retries_times_fails_for_good(make_run):
    run = make_run(max_retries=1)
    source = next(iter(run.plan.stages))
    rnd = run.round(2, {TaskId(source, 3): 2}, detached=False)
    record(run, TaskId(source, 3), 2, STARTED, log="killed")
    outcome = run.advance(rnd)
    assert isinstance(outcome, LoopOutcome) and outcome.failures[TaskId(source, 3)].kind == INFRA
    assert "ended before the task finished" in outcome.failures[TaskId(source, 3)].message


def test_a_round_where_nothing_ran_ends_the_run_instead_of_resubmitting_forever(make_run):
    run = make_run()
    outcome = run.advance(first_round(run))
    assert isinstance(outcome, LoopOutcome) and len(outcome.failures) == 15
    assert all("left the queue without running" in f.message for f in outcome.failures.values())
