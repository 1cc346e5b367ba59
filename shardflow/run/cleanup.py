"""Remove what killed writers left behind, before a run starts writing.

A writer killed before its commit leaves a hidden ``.tmp-*`` file next to where its output
would have gone (on an object store: an incomplete multipart upload, see
``shardflow.io.objectstore``). Nothing reads those (readers skip them), but they waste space and confuse
whoever lists the directory. At the start of a run, while holding the run directory's lock
and before any task starts, no live writer of this run can own one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shardflow.graph.step import Filter, Sink
from shardflow.io import remove_stale_temps
from shardflow.plan import Plan, TaskId
from shardflow.run.rundir import RunDir

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph


def output_dirs(plan: Plan, graph: "Graph", rundir: RunDir, stage: str | None = None) -> list[tuple[str, dict | None]]:
    """Every directory the run's tasks (or one stage's tasks) write to, with storage options."""
    dirs: list[tuple[str, dict | None]] = []
    for sp in plan.stages.values():
        if stage is not None and sp.id != stage:
            continue
        dirs.append((rundir.stage_dir(sp), rundir.storage_options))
        for name in sp.stage.steps:
            step = graph.step(name)
            if isinstance(step, Sink):
                dirs.append((step.path, getattr(step, "storage_options", None)))
            if isinstance(step, Filter) and step.rejected:
                # Rejected rows are written with the run directory's options (see push.py).
                dirs.append((step.rejected, rundir.storage_options))
    return dirs


def remove_stale_writes(plan: Plan, graph: "Graph", rundir: RunDir) -> int:
    """Delete temporary files of killed writers in every output directory; return how many."""
    return sum(remove_stale_temps(path, options) for path, options in output_dirs(plan, graph, rundir))


def remove_task_temps(plan: Plan, graph: "Graph", rundir: RunDir, task: TaskId) -> int:
    """Delete what a failed attempt of ``task`` left uncommitted, before it is retried.

    Only that task writes files named after its shard, and its retry has not started, so
    the temporaries of its shard in its stage's directories are all dead.
    """
    prefix = f"{task.shard:05d}"
    return sum(
        remove_stale_temps(path, options, target_prefix=prefix)
        for path, options in output_dirs(plan, graph, rundir, stage=task.stage)
    )
