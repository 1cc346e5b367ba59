"""What a Slurm run keeps in its run directory, beside the engine's own records.

Layout::

    WORKDIR/slurm/
      jobs.jsonl                      every job submitted: run, round, array, stage, job id
      runs/<run>/
        run.pkl                       the bound plan, policies and settings (read on the nodes)
        round-<n>.pkl                 a round's arrays: which tasks each element runs
        attempts/<stage dir>/<shard>-<attempt>.json
                                      written by the element: started, then done or failed
        end.json                      how a detached run ended (written by its last round)
      scripts/<array>.sh              each sbatch script as submitted
      logs/<job name>_<job>_<index>.out   the jobs' stdout and stderr (``logs_folder``)

The markers under ``stages/`` remain the only proof that a task is done. An attempt record
tells the rest: a task that raised (``failed``, with the error), one that started and was
killed (``started`` and no marker: out of time or memory, node lost), and one whose job
never ran (no record: cancelled because what it reads failed).
"""

from __future__ import annotations

import os
import pickle
import socket
import time
from typing import Any

import orjson

from shardflow.io import write_bytes_atomic
from shardflow.plan import StagePlan, TaskId
from shardflow.run.executor import TaskFailure

STARTED, DONE, FAILED = "started", "done", "failed"


class SlurmFiles:
    """Paths of one run's Slurm records (a local or shared POSIX run directory).

    Args:
        workdir: The run directory (absolute path).
        run_id: This run's id (one per driver invocation; retries stay within it).
        logs_folder: Where the jobs' output goes (default ``WORKDIR/slurm/logs``).
    """

    def __init__(self, workdir: str, run_id: str, logs_folder: str | None = None) -> None:
        self.root = os.path.join(workdir, "slurm")
        self.run_dir = os.path.join(self.root, "runs", run_id)
        self.logs = os.path.abspath(logs_folder) if logs_folder else os.path.join(self.root, "logs")
        self.scripts = os.path.join(self.root, "scripts")

    @property
    def run_pickle(self) -> str:
        return os.path.join(self.run_dir, "run.pkl")

    @property
    def end(self) -> str:
        return os.path.join(self.run_dir, "end.json")

    def round_pickle(self, number: int) -> str:
        return os.path.join(self.run_dir, f"round-{number}.pkl")

    def attempt(self, sp: StagePlan, shard: int, attempt: int) -> str:
        return os.path.join(self.run_dir, "attempts", sp.dirname, f"{shard:05d}-{attempt}.json")

    def log(self, name: str, job: str, index: int | None) -> str:
        """The Slurm output file of a job (``index``: its array index)."""
        return os.path.join(self.logs, f"{name}_{job}.out" if index is None else f"{name}_{job}_{index}.out")

    def log_pattern(self, name: str, array: bool = True) -> str:
        return os.path.join(self.logs, f"{name}_%A_%a.out" if array else f"{name}_%j.out")


def jobs_path(workdir: str) -> str:
    return os.path.join(workdir, "slurm", "jobs.jsonl")


def append_job(workdir: str, **fields: Any) -> None:
    """Record a submitted job in ``slurm/jobs.jsonl`` (read by ``shardflow status``)."""
    with open(jobs_path(workdir), "ab") as f:
        f.write(orjson.dumps({"t": round(time.time(), 3), **fields}) + b"\n")


def read_jobs(workdir: str) -> list[dict[str, Any]]:
    """Every job recorded for this run directory, oldest first."""
    try:
        with open(jobs_path(workdir), "rb") as f:
            return [orjson.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def last_run_jobs(workdir: str) -> list[dict[str, Any]]:
    """The jobs of the most recent run (driver invocation) in this run directory."""
    jobs = read_jobs(workdir)
    return [j for j in jobs if j["run"] == jobs[-1]["run"]] if jobs else []


def write_pickle(path: str, obj: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_bytes_atomic(path, pickle.dumps(obj))


def read_pickle(path: str) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def write_attempt(path: str, task: TaskId, attempt: int, state: str, failure: TaskFailure | None = None) -> None:
    """Record where one attempt of a task stands (written by the array element running it)."""
    record: dict[str, Any] = {
        "task": str(task),
        "attempt": attempt,
        "state": state,
        "job": f"{os.environ.get('SLURM_ARRAY_JOB_ID', os.environ.get('SLURM_JOB_ID', '?'))}"
               f"_{os.environ.get('SLURM_ARRAY_TASK_ID', '0')}",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "t": round(time.time(), 3),
    }
    if failure is not None:
        record["failure"] = {"kind": failure.kind, "message": failure.message, "traceback": failure.traceback, "step": failure.step}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_bytes_atomic(path, orjson.dumps(record))


def read_attempt(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            return orjson.loads(f.read())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
