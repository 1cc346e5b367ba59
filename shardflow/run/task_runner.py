"""Run one bound task inside a worker: read, push batches through the stage, commit, mark.

Order of effects, which is what makes a killed task harmless: outputs are written under
temporary names and renamed on commit; the marker, which is the only proof of completion,
is written last. A task killed at any moment leaves nothing that counts, and its rerun
overwrites whatever it had committed with the same bytes.
"""

from __future__ import annotations

import copy
import os
import random
import socket
import tempfile
import time
from typing import Any, Iterator

import cloudpickle
import orjson
import pyarrow as pa

from shardflow.graph.stats import StepStats
from shardflow.graph.step import Filter, GlobalStep, Sink, Step
from shardflow.io import IpcWriter, read_ipc, write_bytes_atomic
from shardflow.run.bound import BoundTask
from shardflow.run.executor import TaskFailure, failure_from
from shardflow.run.push import (
    SEQ,
    LazyWriter,
    StepError,
    build_tree,
    call_step,
    checkpoint_writer,
    rejected_writer,
)
from shardflow.run.parts import Parts, intact, manifest, part_path, remove_file
from shardflow.run.stream import as_tables
from shardflow.run.task_inputs import (
    call_step_iter,
    input_batches,
    inputs_by_source,
    side_input_batches,
    skip_rows,
    source_batches,
)
from shardflow.run.tasklog import task_log

__all__ = ["StepCache", "StepError", "execute", "run_task", "run_task_reported"]


class StepCache:
    """The steps of each stage, unpickled and set up once per worker process.

    Each task gets shallow copies: state a step builds in ``setup()`` (a model) is shared,
    while attributes a task rebinds stay private to that task.
    """

    def __init__(self) -> None:
        self._stages: dict[str, list[Step]] = {}

    def steps_for(self, task: BoundTask) -> list[Step]:
        template = self._stages.get(task.stage_key)
        if template is None:
            template = cloudpickle.loads(task.steps_blob)
            for step in template:
                try:
                    step.setup()
                except Exception as exc:
                    raise StepError(step.name, "setup", exc) from exc
            self._stages[task.stage_key] = template
        steps = [copy.copy(s) for s in template]
        for step in steps:
            step.stats = StepStats(tasks=1)
            step.shard = task.id.shard
        return steps


