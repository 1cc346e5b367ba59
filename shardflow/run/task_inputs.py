"""Where a task's batches come from: its source, or its inputs' checkpoints, numbered.

Each batch carries its sequence number within the shard. Checkpoints store it in a hidden
column; a convergence merges its inputs by it, restoring the order a router broke up.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Iterator

import pyarrow as pa

from shardflow.graph.step import Step
from shardflow.io import read_ipc
from shardflow.run.bound import BoundTask
from shardflow.run.push import SEQ, call_step
from shardflow.run.stream import emitted

#: Rows a source emits in a dry run.
DRY_RUN_ROWS = 32


def checkpoint_batches(task: BoundTask, files: tuple[str, ...]) -> Iterator[tuple[int, pa.Table]]:
    """Batches of one input partition with their sequence numbers."""
    counter = itertools.count()
    for path in files:
        for table in read_ipc(path, storage_options=task.storage_options):
            if SEQ in table.column_names:
                seq = table.column(SEQ)[0].as_py()
                table = table.drop_columns([SEQ])
            else:
                seq = next(counter)
            yield seq, table


def side_input_batches(task: BoundTask) -> Iterator[tuple[int, pa.Table]]:
    """The task's broadcast side inputs (a drop list), which come before its data."""
    for files in task.inputs[:task.side_inputs]:
        yield from checkpoint_batches(task, files)


def input_batches(task: BoundTask) -> Iterator[tuple[int, pa.Table]]:
    """The task's input batches: concatenated in order, or merged by sequence (convergence).

    Broadcast side inputs are left out: see :func:`side_input_batches`.
    """
    streams = [checkpoint_batches(task, files) for files in task.inputs[task.side_inputs:]]
    if task.merge == "seq":
        # Each input is in sequence order already: a k-way merge restores the original order,
        # ties broken by input order, holding one batch per input in memory.
        tagged = [_tagged(i, stream) for i, stream in enumerate(streams)]
        for seq, _, table in heapq.merge(*tagged, key=lambda x: (x[0], x[1])):
            yield seq, table
        return
    for stream in streams:
        yield from stream


def inputs_by_source(task: BoundTask, count: int) -> list[Iterator[pa.Table]]:
    """The task's input tables split by which of the stage's ``count`` inputs they come from."""

    def one(source: int) -> Iterator[pa.Table]:
        for files, origin in zip(task.inputs, task.input_sources):
            if origin == source:
                for _, table in checkpoint_batches(task, files):
                    yield table

    return [one(i) for i in range(count)]


def _tagged(index: int, stream: Iterator[tuple[int, pa.Table]]) -> Iterator[tuple[int, int, pa.Table]]:
    for seq, table in stream:
        yield seq, index, table


def source_batches(task: BoundTask, source: Step, skip: int = 0) -> Iterator[tuple[int, pa.Table]]:
    """The source's batches, numbered; the first ``skip`` rows (committed before) are dropped."""
    seq = 0
    rows = 0
    if skip:
        source.stats.count("resume_skipped_rows", skip)
    for table in call_step_iter(source, "read", source.read(task.source_shard)):
        if skip:
            if skip >= table.num_rows:
                skip -= table.num_rows
                seq += 1
                continue
            table, skip = table.slice(skip), 0
        if task.dry_run is not None:
            table = table.slice(0, DRY_RUN_ROWS - rows)
        emitted(source.stats, table)  # rows and the length histogram of what was read
        rows += table.num_rows
        yield seq, table
        seq += 1
        if task.dry_run is not None and rows >= DRY_RUN_ROWS:
            return


def call_step_iter(step: Step, phase: str, iterator) -> Iterator[pa.Table]:
    """Iterate a step's generator, timing it and naming the step in its errors."""
    it = iter(iterator)
    while True:
        out = call_step(step, phase, lambda: [next(it, None)])
        if not out:
            return
        yield from out


def skip_rows(batches: Iterator[tuple[int, pa.Table]], rows: int, head: Step) -> Iterator[tuple[int, pa.Table]]:
    """Drop the first ``rows`` input rows (already committed by earlier parts)."""
    if rows:
        head.stats.count("resume_skipped_rows", rows)
    for seq, table in batches:
        if rows >= table.num_rows:
            rows -= table.num_rows
            continue
        if rows:
            table, rows = table.slice(rows), 0
        yield seq, table
