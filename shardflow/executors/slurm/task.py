"""The entry point of an array element, run on a node: ``python -m shardflow.executors.slurm.task ROUND ARRAY``.

It runs the tasks of element ``$SLURM_ARRAY_TASK_ID`` of array ``ARRAY`` in round file
``ROUND``, one after the other, with one step cache (so ``setup()`` runs once per element).
For each task it records the attempt (started, then done or failed), binds the task to the
markers of what it reads (checked here: an upstream task without a valid marker fails this
one with a clear message rather than reading partial data), and runs it with the same task
runner as every other executor. The exit code is 1 if any of its tasks failed, so Slurm
cancels the elements that depend on it (``--kill-on-invalid-dep``).
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import replace

from shardflow.executors.slurm.arrays import Attempt
from shardflow.executors.slurm.records import DONE, FAILED, STARTED, SlurmFiles, read_pickle, write_attempt
from shardflow.executors.slurm.rounds import RunSpec
from shardflow.run.executor import INFRA, STEP, TaskFailure
from shardflow.run.malloc import tune_worker_memory
from shardflow.run.task_runner import StepCache, StepError, run_task


def failure_of(exc: Exception) -> TaskFailure:
    """What a task that raised ``exc`` reports: the failing step and its traceback when known."""
    if isinstance(exc, StepError):
        return TaskFailure(STEP, str(exc), exc.traceback, exc.step)
    return TaskFailure(STEP, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def run_attempt(spec: RunSpec, files: SlurmFiles, a: Attempt, cache: StepCache) -> bool:
    """Run one task attempt and record how it went; True when its marker is written."""
    binder, rundir = spec.binder, spec.binder.rundir
    sp = binder.plan.stages[a.task.stage]
    record = files.attempt(sp, a.task.shard, a.attempt)
    if rundir.read_marker(sp, a.task.shard, spec.verify) is not None:
        # A requeued element whose task had already committed: nothing to redo.
        write_attempt(record, a.task, a.attempt, DONE)
        return True
    write_attempt(record, a.task, a.attempt, STARTED)
    markers = {}
    for dep in binder.plan.tasks[a.task].deps:
        marker = rundir.read_marker(binder.plan.stages[dep.stage], dep.shard, spec.verify)
        if marker is None:
            failure = TaskFailure(INFRA, f"task {dep}, which {a.task} reads, has no valid marker in {rundir.url}")
            write_attempt(record, a.task, a.attempt, FAILED, failure)
            print(failure.message, file=sys.stderr)
            return False
        markers[dep] = marker
    task = replace(binder.bind(a.task, markers), attempt=a.attempt)
    try:
        run_task(task, cache)
    except Exception as exc:  # noqa: BLE001 - recorded for the driver, and printed to the job log
        write_attempt(record, a.task, a.attempt, FAILED, failure_of(exc))
        traceback.print_exc()
        print(f"task {a.task} attempt {a.attempt} failed; its log: {task.log_path}", file=sys.stderr)
        return False
    write_attempt(record, a.task, a.attempt, DONE)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m shardflow.executors.slurm.task ROUND_PICKLE ARRAY_NAME", file=sys.stderr)
        return 2
    round_path, array_name = argv[1], argv[2]
    spec: RunSpec = read_pickle(os.path.join(os.path.dirname(round_path), "run.pkl"))
    element = read_pickle(round_path).array(array_name).elements[int(os.environ["SLURM_ARRAY_TASK_ID"])]
    files = SlurmFiles(spec.binder.rundir.url, spec.run_id, spec.executor.logs_folder)
    tune_worker_memory()
    cache = StepCache()
    ok = [run_attempt(spec, files, a, cache) for a in element]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