def _run_global(task: BoundTask, head: GlobalStep) -> dict[str, list[list[dict[str, Any]]]]:
    """A global step: all inputs at once, output split into the stage's partitions.

    The output streams to a scratch file on the local disk as the step yields it, and is
    then cut into partitions of near-equal row counts, batch by batch: the task holds one
    batch, not the whole output (an exact dedup of 600 MB of text held 1 GB before).
    """

    def counted(stream: Iterator[pa.Table]) -> Iterator[pa.Table]:
        for table in stream:
            head.stats.rows_in += table.num_rows
            yield table

    count = max(task.input_sources, default=0) + 1
    sides = [counted(s) for s in inputs_by_source(task, count)]
    paths = task.data_paths[head.name]

    def output() -> Iterator[pa.Table]:  # called, timed and its errors named by call_step_iter
        yield from as_tables(head.process_inputs(sides))

    with tempfile.TemporaryDirectory(prefix="shardflow-global-") as scratch:
        spill = IpcWriter(os.path.join(scratch, "output.arrow"), fsync=False)
        try:
            for table in call_step_iter(head, "process_all", output()):
                spill.write(table)
            spilled = spill.close()
        except BaseException:
            spill.abort()
            raise
        head.stats.rows_out += spill.rows
        bounds = [spill.rows * i // len(paths) for i in range(len(paths) + 1)]
        return {head.name: _split(read_ipc(spilled.path, memory_map=False), bounds, paths, task.storage_options)}


def _split(tables: Iterator[pa.Table], bounds: list[int], paths, storage_options) -> list[list[dict[str, Any]]]:
    """Write rows ``bounds[i]:bounds[i + 1]`` of the stream to checkpoint ``paths[i]``, in
    numbered batches of at most 10,000 rows; return each partition's manifest."""
    writers = [checkpoint_writer(p, storage_options) for p in paths]
    seqs = [0] * len(paths)
    part, at = 0, 0  # the partition being filled, and the stream's row index
    try:
        for table in tables:
            while table.num_rows:
                while at >= bounds[part + 1]:
                    part += 1
                piece, table = table.slice(0, bounds[part + 1] - at), table.slice(bounds[part + 1] - at)
                at += piece.num_rows
                for batch in piece.to_batches(max_chunksize=10_000):
                    seq = pa.repeat(pa.scalar(seqs[part], pa.int64()), batch.num_rows)
                    writers[part].write(pa.Table.from_batches([batch]).append_column(SEQ, seq))
                    seqs[part] += 1
        return [manifest(w.close()) for w in writers]
    except BaseException:
        for w in writers:
            w.abort()
        raise


def execute(task: BoundTask, steps: list[Step]) -> tuple[dict[str, list], list[dict[str, Any]]]:
    """Run the stage's steps for ``task``; return per-exit manifests and side outputs.

    With ``task.part_rows``, outputs are committed every that many input rows (at a batch
    boundary, so the cut is the same in every attempt) and a progress record is written;
    ``finish()`` of each step then runs at the end of every part.
    """
    head = steps[0]
    if isinstance(head, GlobalStep):
        return _run_global(task, head), []
    by_name = {s.name: s for s in steps}
    parts = Parts(task, steps)
    if task.part_rows:
        parts.resume(lambda e: intact(e, task.storage_options))

    def open_part(part: int):
        side: dict[str, LazyWriter] = {}
        for step in steps:
            if isinstance(step, Filter) and step.rejected:
                directory = f"{task.dry_run}/{step.name}.rejected" if task.dry_run else step.rejected
                side[step.name] = step.rejected_writer = rejected_writer(directory, task.id.shard, part, task.storage_options)

        def sink_writer(sink: Sink) -> LazyWriter:
            if task.dry_run is not None:
                sink.path = f"{task.dry_run}/{sink.name}"  # a per-task copy: safe to change
            return LazyWriter(lambda: sink.open_writer(task.id.shard, part))

        roots, exits = build_tree(
            by_name, task.parents, task.exits, {},
            lambda e: checkpoint_writer(part_path(task.data_paths[e][0], part), task.storage_options),
            sink_writer,
        )
        return roots, exits, side

    raw = source_batches(task, head, parts.rows) if task.stage_kind == "source" else skip_rows(input_batches(task), parts.rows, head)
    roots, exits, side = open_part(parts.part)
    rows = parts.rows
    try:
        # Side inputs first, in every attempt and outside the row count: a task resumed
        # after a committed part skips rows of its data, never its drop list.
        for seq, table in side_input_batches(task):
            for node in roots:
                node.push(table, seq)
        for seq, table in raw:
            for node in roots:
                node.push(table, seq)
            rows += table.num_rows
            if task.part_rows and rows >= (parts.part + 1) * task.part_rows:
                for node in roots:
                    node.finish()
                parts.commit(exits, side, rows, record=True)
                roots, exits, side = open_part(parts.part)
        for node in roots:
            node.finish()
        parts.commit(exits, side, rows, record=False)
    except BaseException:
        for node in exits.values():
            node.writer.abort()
        for writer in side.values():
            writer.abort()
        raise
    outputs = {name: [parts.files.get(name, [])] for name in task.exits}
    return outputs, parts.side


def run_task(task: BoundTask, cache: StepCache, randomize_start: float = 0.0) -> dict[str, Any]:
    """Run ``task`` to completion and write its marker; return the marker's content."""
    if randomize_start > 0:
        # Spread the start of many tasks so they do not hit storage all at once.
        time.sleep(random.uniform(0, randomize_start))
    started = time.time()
    with task_log(task.log_path, task.storage_options) as log:
        log.info("task %s attempt %d started on %s pid %d", task.id, task.attempt, socket.gethostname(), os.getpid())
        try:
            steps = cache.steps_for(task)
            outputs, side = execute(task, steps)
        except BaseException:
            log.exception("task %s attempt %d failed", task.id, task.attempt)
            raise
        marker = {
            "task": str(task.id),
            "stage_key": task.stage_key,
            "attempt": task.attempt,
            "outputs": outputs,
            "side": side,
            "stats": {s.name: s.stats.to_dict() for s in steps},
            # Bytes read (its shard or input files, as stored) and written, for throughput displays.
            "bytes_in": task.input_bytes,
            "bytes_out": sum(f["size"] for parts in outputs.values() for part in parts for f in part),
            "seconds": round(time.time() - started, 6),
            "started": started,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        # No fsync: the outputs the marker lists were fsynced when they were committed, so
        # a marker that survives a power cut vouches for durable files; one that is lost,
        # or torn (read_marker rejects it), only makes the task run again, and a rerun
        # writes the same bytes. The two fsyncs were half of the time of a small task.
        write_bytes_atomic(task.marker_path, orjson.dumps(marker), task.storage_options, fsync=False)
        if task.part_rows:
            remove_file(task.progress_path, task.storage_options)  # the marker supersedes it
        log.info("task %s done in %.3fs", task.id, marker["seconds"])
    return marker


def run_task_reported(
    task: BoundTask, cache: StepCache, randomize_start: float = 0.0
) -> tuple[dict[str, Any] | None, TaskFailure | None]:
    """Run ``task`` in a worker; return ``(marker, None)`` or ``(None, failure)``, never raise.

    An error raised while running the task is the task's own (its steps, its inputs or
    outputs) and is reported as a :data:`~shardflow.run.executor.STEP` failure with its
    traceback, except a storage failure that may pass by itself (a restarting or throttling
    server), which is :data:`~shardflow.run.executor.INFRA` and retried (see
    :func:`~shardflow.run.executor.failure_from`). Other infrastructure failures are what
    the executor sees when no answer comes back.
    """
    try:
        return run_task(task, cache, randomize_start), None
    except BaseException as exc:  # noqa: BLE001 - reported to the driver, never lost
        return None, failure_from(exc)
