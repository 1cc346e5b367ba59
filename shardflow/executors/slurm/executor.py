"""The Slurm executor: every stage a job array, chained by job dependencies.

It is a :class:`~shardflow.run.executor.PlanExecutor`: Slurm does the scheduling. A run is a
few *rounds* (see :mod:`~shardflow.executors.slurm.rounds`): the first submits every task not
yet done, later ones the retries; the driver either follows them to the end (the default) or
exits right after the first submission (``detach=True``), leaving a small supervisor job to
submit the next rounds and close the run. Either way the run directory has the whole story:
``shardflow status WORKDIR`` shows progress and the jobs still queued, and rerunning the same
command resumes (it submits only what is not done, and refuses while the run's jobs are
still in the queue).

Tasks run on the nodes with ``python -m shardflow.executors.slurm.task``, so the run
directory must be on a file system the nodes share, the nodes must have the same Python
environment (``python``, ``venv_path`` or ``env_command``), and the code of custom steps must
be importable there (the jobs start in the driver's working directory).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any, Mapping, Sequence

from shardflow.executors.slurm.follow import follow
from shardflow.executors.slurm.records import write_pickle
from shardflow.executors.slurm.rounds import RunSpec, SlurmRun
from shardflow.executors.slurm.status import slurm_status
from shardflow.run.bound import Binder
from shardflow.run.cleanup import output_dirs, remove_stale_writes
from shardflow.run.executor import PlanRun
from shardflow.run.scheduler import LoopOutcome

log = logging.getLogger("shardflow.slurm")


class SlurmExecutor:
    """Run a pipeline on a Slurm cluster as job arrays chained by dependencies.

    Args:
        partition: Partition (queue) to submit to (default: the cluster's default).
        time: Time limit of one array element, in a form sbatch accepts (``"4:00:00"``);
            default: the steps' ``time`` limit times ``tasks_per_job``, rounded up to whole
            minutes. An element that runs past it is retried like a killed one.
        cpus_per_task: CPUs of one element (a stage whose steps ask for more gets more).
        mem_per_cpu_gb: Memory per CPU, in GB.
        gpus: GPUs of one element (``--gres=gpu:N``; a step asking for more gets more).
        job_name: Prefix of the jobs' names; each array is ``<job_name>-<stage>``.
        qos: Quality of service.
        account: Account to charge.
        sbatch_args: More sbatch options, as ``{"constraint": "a100"}`` or
            ``["--constraint=a100"]``; they override the ones above.
        env_command: Shell line(s) run before each task (``"module load python"``).
        venv_path: A virtual environment to activate on the nodes (``python`` is then its own).
        python: The interpreter on the nodes (default: this one, ``sys.executable``).
        tasks_per_job: Tasks one array element runs one after the other.
        max_array_size: Most elements per array (the cluster's ``MaxArraySize`` less one);
            a bigger stage is split into several arrays.
        max_concurrent: Elements of one array running at once (``--array=...%N``); default:
            ``workers`` of ``Pipeline.run``, else no limit.
        requeue: Let Slurm requeue an element whose node failed (``--requeue``).
        mail_type: sbatch ``--mail-type`` (``"END,FAIL"``).
        mail_user: sbatch ``--mail-user``.
        logs_folder: Where the jobs' output goes (default ``WORKDIR/slurm/logs``).
        max_retries: Retries of an element killed or out of time (default: ``max_retries`` of
            ``Pipeline.run``). Errors in a step's code follow the step's ``retries``.
        detach: Return once the first round is submitted; a supervisor job sees it through.
        poll_interval: Seconds between two looks at the queue when following a run.
        supervisor_time: Time limit of the small supervisor job of a detached run
            (default: ``time``).
        chdir: Working directory of the jobs (default: the driver's).
    """

    def __init__(
        self,
        *,
        partition: str | None = None,
        time: str | None = None,
        cpus_per_task: int = 1,
        mem_per_cpu_gb: float | None = None,
        gpus: int = 0,
        job_name: str = "shardflow",
        qos: str | None = None,
        account: str | None = None,
        sbatch_args: Mapping[str, Any] | Sequence[str] | None = None,
        env_command: str | None = None,
        venv_path: str | None = None,
        python: str | None = None,
        tasks_per_job: int = 1,
        max_array_size: int = 1000,
        max_concurrent: int | None = None,
        requeue: bool = False,
        mail_type: str | None = None,
        mail_user: str | None = None,
        logs_folder: str | None = None,
        max_retries: int | None = None,
        detach: bool = False,
        poll_interval: float = 5.0,
        supervisor_time: str | None = None,
        chdir: str | None = None,
    ) -> None:
        if tasks_per_job < 1:
            raise ValueError(f"tasks_per_job={tasks_per_job} must be at least 1")
        if max_array_size < 1:
            raise ValueError(f"max_array_size={max_array_size} must be at least 1")
        self.partition = partition
        self.time = time
        self.cpus_per_task = cpus_per_task
        self.mem_per_cpu_gb = mem_per_cpu_gb
        self.gpus = gpus
        self.job_name = job_name
        self.qos = qos
        self.account = account
        self.sbatch_args = sbatch_args
        self.env_command = env_command
        self.venv_path = venv_path
        self.python = python or ("python" if venv_path else sys.executable)
        self.tasks_per_job = tasks_per_job
        self.max_array_size = max_array_size
        self.max_concurrent = max_concurrent
        self.workers: int | None = None  # set by Pipeline.run(workers=...)
        self.requeue = requeue
        self.mail_type = mail_type
        self.mail_user = mail_user
        self.logs_folder = logs_folder
        self.max_retries = max_retries
        self.detach = detach
        self.poll_interval = poll_interval
        self.supervisor_time = supervisor_time
        self.chdir = os.path.abspath(chdir or os.getcwd())

    def setup_lines(self) -> list[str]:
        """Shell lines run on the node before a task: the environment command, the venv."""
        lines = [self.env_command] if self.env_command else []
        if self.venv_path:
            lines.append(f"source {os.path.join(os.path.abspath(self.venv_path), 'bin', 'activate')}")
        return lines

    # -- PlanExecutor ------------------------------------------------------------------------
    def run_plan(self, run: PlanRun) -> LoopOutcome | None:
        """Submit the tasks not done yet; follow them to the end, or return None if detached."""
        rundir, plan = run.rundir, run.plan
        if "://" in rundir.url and not rundir.url.startswith("file://"):
            raise ValueError(
                f"the Slurm executor needs a run directory on a file system its nodes share; "
                f"{rundir.url} is not one (outputs may still go to any fsspec URL)"
            )
        _refuse_if_queued(rundir.url)
        if run.dry_run is None:
            # No job of an earlier run is alive (checked just above): its temporaries are dead.
            removed = remove_stale_writes(plan, run.graph, rundir)
            if removed:
                rundir.append_event("stale_temporaries_removed", count=removed)
        markers = rundir.completed(plan, run.verify)
        for tid in sorted(markers):
            rundir.append_event("task_reused", task=str(tid), stage_key=plan.stages[tid.stage].key)
        for sp in plan.stages.values():
            rundir.makedirs(sp)
        run.hooks.on_run_start(plan, dict(markers))
        spec = RunSpec(
            run_id=time.strftime("%Y%m%d-%H%M%S-") + str(os.getpid()),
            binder=Binder(plan, run.graph, rundir, dry_run=run.dry_run, part_rows=run.part_rows),
            options={step.name: step.options for step in run.graph},
            executor=self,
            max_retries=run.max_retries if self.max_retries is None else self.max_retries,
            command=run.command,
            started=time.time(),
            reused=len(markers),
            verify=run.verify,
            output_dirs={sid: output_dirs(plan, run.graph, rundir, stage=sid) for sid in plan.stages},
        )
        slurm = SlurmRun(spec, run.hooks)
        write_pickle(slurm.files.run_pickle, spec)
        todo = {tid: 1 for tid in plan.tasks if tid not in markers}
        if not todo:
            return LoopOutcome(markers=markers, reused=len(markers))
        first = slurm.round(1, todo, self.detach)
        if not self.detach:
            return follow(slurm, first, self.poll_interval)
        slurm.submit(first)
        log.info(
            "submitted %d tasks of %s as Slurm jobs %s; follow with: shardflow status %s",
            len(todo), plan.name, " ".join(slurm.job_ids.values()), rundir.url,
        )
        return None


def _refuse_if_queued(workdir: str) -> None:
    """Two runs must not work in one run directory: refuse while the last one's jobs are queued."""
    status = slurm_status(workdir, strict=True)
    if status is not None and status.in_queue:
        ids = " ".join(sorted(status.queued))
        raise RuntimeError(
            f"{workdir} is still being run by Slurm jobs {ids}. Follow them with "
            f"`shardflow status {workdir}` and rerun when they have ended, or cancel them: scancel {ids}"
        )

