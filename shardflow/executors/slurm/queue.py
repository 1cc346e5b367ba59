"""The Slurm commands shardflow uses: sbatch, squeue and scancel. Nothing else.

Completion is never read from Slurm (finished jobs drop out of the controller's memory, and
``sacct`` needs a database many clusters restrict): the task markers in the run directory
say what is done. squeue only tells whether a job is still in the queue.
"""

from __future__ import annotations

import getpass
import shutil
import subprocess
from typing import Iterable


class SlurmError(RuntimeError):
    """A Slurm command failed; the message has the command and its error output."""


def _run(cmd: list[str], what: str) -> str:
    if shutil.which(cmd[0]) is None:
        raise SlurmError(
            f"{cmd[0]} is not on PATH: run on a Slurm login node, or install the Slurm client "
            f"(Debian: apt-get install slurm-client) and set SLURM_CONF ({what})"
        )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise SlurmError(f"`{' '.join(cmd)}` failed with exit code {proc.returncode} ({what}): {proc.stderr.strip()}")
    return proc.stdout


def sbatch(script: str) -> str:
    """Submit the script at path ``script``; return the job id."""
    out = _run(["sbatch", "--parsable", script], f"submitting {script}")
    # --parsable prints "jobid" or "jobid;cluster".
    return out.strip().split(";")[0]


def queued(job_ids: Iterable[str]) -> dict[str, list[str]]:
    """Which of ``job_ids`` are still in the queue: job id -> state of each element queued.

    Finished jobs are absent. Only this user's jobs are listed, one squeue call for all.
    """
    wanted = set(job_ids)
    if not wanted:
        return {}
    out = _run(["squeue", "-h", "-u", getpass.getuser(), "-o", "%F|%T"], "listing queued jobs")
    found: dict[str, list[str]] = {}
    for line in out.splitlines():
        job, _, state = line.strip().partition("|")
        if job in wanted:
            found.setdefault(job, []).append(state)
    return found


def scancel(job_ids: Iterable[str], pending_only: bool = False) -> None:
    """Cancel ``job_ids`` (with ``pending_only``, only their elements that have not started)."""
    ids = sorted(set(job_ids))
    if ids:
        _run(["scancel", *(["--state=PENDING"] if pending_only else []), *ids], "cancelling jobs")
