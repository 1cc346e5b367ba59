"""Binding: turn a task template of the plan into a self-contained, cheap-to-ship task.

A :class:`BoundTask` holds everything a worker needs and nothing it does not: the stage's
steps as one pickled blob (shared by every task of the stage, unpickled once per worker),
the files of its inputs, and where to put its outputs, log and marker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import cloudpickle

from shardflow.plan import Plan, TaskId

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph
    from shardflow.io import InputShard
    from shardflow.run.rundir import Marker, RunDir


@dataclass(frozen=True)
class BoundTask:
    """One task, ready to run anywhere that sees the run directory.

    Attributes:
        id: The task.
        stage_key: Content key of its stage (workers cache set-up steps by it).
        stage_kind: ``source``, ``shard`` or ``global``.
        steps_blob: cloudpickle of the stage's steps, in order.
        source_shard: The input shard, for a source stage.
        inputs: For each input partition, its files (from the upstream markers).
        input_sources: For each input partition, which of the stage's inputs it comes from
            (an index into the stage's ``inputs``), so a join can tell its sides apart.
        side_inputs: How many of the first ``inputs`` are broadcast side inputs (a drop
            list): read before the data, and not counted as input rows of committed parts.
        data_paths: Per checkpoint exit, where each of its output partitions goes.
        parents: For each step, its parent's name in the stage (None for the head).
        exits: The stage's exits.
        merge: ``concat`` or ``seq`` (a convergence).
        input_bytes: Stored size of what it reads (its shard, or its input files).
        dry_run: Scratch directory that sinks write to instead of their own paths, with
            sources reading one small batch (None for a real run).
        part_rows: Commit the outputs every this many input rows, with a progress record,
            so a killed task resumes from its last part (None: one part per task).
        progress_path: Where the progress record of committed parts goes.
        marker_path: Where the completion marker goes.
        log_path: Where the task's log goes.
        storage_options: fsspec options for the run directory.
        attempt: 1 for the first try, 2 for the first retry, ...
        resources: cpus, gpus and memory of the stage.
    """

    id: TaskId
    stage_key: str
    stage_kind: str
    steps_blob: bytes
    source_shard: "InputShard | None"
    inputs: tuple[tuple[str, ...], ...]
    input_sources: tuple[int, ...]
    data_paths: dict[str, tuple[str, ...]]
    parents: tuple[str | None, ...]
    exits: tuple[str, ...]
    merge: str
    marker_path: str
    log_path: str
    storage_options: dict | None
    attempt: int = 1
    resources: dict[str, Any] | None = None
    dry_run: str | None = None
    part_rows: int | None = None
    progress_path: str = ""
    input_bytes: int = 0
    side_inputs: int = 0

    def retry(self) -> "BoundTask":
        return replace(self, attempt=self.attempt + 1)


class Binder:
    """Binds the plan's tasks; pickles each stage's steps once."""

    def __init__(
        self, plan: Plan, graph: "Graph", rundir: "RunDir", dry_run: str | None = None, part_rows: int | None = None
    ) -> None:
        self.plan = plan
        self.rundir = rundir
        self.dry_run = dry_run
        self.part_rows = part_rows
        self._blobs = {
            sid: cloudpickle.dumps([graph.step(n) for n in sp.stage.steps])
            for sid, sp in plan.stages.items()
        }

    def bind(self, tid: TaskId, markers: dict[TaskId, "Marker"]) -> BoundTask:
        """Bind ``tid``; ``markers`` must hold the marker of every task it depends on."""
        sp = self.plan.stages[tid.stage]
        spec = self.plan.tasks[tid]
        files = [markers[ref.task].outputs[ref.exit][ref.part] for ref in spec.inputs]
        inputs = tuple(tuple(f["path"] for f in part) for part in files)
        origin = {key: i for i, key in enumerate(sp.stage.inputs)}
        input_sources = tuple(origin.get((ref.task.stage, ref.exit), 0) for ref in spec.inputs)
        shards = self.plan.source_shards.get(tid.stage)
        return BoundTask(
            id=tid,
            stage_key=sp.key,
            stage_kind=sp.stage.kind,
            steps_blob=self._blobs[tid.stage],
            source_shard=shards[tid.shard] if shards is not None else None,
            inputs=inputs,
            input_sources=input_sources,
            data_paths={
                e: tuple(self.rundir.data_path(sp, e, tid.shard, p) for p in range(sp.n_parts))
                for e in sp.stage.exits if e not in sp.stage.sinks
            },
            parents=sp.stage.parents,
            exits=sp.stage.exits,
            merge=sp.stage.merge,
            dry_run=self.dry_run,
            marker_path=self.rundir.marker_path(sp, tid.shard),
            log_path=self.rundir.log_path(sp, tid.shard),
            storage_options=self.rundir.storage_options,
            resources={"cpus": sp.stage.cpus, "gpus": sp.stage.gpus, "memory": sp.stage.memory, "time": sp.stage.time},
            part_rows=None if self.dry_run else self.part_rows,
            progress_path=self.rundir.progress_path(sp, tid.shard),
            input_bytes=shards[tid.shard].nbytes if shards is not None else sum(f["size"] for part in files for f in part),
            side_inputs=sum(1 for ref in spec.inputs if self.plan.stages[ref.task.stage].stage.broadcast),
        )
