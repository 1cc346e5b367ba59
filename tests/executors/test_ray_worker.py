"""The Ray worker's job protocol, run in this process (no cluster needed)."""

from __future__ import annotations

import os

from tests.ray_support import ray  # noqa: F401 - skips the module when Ray is missing

import shardflow as sf
from shardflow.executors.ray import NODE_IPS_ENV, worker
from shardflow.run import RunDir
from shardflow.run.bound import Binder
from shardflow.run.executor import STEP
from shardflow.steps import filter_rows, read_jsonl, write_jsonl
from tests.conformance.pipelines import write_inputs


def explode(d):
    if d["id"] == "m3-0001":
        raise ValueError("bad document")
    return True


def bound_tasks(tmp_path):
    write_inputs(str(tmp_path / "in"))
    with sf.Pipeline("job") as p:
        read_jsonl(str(tmp_path / "in" / "main")) >> filter_rows(explode, name="exploder") >> write_jsonl(str(tmp_path / "out"))
    plan = p.plan(2)
    rundir = RunDir(str(tmp_path / "run"))
    for sp in plan.stages.values():
        rundir.makedirs(sp)
    binder = Binder(plan, p.graph, rundir)
    return [binder.bind(tid, {}) for tid in sorted(plan.tasks)]


def test_a_job_streams_each_tasks_start_then_result_and_echoes_only_the_first_log(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(worker, "_node_ip", lambda: "127.0.0.9")
    monkeypatch.setattr(worker, "_group_node_ips", lambda: None)
    monkeypatch.setenv(NODE_IPS_ENV, "")
    tasks = bound_tasks(tmp_path)
    assert len(tasks) == 2

    events = list(worker.TaskWorker().run_job(tasks, [True, False]))

    assert [e[:2] for e in events] == [("start", 0), ("done", 0), ("start", 1), ("fail", 1)]
    assert events[0][2] == f"127.0.0.9 pid {os.getpid()}"
    assert os.environ[NODE_IPS_ENV] == "127.0.0.9"
    assert events[1][2]["task"] == str(tasks[0].id) and os.path.exists(tasks[0].marker_path)
    failure = events[3][2]
    assert failure.kind == STEP and failure.step == "exploder" and "ValueError: bad document" in failure.traceback
    echoed = capfd.readouterr().err
    assert f"task {tasks[0].id} attempt 1 started" in echoed, "log_first: the first task's log reaches the console"
    assert f"task {tasks[1].id}" not in echoed
