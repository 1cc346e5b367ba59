"""Run one bound task inside a worker: read, push batches through the stage, commit, mark.

Order of effects, which is what makes a killed task harmless: outputs are written under
temporary names and renamed on commit; the marker, which is the only proof of completion,
is written last. A task killed at any moment leaves nothing that counts, and its rerun
overwrites whatever it had committed with the same bytes.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import os
import random
import socket
import time
from typing import Any, Iterator

import cloudpickle
import orjson
import pyarrow as pa

from shardflow.graph.stats import StepStats
from shardflow.graph.step import Filter, GlobalStep, Sink, Step
from shardflow.io import FileInfo, read_ipc, write_bytes_atomic
from shardflow.run.bound import BoundTask
from shardflow.run.push import (
    SEQ,
    LazyWriter,
    StepError,
    build_tree,
    call_step,
    checkpoint_writer,
    rejected_writer,
)
from shardflow.run.stream import concat, split_rows
from shardflow.run.tasklog import task_log

__all__ = ["StepCache", "StepError", "execute", "run_task"]

#: Rows a source emits in a dry run.
DRY_RUN_ROWS = 32


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
        return steps


def _checkpoint_batches(task: BoundTask, files: tuple[str, ...]) -> Iterator[tuple[int, pa.Table]]:
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


def _inputs(task: BoundTask) -> Iterator[tuple[int, pa.Table]]:
    """The task's input batches: concatenated in order, or merged by sequence (convergence)."""
    streams = [_checkpoint_batches(task, files) for files in task.inputs]
    if task.merge == "seq":
        # Each input is in sequence order already: a k-way merge restores the original order,
        # ties broken by input order, holding one batch per input in memory.
        keyed = ([(seq, i, t) for seq, t in stream] for i, stream in enumerate(streams))
        for seq, _, table in heapq.merge(*[iter(k) for k in keyed], key=lambda x: (x[0], x[1])):
            yield seq, table
        return
    for stream in streams:
        yield from stream


def _source_batches(task: BoundTask, source: Step, skip: int = 0) -> Iterator[tuple[int, pa.Table]]:
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
        source.stats.rows_out += table.num_rows
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


def _run_global(task: BoundTask, head: GlobalStep) -> dict[str, list[list[dict[str, Any]]]]:
    """A global step: all inputs at once, output split into the stage's partitions."""

    def inputs() -> Iterator[pa.Table]:
        for _, table in _inputs(task):
            head.stats.rows_in += table.num_rows
            yield table

    tables = call_step(head, "process_all", lambda: head.process_all(inputs()))
    whole = concat(tables) if tables else pa.table({})
    head.stats.rows_out += whole.num_rows
    paths = task.data_paths[head.name]
    parts = []
    for i, piece in enumerate(split_rows(whole, len(paths)) if whole.num_rows else [whole] * len(paths)):
        writer = checkpoint_writer(paths[i], task.storage_options)
        for j, batch in enumerate(piece.to_batches(max_chunksize=10_000)):
            writer.write(pa.Table.from_batches([batch]).append_column(SEQ, pa.array([j] * batch.num_rows, pa.int64())))
        parts.append(_manifest(writer.close()))
    return {head.name: parts}


def _manifest(infos: list[FileInfo]) -> list[dict[str, Any]]:
    return [{"path": i.path, "size": i.size, "crc32": i.crc32} for i in infos]


def _part_path(path: str, part: int) -> str:
    """A checkpoint file's name for commit part ``part`` (part 0 keeps the plain name)."""
    if not part:
        return path
    stem, dot, ext = path.rpartition(".")
    return f"{stem}-p{part:05d}{dot}{ext}"


class _Parts:
    """What the committed parts of a task hold so far, and where its input resumes.

    The progress record is rewritten after each part, atomically: a task killed at any
    moment resumes after its last recorded part and redoes at most one part of work.
    """

    def __init__(self, task: BoundTask, steps: list[Step]) -> None:
        self.task = task
        self.steps = steps
        self.part = 0
        self.rows = 0  # input rows consumed by committed parts
        self.files: dict[str, list[dict[str, Any]]] = {}
        self.side: list[dict[str, Any]] = []

    def resume(self, fs_exists) -> None:
        """Continue after the parts a previous attempt recorded (if their files are intact)."""
        try:
            with open_record(self.task) as f:
                record = orjson.loads(f.read())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return
        if record.get("stage_key") != self.task.stage_key:
            return
        entries = [e for files in record["files"].values() for e in files] + record["side"]
        if not all(fs_exists(e) for e in entries):
            return  # a damaged part: redo the task from the start
        self.part, self.rows = record["part"], record["rows"]
        self.files, self.side = record["files"], record["side"]
        for step in self.steps:
            if step.name in record["stats"]:
                step.stats = StepStats.from_dict(record["stats"][step.name])

    def commit(self, exits: dict, side: dict[str, LazyWriter], rows: int, record: bool) -> None:
        for name, node in exits.items():
            self.files.setdefault(name, []).extend(_manifest(node.files))
        for writer in side.values():
            self.side.extend(_manifest(writer.close()))
        self.part += 1
        self.rows = rows
        if record:
            data = {
                "stage_key": self.task.stage_key, "part": self.part, "rows": self.rows,
                "files": self.files, "side": self.side,
                "stats": {s.name: s.stats.to_dict() for s in self.steps},
            }
            write_bytes_atomic(self.task.progress_path, orjson.dumps(data), self.task.storage_options)


def open_record(task: BoundTask):
    from shardflow.io import filesystem

    fs, path = filesystem(task.progress_path, task.storage_options)
    return fs.open(path, "rb")


def _skip(batches: Iterator[tuple[int, pa.Table]], rows: int, head: Step) -> Iterator[tuple[int, pa.Table]]:
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
    parts = _Parts(task, steps)
    if task.part_rows:
        parts.resume(lambda e: _intact(e, task.storage_options))

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
            lambda e: checkpoint_writer(_part_path(task.data_paths[e][0], part), task.storage_options),
            sink_writer,
        )
        return roots, exits, side

    raw = _source_batches(task, head, parts.rows) if task.stage_kind == "source" else _skip(_inputs(task), parts.rows, head)
    roots, exits, side = open_part(parts.part)
    rows = parts.rows
    try:
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


def _intact(entry: dict[str, Any], storage_options: dict | None) -> bool:
    from shardflow.io import filesystem

    fs, path = filesystem(entry["path"], storage_options)
    try:
        return fs.size(path) == entry["size"]
    except FileNotFoundError:
        return False


def _remove(path: str, storage_options: dict | None) -> None:
    from shardflow.io import filesystem

    fs, stripped = filesystem(path, storage_options)
    try:
        fs.rm(stripped)
    except FileNotFoundError:
        pass


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
            "seconds": round(time.time() - started, 6),
            "started": started,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        write_bytes_atomic(task.marker_path, orjson.dumps(marker), task.storage_options)
        if task.part_rows:
            _remove(task.progress_path, task.storage_options)  # the marker supersedes it
        log.info("task %s done in %.3fs", task.id, marker["seconds"])
    return marker
