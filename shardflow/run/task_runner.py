"""Run one bound task inside a worker: read, run the fused steps, commit, write the marker.

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
import time
import traceback
from typing import Any, Iterator

import cloudpickle
import orjson
import pyarrow as pa

from shardflow.graph.stats import StepStats
from shardflow.graph.step import Sink, Step, Writer
from shardflow.io import FileInfo, IpcWriter, read_ipc, write_bytes_atomic
from shardflow.run.bound import BoundTask
from shardflow.run.executor import STEP, TaskFailure
from shardflow.run.stream import apply, as_tables, concat, counted_source, rebatch, split_rows
from shardflow.run.tasklog import task_log


class StepError(Exception):
    """An error raised by a step's own code; carries the step name and traceback text."""

    def __init__(self, step: str, phase: str, exc: BaseException) -> None:
        self.step = step
        self.phase = phase
        self.cause = f"{type(exc).__name__}: {exc}"
        self.traceback = "".join(traceback.format_exception(exc))
        super().__init__(f"step {step!r} failed in {phase}: {self.cause}")

    def __reduce__(self):
        # Keep the formatted fields when the error crosses a process boundary.
        return (_rebuild_step_error, (self.step, self.phase, self.cause, self.traceback))


def _rebuild_step_error(step: str, phase: str, cause: str, tb: str) -> StepError:
    err = StepError.__new__(StepError)
    err.step, err.phase, err.cause, err.traceback = step, phase, cause, tb
    Exception.__init__(err, f"step {step!r} failed in {phase}: {cause}")
    return err


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


def _read_inputs(task: BoundTask) -> Iterator[pa.Table]:
    for files in task.inputs:
        for path in files:
            yield from read_ipc(path, storage_options=task.storage_options)


def _guarded(step: Step, phase: str, stream: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Re-raise any error of the step's code as a :class:`StepError` naming the step."""
    try:
        yield from stream
    except StepError:
        raise
    except Exception as exc:
        raise StepError(step.name, phase, exc) from exc


def _write(writer_factory, stream: Iterator[pa.Table], stats: StepStats | None = None) -> tuple[list[FileInfo], int]:
    """Write ``stream`` through a writer opened at the first row; commit or abort it.

    The time spent in the writer itself (not in producing the stream) is added to ``stats``.
    """
    writer: Writer | None = None
    rows = 0
    spent = 0.0
    try:
        for table in stream:
            t0 = time.perf_counter()
            if writer is None:
                writer = writer_factory()
            writer.write(table)
            spent += time.perf_counter() - t0
            rows += table.num_rows
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is None:
        return [], 0
    t0 = time.perf_counter()
    info = writer.close()
    spent += time.perf_counter() - t0
    if stats is not None:
        stats.seconds += spent
    infos = info if isinstance(info, list) else [info] if info is not None else []
    return infos, rows


def _manifest(infos: list[FileInfo]) -> list[dict[str, Any]]:
    return [{"path": i.path, "size": i.size} for i in infos]


def execute(task: BoundTask, steps: list[Step]) -> list[list[dict[str, Any]]]:
    """Run the stage's steps for ``task``; return the manifest of each output partition."""
    head = steps[0]
    body = steps[1:] if task.stage_kind in ("source", "global") else steps
    sink = body[-1] if body and isinstance(body[-1], Sink) else None
    transforms = body[:-1] if sink else body

    if task.stage_kind == "source":
        stream = _guarded(head, "read", counted_source(head, head.read(task.source_shard)))
    elif task.stage_kind == "global":
        def inputs() -> Iterator[pa.Table]:
            for t in _read_inputs(task):
                head.stats.rows_in += t.num_rows
                yield t
        t0 = time.perf_counter()
        out = list(as_tables(_guarded(head, "process_all", as_tables(head.process_all(inputs())))))
        head.stats.seconds += time.perf_counter() - t0
        whole = concat(out) if out else pa.table({})
        head.stats.rows_out += whole.num_rows
        stream = iter([whole] if whole.num_rows else [])
    else:
        stream = _read_inputs(task)

    for step in transforms:
        if step.options.batch_size:
            stream = rebatch(stream, step.options.batch_size)
        stream = _guarded(step, "process", apply(step, stream))

    if sink is not None:
        def counted(s: Iterator[pa.Table]) -> Iterator[pa.Table]:
            for t in s:
                sink.stats.rows_in += t.num_rows
                yield t
        infos, rows = _write(lambda: sink.open_writer(task.id.shard), _guarded(sink, "write", counted(stream)), sink.stats)
        sink.stats.rows_out += rows
        return [_manifest(infos)]

    n_parts = len(task.data_paths)
    if n_parts == 1:
        infos, _ = _write(lambda: IpcWriter(task.data_paths[0], storage_options=task.storage_options), stream)
        return [_manifest(infos)]
    tables = list(stream)
    whole = concat(tables) if tables else pa.table({})
    parts = []
    for i, piece in enumerate(split_rows(whole, n_parts)):
        path = task.data_paths[i]
        infos, _ = _write(lambda p=path: IpcWriter(p, storage_options=task.storage_options), iter([piece] if piece.num_rows else []))
        parts.append(_manifest(infos))
    return parts


def run_task(task: BoundTask, cache: StepCache, randomize_start: float = 0.0) -> dict[str, Any]:
    """Run ``task`` to completion and write its marker; return the marker's content."""
    if randomize_start > 0:
        # Spread the start of many tasks so they do not hit storage all at once.
        time.sleep(random.uniform(0, randomize_start))
    started = time.time()
    with task_log(task.log_path) as log:
        log.info("task %s attempt %d started on %s pid %d", task.id, task.attempt, socket.gethostname(), os.getpid())
        try:
            steps = cache.steps_for(task)
            parts = execute(task, steps)
        except BaseException:
            log.exception("task %s attempt %d failed", task.id, task.attempt)
            raise
        marker = {
            "task": str(task.id),
            "stage_key": task.stage_key,
            "attempt": task.attempt,
            "parts": parts,
            "stats": {s.name: s.stats.to_dict() for s in steps},
            "seconds": round(time.time() - started, 6),
            "started": started,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        write_bytes_atomic(task.marker_path, orjson.dumps(marker), task.storage_options)
        log.info("task %s done in %.3fs", task.id, marker["seconds"])
    return marker


def run_task_reported(
    task: BoundTask, cache: StepCache, randomize_start: float = 0.0
) -> tuple[dict[str, Any] | None, TaskFailure | None]:
    """Run ``task`` in a worker; return ``(marker, None)`` or ``(None, failure)``, never raise.

    Every error raised while running the task is the task's own (its steps, its inputs or
    outputs) and is reported as a :data:`~shardflow.run.executor.STEP` failure with its
    traceback; infrastructure failures are what the executor sees when no answer comes back.
    """
    try:
        return run_task(task, cache, randomize_start), None
    except StepError as exc:
        return None, TaskFailure(STEP, str(exc), exc.traceback, exc.step)
    except BaseException as exc:  # noqa: BLE001 - reported to the driver, never lost
        return None, TaskFailure(STEP, f"{type(exc).__name__}: {exc}", traceback.format_exc())
