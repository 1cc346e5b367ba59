"""The rounds of a Slurm run: submit what is left, then read what happened, then again.

A round submits every task not yet done as job arrays chained by dependencies (see
:mod:`~shardflow.executors.slurm.arrays`). Once all of a round's jobs have left the queue,
:meth:`SlurmRun.advance` reads the markers and the attempt records the elements wrote:

* a task with a valid marker is done;
* a task that failed (raised, or was killed) is retried, with its attempt number raised, when
  the failure policy allows (:func:`~shardflow.run.policy.retry_delay`), else it failed for
  good and what reads it is blocked; a ``fail_fast`` failure ends the run;
* a task whose job never ran (cancelled because a task it reads failed) goes into the next
  round as the same attempt, unless what it reads failed for good.

The next round holds what is left; when nothing is, the run is over. The same code runs in the
driver (following the run) or, for a detached run, in a one-CPU supervisor job that each round
submits last, after all its arrays (``afterany``), so that retries need no driver.
No retry backoff is applied: the queue's own latency is one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shardflow.executors.slurm.arrays import ArraySpec, Attempt, plan_arrays
from shardflow.executors.slurm.queue import SlurmError, queued, sbatch, scancel
from shardflow.executors.slurm.records import FAILED, SlurmFiles, append_job, read_attempt, write_pickle
from shardflow.executors.slurm.script import array_options, common_options, job_name, render
from shardflow.io import remove_stale_temps
from shardflow.plan import TaskId
from shardflow.run.bound import Binder
from shardflow.run.executor import INFRA, TIMEOUT, TaskFailure
from shardflow.run.hooks import RunHooks
from shardflow.run.policy import failure_policy, retry_delay
from shardflow.run.scheduler import LoopOutcome
from shardflow.run.state import fail_task, start_state

if TYPE_CHECKING:
    from shardflow.executors.slurm.executor import SlurmExecutor
    from shardflow.graph.step import StepOptions


@dataclass
class RunSpec:
    """What every round of one run needs; pickled to ``run.pkl`` for the supervisor jobs.

    Attributes:
        run_id: This run's id (one per driver invocation).
        binder: Binds tasks: the plan, each stage's pickled steps, the run directory.
        options: Each step's options (retry and failure policies).
        executor: The executor, for its sbatch settings.
        max_retries: Retries of infrastructure failures (killed, out of time) per task.
        command: The command that resumes the run.
        started: When the driver started the run (epoch seconds).
        reused: Tasks already done when the run started.
        verify: How completed outputs are checked before they count (``size`` or ``checksum``).
        output_dirs: Per stage, the directories its tasks write to (for cleaning up after a
            failed attempt), with their storage options.
    """

    run_id: str
    binder: Binder
    options: dict[str, "StepOptions"]
    executor: "SlurmExecutor"
    max_retries: int
    command: str
    started: float
    reused: int
    verify: str = "size"
    output_dirs: dict[str, list[tuple[str, dict | None]]] = field(default_factory=dict)


@dataclass
class RoundSpec:
    """One round: its arrays, and what earlier rounds of the run concluded."""

    number: int
    arrays: list[ArraySpec]
    detached: bool
    failures: dict[TaskId, TaskFailure] = field(default_factory=dict)
    ran: int = 0
    retries: int = 0

    @property
    def attempts(self) -> list[Attempt]:
        return [a for array in self.arrays for a in array.tasks]

    def array(self, name: str) -> ArraySpec:
        return next(a for a in self.arrays if a.name == name)


class SlurmRun:
    """Submits a run's rounds and reads back what each did.

    Args:
        spec: The run.
        hooks: Told of task starts, completions and failures (a follower's progress display).
    """

    def __init__(self, spec: RunSpec, hooks: RunHooks | None = None) -> None:
        self.spec = spec
        self.ex = spec.executor
        self.plan = spec.binder.plan
        self.rundir = spec.binder.rundir
        self.files = SlurmFiles(self.rundir.url, spec.run_id, self.ex.logs_folder)
        self.hooks = hooks or RunHooks()
        self.job_ids: dict[str, str] = {}  # array name -> job id, of the round last submitted here
        self._notified: set[TaskId] = set()

    def round(self, number: int, todo: dict[TaskId, int], detached: bool, **state) -> RoundSpec:
        """The round that runs ``todo`` (task -> attempt)."""
        arrays = plan_arrays(
            self.plan, todo, tasks_per_job=self.ex.tasks_per_job, max_array_size=self.ex.max_array_size, round_no=number
        )
        return RoundSpec(number, arrays, detached, **state)

    # -- submit ------------------------------------------------------------------------------
    def submit(self, rnd: RoundSpec) -> None:
        """Submit the round's arrays, upstream first, then (detached) its supervisor job."""
        write_pickle(self.files.round_pickle(rnd.number), rnd)
        for folder in (self.files.logs, self.files.scripts):
            os.makedirs(folder, exist_ok=True)
        self.job_ids = {}
        try:
            for array in rnd.arrays:
                self._submit_array(rnd, array)
            if rnd.detached:
                self._submit_supervisor(rnd)
        except BaseException:
            # Half a round in the queue would run without its dependents: take it back.
            try:
                scancel(self.job_ids.values())
            except SlurmError:
                pass
            raise

    def _submit_array(self, rnd: RoundSpec, array: ArraySpec) -> None:
        stage = self.plan.stages[array.stage].stage
        name = job_name(self.ex.job_name, array.stage)
        dependency = ",".join(f"{d.kind}:{self.job_ids[d.array]}" for d in array.after) or None
        options = array_options(
            self.ex, stage, name=name, n_elements=len(array.elements), dependency=dependency,
            output=self.files.log_pattern(name),
        )
        command = [self.ex.python, "-m", "shardflow.executors.slurm.task", self.files.round_pickle(rnd.number), array.name]
        job = self._sbatch(f"{array.name}.sh", render(options, self.ex.sbatch_args, self.ex.setup_lines(), command))
        self.job_ids[array.name] = job
        append_job(self.rundir.url, run=self.spec.run_id, round=rnd.number, array=array.name, stage=array.stage,
                   job=job, elements=len(array.elements), tasks=len(array.tasks))
        for index, element in enumerate(array.elements):
            for a in element:
                self.rundir.append_event("task_start", task=str(a.task), attempt=a.attempt, job=f"{job}_{index}")
                self.hooks.on_task_start(a.task, a.attempt)

    def _submit_supervisor(self, rnd: RoundSpec) -> None:
        name = job_name(self.ex.job_name, "supervise")
        options = {
            "job-name": name,
            **common_options(self.ex),
            "time": self.ex.supervisor_time or self.ex.time,
            "cpus-per-task": 1,
            "dependency": "afterany:" + ":".join(self.job_ids.values()),
            "output": self.files.log_pattern(name, array=False),
        }
        command = [self.ex.python, "-m", "shardflow.executors.slurm.supervise", self.files.round_pickle(rnd.number)]
        job = self._sbatch(f"r{rnd.number}.supervise.sh", render(options, self.ex.sbatch_args, self.ex.setup_lines(), command))
        self.job_ids["supervisor"] = job
        append_job(self.rundir.url, run=self.spec.run_id, round=rnd.number, array="supervisor", stage=None, job=job)

    def _sbatch(self, filename: str, text: str) -> str:
        path = os.path.join(self.files.scripts, f"{self.spec.run_id}.{filename}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return sbatch(path)

    # -- follow ------------------------------------------------------------------------------
    def poll(self, rnd: RoundSpec) -> bool:
        """Tell the hooks of tasks done since the last poll; True while jobs are queued."""
        live = bool(queued(self.job_ids.values()))
        for a in rnd.attempts:
            if a.task not in self._notified:
                sp = self.plan.stages[a.task.stage]
                marker = self.rundir.read_marker(sp, a.task.shard) if os.path.exists(self.rundir.marker_path(sp, a.task.shard)) else None
                if marker is not None:
                    self._notified.add(a.task)
                    self.hooks.on_task_done(a.task, marker)
        return live

    # -- advance -----------------------------------------------------------------------------
    def advance(self, rnd: RoundSpec, interrupted: bool = False) -> RoundSpec | LoopOutcome:
        """Read what ``rnd`` did (its jobs have all ended); return the next round, or the
        outcome when nothing is left to submit."""
        markers = self.rundir.completed(self.plan, self.spec.verify)
        failures, ran, retries = dict(rnd.failures), rnd.ran, rnd.retries
        todo: dict[TaskId, int] = {}
        progressed = False
        for a in rnd.attempts:
            if a.task in markers:
                ran, progressed = ran + 1, True
                self._done(a, markers[a.task])
                continue
            failure = self._failure(a)
            if failure is None:
                todo[a.task] = a.attempt  # never started: same attempt next round
                continue
            progressed = True
            options = self.spec.options.get(failure.step) if failure.step else None
            delay = retry_delay(failure, a.attempt, options, self.spec.max_retries, 0.0)
            sp = self.plan.stages[a.task.stage]
            self.rundir.append_event(
                "task_failed", task=str(a.task), attempt=a.attempt, kind=failure.kind, step=failure.step,
                message=failure.message, retry_in=delay, log=self.rundir.log_path(sp, a.task.shard),
            )
            self.hooks.on_task_failed(a.task, failure, delay)
            self._remove_temps(a.task)
            if delay is None:
                failures[a.task] = failure
            else:
                retries += 1
                todo[a.task] = a.attempt + 1
        if todo and not progressed and not interrupted:
            # Nothing of the round ran at all: resubmitting the same would loop forever.
            for tid in todo:
                failures[tid] = TaskFailure(INFRA, f"its job left the queue without running (cancelled?); see {self.files.logs}")
            todo = {}
        state = start_state(self.plan, markers)
        for tid, failure in failures.items():
            fail_task(state, tid, failure.message)
        stop = interrupted or any(failure_policy(self.spec.options.get(f.step)) == "fail_fast" for f in failures.values())
        todo = {} if stop else {t: n for t, n in todo.items() if t not in state.blocked}
        if todo:
            return self.round(rnd.number + 1, todo, rnd.detached, failures=failures, ran=ran, retries=retries)
        left = [t for t in self.plan.tasks if t not in markers and t not in failures and t not in state.blocked]
        return LoopOutcome(
            markers=markers, failures=failures, blocked=set(state.blocked), cancelled=left,
            reused=self.spec.reused, ran=ran, retries=retries, interrupted=interrupted,
        )

    def _remove_temps(self, task: TaskId) -> None:
        """Delete what a failed attempt left uncommitted: its job has ended, so no writer is
        alive, and only this task writes files named after its shard."""
        prefix = f"{task.shard:05d}"
        for path, options in self.spec.output_dirs.get(task.stage, []):
            remove_stale_temps(path, options, target_prefix=prefix)

    def _done(self, a: Attempt, marker) -> None:
        sp = self.plan.stages[a.task.stage]
        rows = sum(s.get("rows_out", 0) for s in marker.stats.values())
        self.rundir.append_event(
            "task_done", task=str(a.task), stage_key=sp.key, attempt=a.attempt, seconds=marker.seconds, rows_out=rows,
        )
        if a.task not in self._notified:
            self._notified.add(a.task)
            self.hooks.on_task_done(a.task, marker)

    def _failure(self, a: Attempt) -> TaskFailure | None:
        """Why attempt ``a`` has no marker, or None if it never started."""
        sp = self.plan.stages[a.task.stage]
        record = read_attempt(self.files.attempt(sp, a.task.shard, a.attempt))
        if record is None:
            return None
        if record["state"] == FAILED:
            return TaskFailure(**record["failure"])
        # It started and neither finished nor raised: Slurm killed it. Its log says why.
        job, _, index = record["job"].partition("_")
        log = self.files.log(job_name(self.ex.job_name, a.task.stage), job, int(index or 0))
        tail = _tail(log)
        if "DUE TO TIME LIMIT" in tail:
            return TaskFailure(TIMEOUT, f"job {record['job']} ran past its time limit ({self.ex.time}); see {log}", tail)
        how = "out of memory" if "oom" in tail.lower() else "killed, cancelled or its node was lost"
        return TaskFailure(INFRA, f"job {record['job']} on {record['host']} ended before the task finished ({how}); see {log}", tail)


def _tail(path: str, size: int = 4096) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - size))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
