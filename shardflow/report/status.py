"""Read a run directory back: per-stage progress, running and failed tasks, what is left.

Everything comes from the run directory's files (run.json, events.jsonl, the markers'
folders and the lock), so it works while a run is going on, after it stopped, and from
another machine.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from shardflow.plan.branches import stage_branches
from shardflow.run.lock import live_holder
from shardflow.run.rundir import RunDir

#: Stage states, in the order the DAG legend lists them.
STATES = ("pending", "running", "partial", "done", "failed")


@dataclass
class StageStatus:
    """Progress of one stage.

    Attributes:
        plan: The stage as run.json describes it (id, key, steps, inputs, kind, output, ...).
        done: Tasks with a completion marker.
        failed: Tasks whose last attempt in the latest run failed with no retry left.
        running: Tasks started in the latest run and not finished (only while it is alive).
        branch: Id of the stage that starts the branch this stage is on, or None.
    """

    plan: dict[str, Any]
    done: int
    failed: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    branch: str | None = None

    @property
    def id(self) -> str:
        return self.plan["id"]

    @property
    def steps(self) -> list[str]:
        return self.plan["steps"]

    @property
    def total(self) -> int:
        return self.plan["tasks"]

    @property
    def left(self) -> int:
        return self.total - self.done

    @property
    def state(self) -> str:
        """One of :data:`STATES`."""
        if self.failed:
            return "failed"
        if self.done >= self.total:
            return "done"
        if self.running:
            return "running"
        return "partial" if self.done else "pending"


@dataclass
class RunStatus:
    """A run directory read back.

    Attributes:
        workdir: The run directory.
        info: run.json (plan summary, command, versions).
        stages: Each stage's status, in plan order.
        holder: The lock holder (host, pid, since, command) while a run is alive, else None.
        last_end: The ``run_end`` event of the latest run, or None if it has not ended.
        failures: The ``task_failed`` events (no retry left) of the latest run, by task.
    """

    workdir: str
    info: dict[str, Any]
    stages: list[StageStatus]
    holder: dict[str, Any] | None
    last_end: dict[str, Any] | None
    failures: dict[str, dict[str, Any]]

    @property
    def command(self) -> str:
        return self.info.get("command") or "the command that started the run"

    @property
    def left(self) -> int:
        return sum(st.left for st in self.stages)

    def todo(self) -> list[str]:
        """What is left to do, in plain sentences, ending with the command that resumes."""
        if not self.left:
            return ["all tasks done; rerunning reuses every one of them."]
        failed = sum(len(st.failed) for st in self.stages)
        running = sum(len(st.running) for st in self.stages)
        lines = []
        if self.holder is not None:
            lines.append(f"A run is in progress (pid {self.holder.get('pid')} on {self.holder.get('host')}, "
                         f"since {self.holder.get('since')}): {running} tasks running, {self.left} not done yet.")
            return lines
        pending = self.left - failed
        lines.append(f"{self.left} of {sum(st.total for st in self.stages)} tasks are not done: "
                     f"{failed} failed, {pending} not run yet.")
        for st in self.stages:
            if st.left:
                lines.append(f"  {st.id}: {st.left} left" + (f" ({len(st.failed)} failed)" if st.failed else ""))
        if failed:
            lines.append("Fix the failures first (shardflow events WORKDIR --failures shows them and their logs).")
        lines.append(f"Resume with:\n  {self.command}")
        return lines


def _latest_run(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    starts = [i for i, ev in enumerate(events) if ev.get("event") == "run_start"]
    return events[starts[-1]:] if starts else events


def run_status(workdir: str, plan: dict[str, Any] | None = None) -> RunStatus:
    """Read ``workdir`` back (one listing per stage, one read of the event log).

    Args:
        workdir: The run directory.
        plan: A plan summary to check against the directory instead of the one in its
            run.json (``shardflow plan --workdir``: what of *this* plan is already done).
    """
    rundir = RunDir(workdir)
    if plan is not None:
        info = {**(rundir.read_json("run.json") if rundir.exists("run.json") else {}), "plan": plan}
    elif not rundir.exists("run.json"):
        raise FileNotFoundError(f"{rundir.url} is not a shardflow run directory (no run.json)")
    else:
        info = rundir.read_json("run.json")
    events = _latest_run(rundir.events())
    holder = live_holder(rundir.path("lock.json"), rundir.storage_options)
    last: dict[str, dict] = {}
    last_end = None
    for event in events:
        if event["event"] in ("task_start", "task_done", "task_failed", "task_reused"):
            last[event["task"]] = event
        elif event["event"] == "run_end":
            last_end = event
    alive = holder is not None and last_end is None
    failures = {t: ev for t, ev in last.items() if ev["event"] == "task_failed" and ev.get("retry_in") is None}
    branches = stage_branches((s["id"], s["inputs"]) for s in info["plan"]["stages"])
    stages = []
    for st in info["plan"]["stages"]:
        done = len(rundir.marker_paths(f"{st['id']}-{st['key']}"))
        mine = [t for t in last if t.rsplit("/", 1)[0] == st["id"]]
        stages.append(StageStatus(
            plan=st,
            done=min(done, st["tasks"]),
            failed=sorted(t for t in mine if t in failures),
            running=sorted(t for t in mine if alive and last[t]["event"] == "task_start"),
            branch=branches.get(st["id"]),
        ))
    return RunStatus(rundir.url, info, stages, holder if alive else None, last_end, failures)


def log_path(workdir: str, stage_id: str, key: str, task: str) -> str:
    """The log file of ``task`` (``stage/shard``) of the stage with ``key``."""
    shard = task.rsplit("/", 1)[1]
    return posixpath.join(RunDir(workdir).url, "stages", f"{stage_id}-{key}", "logs", f"{shard}.log")
