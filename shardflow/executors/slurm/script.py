"""sbatch scripts: ``#SBATCH`` directives from the executor's settings, then the command.

Pure text rendering, tested without Slurm. Directives are written in the script rather than
passed on the command line so that the submitted script, kept beside the Slurm logs, shows
exactly what was asked of the cluster.
"""

from __future__ import annotations

import math
import re
import shlex
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from shardflow.executors.slurm.executor import SlurmExecutor
    from shardflow.plan import Stage


def job_name(base: str, suffix: str) -> str:
    """A job name Slurm and shells accept: ``base-suffix`` with odd characters replaced."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{base}-{suffix}")[:128]


def common_options(ex: "SlurmExecutor") -> dict[str, Any]:
    """Directives shared by task arrays and the supervisor job (queue, account, mail, ...)."""
    opts: dict[str, Any] = {
        "partition": ex.partition,
        "qos": ex.qos,
        "account": ex.account,
        "chdir": ex.chdir,
        "mail-type": ex.mail_type,
        "mail-user": ex.mail_user,
        # A dependency that can never be met (an upstream element failed) cancels the job
        # instead of leaving it pending forever; the next round resubmits what is left.
        "kill-on-invalid-dep": "yes",
    }
    opts["requeue" if ex.requeue else "no-requeue"] = True
    return opts


def array_options(
    ex: "SlurmExecutor",
    stage: "Stage",
    *,
    name: str,
    n_elements: int,
    dependency: str | None,
    output: str,
) -> dict[str, Any]:
    """Directives of one task array: resources of the stage, array range, dependency, log."""
    cpus = max(ex.cpus_per_task, math.ceil(stage.cpus))
    gpus = max(ex.gpus, math.ceil(stage.gpus))
    concurrent = ex.max_concurrent or ex.workers
    opts = {
        "job-name": name,
        **common_options(ex),
        "time": ex.time or _minutes(stage.time, ex.tasks_per_job),
        "cpus-per-task": cpus,
        "mem-per-cpu": f"{math.ceil(ex.mem_per_cpu_gb * 1024)}M" if ex.mem_per_cpu_gb else None,
        # A step's own memory limit applies when no per-CPU memory is set for the executor.
        "mem": f"{math.ceil(stage.memory / 2**20)}M" if stage.memory and not ex.mem_per_cpu_gb else None,
        "gres": f"gpu:{gpus}" if gpus else None,
        "array": f"0-{n_elements - 1}" + (f"%{concurrent}" if concurrent else ""),
        "dependency": dependency,
        "output": output,
        "error": output,
    }
    return opts


def _minutes(seconds: float | None, tasks: int) -> int | None:
    """A step's per-task time limit as the limit of an element of ``tasks`` tasks, in whole
    minutes (Slurm's unit), or None."""
    return math.ceil(seconds * tasks / 60) if seconds else None


def render(options: Mapping[str, Any], extra: Mapping[str, Any] | Sequence[str] | None, setup: Sequence[str], command: Sequence[str]) -> str:
    """The script: directives (None values left out, True as a bare flag), set-up lines, command.

    Args:
        options: Long sbatch options without dashes, in order.
        extra: The user's additional sbatch arguments (a mapping like ``options``, or raw
            strings such as ``"--constraint=a100"``); they come last, so they win.
        setup: Shell lines run before the command (environment modules, venv activation).
        command: The command, quoted here.
    """
    lines = ["#!/bin/bash"]
    merged = dict(options)
    raw: list[str] = []
    if isinstance(extra, Mapping):
        merged.update(extra)
    elif extra:
        raw = list(extra)
    for key, value in merged.items():
        if value is None or value is False:
            continue
        lines.append(f"#SBATCH --{key}" if value is True else f"#SBATCH --{key}={value}")
    lines += [f"#SBATCH {arg}" for arg in raw]
    lines += ["", *setup, "exec " + shlex.join(command), ""]
    return "\n".join(lines)
