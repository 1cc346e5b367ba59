"""What ``shardflow status`` adds for a Slurm run: its jobs, which are still queued, how it ended."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import orjson

from shardflow.executors.slurm.queue import SlurmError, queued
from shardflow.executors.slurm.records import last_run_jobs


@dataclass
class SlurmStatus:
    """The last Slurm run of a run directory.

    Attributes:
        run_id: The run (driver invocation).
        jobs: Its jobs as recorded at submission (round, array, stage, job id, elements).
        queued: Job id -> states of its elements still in the queue (empty when all ended).
        queue_error: Why the queue could not be read (no squeue here), else None.
        end: ``end.json`` of a detached run that ended (status, failures), else None.
    """

    run_id: str
    jobs: list[dict[str, Any]]
    queued: dict[str, list[str]] = field(default_factory=dict)
    queue_error: str | None = None
    end: dict[str, Any] | None = None

    @property
    def in_queue(self) -> bool:
        """True while the run goes on. A run that wrote ``end.json`` is over even if its last
        supervisor job has not quite left the queue yet."""
        return bool(self.queued) and self.end is None

    def lines(self) -> list[str]:
        """Human-readable lines: one per job, then the state of the run."""
        out = [f"Slurm run {self.run_id}:"]
        for job in self.jobs:
            states = self.queued.get(job["job"], [])
            counts = ", ".join(f"{states.count(s)} {s.lower()}" for s in sorted(set(states))) or "ended"
            what = f"{job['stage']} ({job['elements']} elements)" if job.get("stage") else "supervisor"
            out.append(f"  round {job['round']}  job {job['job']:>8}  {what}: {counts}")
        if self.queue_error:
            out.append(f"  (queue not read: {self.queue_error})")
        if self.end is not None:
            out.append(f"  ended: {self.end['status']} after {self.end['rounds']} rounds, "
                       f"{self.end['ran']} tasks ran, {self.end['retries']} retries")
        elif self.in_queue:
            out.append(f"  still in the queue: {len(self.queued)} jobs")
        return out


def slurm_status(workdir: str, strict: bool = False) -> SlurmStatus | None:
    """The Slurm side of ``workdir``'s last run, or None if it was not run on Slurm.

    Args:
        workdir: The run directory.
        strict: Raise :class:`~shardflow.executors.slurm.queue.SlurmError` when the queue
            cannot be read, instead of noting it in ``queue_error``.
    """
    jobs = last_run_jobs(os.path.abspath(workdir))
    if not jobs:
        return None
    status = SlurmStatus(run_id=jobs[0]["run"], jobs=jobs)
    try:
        status.queued = queued(j["job"] for j in jobs)
    except SlurmError as exc:
        if strict:
            raise
        status.queue_error = str(exc)
    try:
        with open(os.path.join(os.path.abspath(workdir), "slurm", "runs", status.run_id, "end.json"), "rb") as f:
            status.end = orjson.loads(f.read())
    except FileNotFoundError:
        pass
    return status
