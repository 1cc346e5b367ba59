"""One run, start to end: lock the run directory, record it, drive the scheduler, sum up."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import TYPE_CHECKING

from shardflow._version import __version__
from shardflow.plan import Plan
from shardflow.run.cleanup import output_dirs, remove_stale_writes, remove_task_temps
from shardflow.run.executor import Executor, PlanExecutor, PlanRun
from shardflow.run.hooks import HookList, RunHooks
from shardflow.run.lock import RunLock
from shardflow.run.result import RunFailed, RunResult, RunStats, branch_status, leaf_outputs
from shardflow.run.rundir import RunDir
from shardflow.run.scheduler import LoopOutcome, Scheduler
from shardflow.run.stage_events import StageEvents

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph


def execute_run(
    plan: Plan,
    graph: "Graph",
    rundir: RunDir,
    executor: Executor | PlanExecutor,
    *,
    command: str,
    max_retries: int = 3,
    raise_on_failure: bool = True,
    hooks: RunHooks | None = None,
    dry_run: str | None = None,
    part_rows: int | None = None,
    verify: str = "size",
) -> RunResult:
    """Run ``plan`` in ``rundir`` on ``executor``; return the result or raise :class:`RunFailed`.

    Args:
        plan: The compiled plan.
        graph: Its step graph.
        rundir: The run directory.
        executor: The backend: an :class:`~shardflow.run.executor.Executor` driven by the
            scheduler loop, or a :class:`~shardflow.run.executor.PlanExecutor` that takes the
            whole plan (and may return before it is done: the result is then ``detached``).
        command: The command that reruns this run; quoted in errors so users can resume.
        max_retries: Retries of infrastructure failures per task.
        raise_on_failure: Raise :class:`RunFailed` when a task failed (else return the result).
        hooks: Callbacks for progress displays (see :class:`~shardflow.run.hooks.RunHooks`).
        dry_run: Scratch directory for a dry run's sink outputs (None: a real run).
        part_rows: Tasks commit their outputs every this many input rows (None: once).
        verify: ``"size"`` or ``"checksum"``: how completed outputs are checked before reuse.
    """
    hooks = HookList([StageEvents(rundir), hooks or RunHooks()])
    started = time.time()
    rundir.fs.makedirs(rundir.url, exist_ok=True)
    rundir.add_output_options(output_dirs(plan, graph, rundir))
    with RunLock(rundir.path("lock.json"), command, rundir.storage_options), _events_flushed(rundir):
        rundir.write_json(
            "run.json",
            {"shardflow": __version__, "command": command, "started": started, "plan": plan.summary()},
        )
        rundir.append_event("run_start", pipeline=plan.name, tasks=len(plan.tasks), command=command)
        if isinstance(executor, PlanExecutor):
            # The backend first checks that no earlier run of this directory is still at work
            # (a detached Slurm run), then cleans and submits.
            outcome = executor.run_plan(
                PlanRun(plan, graph, rundir, command, max_retries, hooks, dry_run, part_rows, verify)
            )
            if outcome is None:
                return detached_result(plan, rundir, started)
        else:
            if dry_run is None:
                removed = remove_stale_writes(plan, graph, rundir)
                if removed:
                    rundir.append_event("stale_temporaries_removed", count=removed)
            outcome = Scheduler(
                plan, graph, rundir, executor, max_retries=max_retries, hooks=hooks, dry_run=dry_run,
                part_rows=part_rows, verify=verify,
                cleaner=lambda tid: remove_task_temps(plan, graph, rundir, tid),
            ).run()
        result, status = finish_run(plan, rundir, outcome, started)
        hooks.on_run_end(status)
    missing = len(plan.tasks) - len(outcome.markers)
    if missing and raise_on_failure:
        raise RunFailed(_failure_message(plan, rundir, outcome, missing, command), result)
    return result


@contextlib.contextmanager
def _events_flushed(rundir: RunDir):
    """Write the events an object store buffers, however the run ends."""
    try:
        yield
    finally:
        try:
            rundir.flush_events()
        except Exception as exc:  # noqa: BLE001 - the run's own outcome matters more
            print(f"shardflow: could not write the last events to {rundir.url}: {exc}", file=sys.stderr)


def finish_run(plan: Plan, rundir: RunDir, outcome: LoopOutcome, started: float) -> tuple[RunResult, str]:
    """Sum up a run whose loop ended: write stats.json and the ``run_end`` event.

    Returns:
        The result, and the status: ``ok``, ``failed`` or ``interrupted``.
    """
    stats = RunStats.merge(plan, outcome.markers)
    rundir.write_json("stats.json", stats.to_dict())
    result = RunResult(
        workdir=rundir.url,
        stats=stats,
        outputs=leaf_outputs(plan, outcome.markers),
        branches=branch_status(plan, outcome.markers, set(outcome.failures)),
        reused=outcome.reused,
        ran=outcome.ran,
        failures={str(t): f.message for t, f in outcome.failures.items()},
        seconds=time.time() - started,
    )
    missing = len(plan.tasks) - len(outcome.markers)
    status = "ok" if missing == 0 else "interrupted" if outcome.interrupted else "failed"
    rundir.append_event(
        "run_end", status=status, seconds=round(result.seconds, 3), ran=outcome.ran,
        reused=outcome.reused, retries=outcome.retries, failed=len(outcome.failures), missing=missing,
    )
    return result, status


def detached_result(plan: Plan, rundir: RunDir, started: float) -> RunResult:
    """The result of a run handed to its backend: what is done so far, marked ``detached``."""
    markers = rundir.completed(plan)
    return RunResult(
        workdir=rundir.url,
        stats=RunStats.merge(plan, markers),
        outputs=leaf_outputs(plan, markers),
        reused=len(markers),
        seconds=time.time() - started,
        detached=True,
    )


def _failure_message(plan: Plan, rundir: RunDir, outcome, missing: int, command: str) -> str:
    lines = []
    if outcome.interrupted:
        lines.append(f"run {plan.name!r} was interrupted: {missing} of {len(plan.tasks)} tasks are not done.")
    else:
        lines.append(f"run {plan.name!r} failed: {missing} of {len(plan.tasks)} tasks are not done.")
    for tid, failure in sorted(outcome.failures.items())[:5]:
        sp = plan.stages[tid.stage]
        lines.append(f"  task {tid} ({failure.kind}): {failure.message}")
        lines.append(f"    log: {rundir.log_path(sp, tid.shard)}")
        tb = failure.traceback.strip().splitlines()
        if tb and not _about_the_data(tb[-1]):
            lines.extend("    | " + line for line in tb[-6:])
    if len(outcome.failures) > 5:
        lines.append(f"  ... and {len(outcome.failures) - 5} more failed tasks (shardflow status {rundir.url})")
    if outcome.blocked:
        lines.append(f"  {len(outcome.blocked)} tasks were not started because a task they need failed.")
    lines.append(f"Completed work is kept. Fix the cause, then resume with:\n  {command}")
    return "\n".join(lines)


def _about_the_data(last_traceback_line: str) -> bool:
    """Whether the error is the io layer's word on bad input (``BadInputError``,
    ``SchemaMismatchError``): its message already names the file, the record and the fix,
    and the frames, all inside shardflow, would only bury it (they stay in the task log)."""
    return last_traceback_line.startswith("shardflow.io.errors.")
