"""Everything the HTML report and the dashboard show, read from a run directory.

Stats are merged from the completion markers, not read from stats.json, so they are right
while a run is still going (stats.json is written when it ends, from the same markers).
Markers never change once written, so a :class:`MarkerCache` lets the dashboard re-read a
large run by reading only the markers that are new since its last look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from shardflow.graph.stats import StepStats
from shardflow.report.events import log_tail
from shardflow.report.status import RunStatus, run_status
from shardflow.run.rundir import RunDir


@dataclass(frozen=True)
class TaskRecord:
    """One completed task, from its marker.

    Attributes:
        task: ``stage/shard``.
        stage: Its stage id.
        started: Wall time it started (seconds since the epoch).
        seconds: How long it ran.
        rows: Rows it read (its source's output, or its first step's input).
        bytes_in: Bytes it read, as stored.
        bytes_out: Bytes it wrote.
        host: Where it ran.
    """

    task: str
    stage: str
    started: float
    seconds: float
    rows: int
    bytes_in: int
    bytes_out: int
    host: str


@dataclass(frozen=True)
class FailedTask:
    """A task that failed with no retry left, with the end of its log."""

    task: str
    stage: str
    kind: str
    step: str | None
    message: str
    attempt: int
    log: str | None
    log_tail: str


@dataclass
class RunData:
    """A run directory read back for display.

    Attributes:
        status: Per-stage status, lock holder, last run end.
        stats: Per step (plan order): merged stats as in stats.json.
        step_stage: Per step: the stage it runs in.
        tasks: Completed tasks, by start time.
        failed: Failed tasks of the latest run.
        events: The event log.
    """

    status: RunStatus
    stats: dict[str, dict[str, Any]]
    step_stage: dict[str, str]
    tasks: list[TaskRecord]
    failed: list[FailedTask]
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.status.info["plan"]["name"]


class MarkerCache(dict):
    """Parsed markers by path; markers are immutable, so a path read once stays valid."""


def _rows_read(stage: dict[str, Any], stats: dict[str, dict]) -> int:
    first = stats.get(stage["steps"][0], {})
    return first.get("rows_out", 0) if stage["kind"] == "source" else first.get("rows_in", 0)


def load_run(workdir: str, cache: MarkerCache | None = None, log_lines: int = 20) -> RunData:
    """Read ``workdir``: status, merged stats, completed tasks, failures with log tails.

    Args:
        workdir: The run directory.
        cache: Markers parsed by an earlier call (the dashboard keeps one).
        log_lines: How many last lines of each failed task's log to keep.
    """
    cache = MarkerCache() if cache is None else cache
    status = run_status(workdir)
    rundir = RunDir(workdir)
    plan_stages = status.info["plan"]["stages"]
    merged = {name: StepStats() for st in plan_stages for name in st["steps"]}
    step_stage = {name: st["id"] for st in plan_stages for name in st["steps"]}
    tasks: list[TaskRecord] = []
    for st in plan_stages:
        for path in rundir.marker_paths(f"{st['id']}-{st['key']}").values():
            marker = cache.get(path)
            if marker is None:
                try:
                    with rundir.fs.open(path, "rb") as f:
                        marker = orjson.loads(f.read())
                except (FileNotFoundError, orjson.JSONDecodeError):
                    continue  # being replaced, or torn: it does not count
                cache[path] = marker
            for name, data in marker["stats"].items():
                if name in merged:
                    merged[name].merge(StepStats.from_dict(data))
            tasks.append(TaskRecord(
                task=marker["task"], stage=st["id"], started=marker.get("started", 0.0),
                seconds=marker.get("seconds", 0.0), rows=_rows_read(st, marker["stats"]),
                bytes_in=int(marker.get("bytes_in") or 0), bytes_out=int(marker.get("bytes_out") or 0),
                host=marker.get("host", ""),
            ))
    failed = [
        FailedTask(
            task=task, stage=task.rsplit("/", 1)[0], kind=ev.get("kind", ""), step=ev.get("step"),
            message=ev.get("message", ""), attempt=ev.get("attempt", 1), log=ev.get("log"),
            log_tail=log_tail(ev.get("log"), log_lines),
        )
        for task, ev in sorted(status.failures.items())
    ]
    return RunData(
        status=status,
        stats={name: s.to_dict() for name, s in merged.items()},
        step_stage=step_stage,
        tasks=sorted(tasks, key=lambda t: t.started),
        failed=failed,
        events=rundir.events(),
    )

