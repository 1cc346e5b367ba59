"""Read a run directory back: per-stage progress and failures, from its files alone."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from shardflow.run.rundir import RunDir


@dataclass
class StageStatus:
    """Progress of one stage: tasks done of total, and the tasks that failed for good."""

    id: str
    steps: list[str]
    total: int
    done: int
    failed: list[str] = field(default_factory=list)

    @property
    def left(self) -> int:
        return self.total - self.done


def run_status(workdir: str) -> tuple[dict, list[StageStatus]]:
    """Return run.json's content and each stage's status (one listing per stage)."""
    rundir = RunDir(workdir)
    if not rundir.exists("run.json"):
        raise FileNotFoundError(f"{rundir.url} is not a shardflow run directory (no run.json)")
    info = rundir.read_json("run.json")
    last: dict[str, dict] = {}
    for event in rundir.events():
        if event["event"] in ("task_done", "task_failed", "task_reused"):
            last[event["task"]] = event
    stages = []
    for st in info["plan"]["stages"]:
        done_dir = rundir.path("stages", f"{st['id']}-{st['key']}", "done")
        try:
            done = len([p for p in rundir.fs.ls(done_dir, detail=False) if p.endswith(".json")])
        except FileNotFoundError:
            done = 0
        failed = [
            task for task, ev in last.items()
            if ev["event"] == "task_failed" and ev.get("retry_in") is None
            and task.rsplit("/", 1)[0] == st["id"]
        ]
        stages.append(StageStatus(st["id"], st["steps"], st["tasks"], min(done, st["tasks"]), sorted(failed)))
    return info, stages


def log_path(workdir: str, stage_id: str, key: str, task: str) -> str:
    shard = task.rsplit("/", 1)[1]
    return posixpath.join(RunDir(workdir).url, "stages", f"{stage_id}-{key}", "logs", f"{shard}.log")
