"""The step: the unit a user writes and wires with ``>>``.

A step is a small class with one method to write. The kinds, by what they implement:

* :class:`Source` — ``list_shards(n)`` at plan time, ``read(shard)`` at run time;
* :class:`Transform` — ``process(batch)``; :class:`Filter` (``filter(row)``) and
  :class:`Mapper` (``map(row)``) are row-wise helpers on top of it;
* :class:`GlobalStep` — ``process_all(batches)``: sees every shard of its input at once;
* :class:`Sink` — ``open_writer(shard, part)``: writes one shard's batches to files.

Every step takes the same keyword options (resources, failure policy, batching); they are
collected in :class:`StepOptions`. Steps are created inside ``with Pipeline(...)``, which
registers them; ``a >> b`` adds an edge. The engine (``run/``) calls the methods; steps never
see executors.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.graph.composite import Composite
from shardflow.graph.context import current_graph

if TYPE_CHECKING:
    from shardflow.graph.stats import StepStats
    from shardflow.io import FileInfo, InputShard


ON_FAILURE = ("fail_fast", "continue")


@dataclass(frozen=True)
class StepOptions:
    """Options every step accepts as keyword arguments.

    Args:
        cpus: CPU cores one task of this step needs.
        gpus: GPUs one task of this step needs.
        memory: Memory limit of one task, in bytes (None: no limit).
        time: Wall-clock limit of one task of this step, in seconds (None: no limit); a
            task over it is stopped and retried like an infrastructure failure.
        on_failure: ``"fail_fast"`` stops the run on an error in this step's code;
            ``"continue"`` lets other branches finish and reports this one.
        retries: How often a task that failed in this step's code is retried.
        retry_backoff: Seconds before the first retry; doubled at each further one.
        batch_size: Rows per batch this step receives (None: as the upstream emits them).
        checkpoint: Materialize this step's output in the run directory, ending the stage.
        fuse: On a branch point: stream each batch to all branches in one pass, with no
            checkpoint (default False: the output is checkpointed once and each branch is an
            independent stage that runs, fails, retries and reruns alone).
    """

    cpus: float = 1
    gpus: float = 0
    memory: int | None = None
    time: float | None = None
    on_failure: str = "fail_fast"
    retries: int = 0
    retry_backoff: float = 1.0
    batch_size: int | None = None
    checkpoint: bool = False
    fuse: bool = False

    def __post_init__(self) -> None:
        if self.on_failure not in ON_FAILURE:
            raise ValueError(
                f"on_failure={self.on_failure!r} is not a policy; use one of {ON_FAILURE}"
            )
        if self.retries < 0:
            raise ValueError(f"retries={self.retries} must be >= 0")
        if self.batch_size is not None and self.batch_size <= 0:
            raise ValueError(f"batch_size={self.batch_size} must be a positive number of rows")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Step:
    """Base of every step. Subclasses call ``super().__init__(**options)``.

    Attributes:
        name: Unique name in the pipeline; used in stats, the run directory and errors.
        options: The :class:`StepOptions` of this step.
        stats: The :class:`StepStats` of the task being run (set by the engine).
        shard: The shard index of the task being run (set by the engine; None at plan time).
            Steps that number their rows, such as dedup signatures, key them by it.
    """

    kind: ClassVar[str] = "transform"
    default_name: ClassVar[str | None] = None
    shard: int | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> "Step":
        step = super().__new__(cls)
        # Registering here, not in __init__, means a subclass that forgets super().__init__()
        # is still part of the graph, and validation can name it.
        graph = current_graph()
        if graph is not None:
            graph.add_step(step)
        return step

    def __init__(self, *, name: str | None = None, **options: Any) -> None:
        self.name = name or self.default_name or _snake(type(self).__name__)
        self._explicit_name = name is not None
        self.options = StepOptions(**options)
        self.stats: StepStats | None = None

    # -- lifecycle, called by the engine ---------------------------------------------------
    def setup(self) -> None:
        """Load expensive state (a model, a tokenizer). Runs once per worker process."""

    # -- wiring ------------------------------------------------------------------------------
    def __rshift__(self, other: "Step | Sequence[Step]") -> Any:
        graph = _graph_of(self)
        targets = list(other) if isinstance(other, (list, tuple)) else [other]
        for target in targets:
            if isinstance(target, Composite):
                target.attach(self)  # it connects this step to each of its steps that reads it
                continue
            if not isinstance(target, Step):
                raise TypeError(
                    f"cannot connect {self.name!r} to {target!r}: the right side of >> must be "
                    "a step or a list of steps"
                )
            graph.add_edge(self, target)
        return other

    def __rrshift__(self, other: Sequence["Step"]) -> "Step":
        sources = list(other) if isinstance(other, (list, tuple)) else [other]
        for source in sources:
            if isinstance(source, Composite):
                source = source.output
            if not isinstance(source, Step):
                raise TypeError(
                    f"cannot connect {source!r} to {self.name!r}: the left side of >> must be "
                    "a step or a list of steps"
                )
            _graph_of(self).add_edge(source, self)
        return self

    # -- identity ----------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """What defines this step's output, for the stage key. Default: its public attributes."""
        return {
            k: v
            for k, v in vars(self).items()
            if not k.startswith("_") and k not in ("stats", "name")
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'name', '?')!r}>"


def _graph_of(step: Step):
    graph = getattr(step, "_graph", None) or current_graph()
    if graph is None:
        raise RuntimeError(
            f"step {step!r} is not part of a pipeline: create steps inside "
            "`with shardflow.Pipeline('name') as p:` before connecting them with >>"
        )
    return graph


class Source(Step):
    """A step that reads data: the root of a pipeline."""

    kind: ClassVar[str] = "source"

    def list_shards(self, n: int | None) -> list["InputShard"]:
        """Split the input into about ``n`` shards (None: one per input file). Plan time."""
        raise NotImplementedError(f"{type(self).__name__} must implement list_shards(n)")

    def read(self, shard: "InputShard") -> Iterator[pa.Table]:
        """Yield the batches of one shard."""
        raise NotImplementedError(f"{type(self).__name__} must implement read(shard)")


class Transform(Step):
    """A step that turns each batch into zero or more batches, shard by shard."""

    kind: ClassVar[str] = "transform"

    def process(self, batch: pa.Table) -> pa.Table | Iterable[pa.Table] | None:
        """Return the transformed batch (or several, or None for none)."""
        raise NotImplementedError(f"{type(self).__name__} must implement process(batch)")

    def finish(self) -> pa.Table | Iterable[pa.Table] | None:
        """Flush what the step held back when the shard ends (default: nothing)."""
        return None


class Filter(Transform):
    """Keep the rows for which :meth:`filter` is true; count the others by reason.

    Write ``filter(row)`` returning a bool, or ``(False, "reason")`` to name why a row is
    dropped; or, for columnar speed, override :meth:`filter_batch`. Dropped rows are counted
    in stats under their reason (default: the step's name).

    Args:
        rejected: A directory to write the dropped rows to, with a ``reject_reason``
            column (``<rejected>/<shard:05d>.jsonl.gz``, committed with the task's outputs).
    """

    REASON_COLUMN = "reject_reason"

    def __init__(self, *, rejected: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.rejected = str(rejected).rstrip("/") if rejected else None
        self.rejected_writer: Writer | None = None  # set by the engine for each task

    def filter(self, row: dict[str, Any]) -> bool | tuple[bool, str]:
        raise NotImplementedError(f"{type(self).__name__} must implement filter(row) or filter_batch(batch)")

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool] | pa.Array, Sequence[str | None] | None]:
        """Decide for every row of ``batch``: a keep mask, and a reason per dropped row.

        Returns:
            ``(keep, reasons)``: ``keep`` is a list or boolean array; ``reasons`` a list with
            a reason (or None: the step's name) for each row, or None for "all the step's name".
        """
        keep: list[bool] = []
        reasons: list[str | None] = []
        for row in batch.to_pylist():
            verdict = self.filter(row)
            ok, reason = verdict if isinstance(verdict, tuple) else (verdict, None)
            keep.append(bool(ok))
            reasons.append(None if ok else reason)
        return keep, reasons

    def process(self, batch: pa.Table) -> pa.Table:
        # Columnar from the verdicts on: a few Arrow/numpy calls per batch and a loop over the
        # distinct reasons; only the rejected rows' reason column (when asked for) is per row.
        keep, reasons = self.filter_batch(batch)
        mask = keep if isinstance(keep, (pa.Array, pa.ChunkedArray)) else pa.array(keep, type=pa.bool_())
        if isinstance(mask, pa.ChunkedArray):
            mask = mask.combine_chunks() if mask.num_chunks != 1 else mask.chunk(0)
        if mask.null_count:
            mask = pc.fill_null(mask, False)  # a null verdict drops the row, as a falsy one does
        if mask.true_count == len(mask):
            return batch
        if reasons is not None and len(reasons) != len(mask):
            raise ValueError(
                f"step {self.name!r}: filter_batch returned {len(reasons)} reasons for {len(mask)} rows; "
                "return one reason (or None) per row"
            )
        counts: Counter = Counter()
        if reasons is None:
            given = None
            counts[self.name] = len(mask) - mask.true_count
        else:
            dropped_rows = np.flatnonzero(~mask.to_numpy(zero_copy_only=False))
            if isinstance(reasons, (pa.Array, pa.ChunkedArray)):
                given = reasons.take(dropped_rows).to_pylist()
            else:
                given = np.asarray(reasons, dtype=object)[dropped_rows].tolist()
            for reason, count in Counter(given).items():  # counted in C, renamed per reason
                counts[str(reason or self.name)] += count  # None, "": the step
        for reason, count in counts.items():
            self.stats.drop(reason, count)
        if self.rejected_writer is not None:
            n = len(mask) - mask.true_count
            why = [self.name] * n if given is None else [str(r or self.name) for r in given]
            dropped = batch.filter(pc.invert(mask))
            self.rejected_writer.write(dropped.append_column(self.REASON_COLUMN, pa.array(why, pa.string())))
        return batch.filter(mask)


class Mapper(Transform):
    """Replace each row by ``map(row)``; a row mapped to None is dropped and counted."""

    def map(self, row: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError(f"{type(self).__name__} must implement map(row)")

    def process(self, batch: pa.Table) -> pa.Table | None:
        rows = []
        for row in batch.to_pylist():
            out = self.map(row)
            if out is None:
                self.stats.drop(f"{self.name}:mapped_to_none")
            else:
                rows.append(out)
        return pa.Table.from_pylist(rows) if rows else None


class GlobalStep(Step):
    """A step that needs every shard of its input at once (sort, global dedup, sample).

    A subclass that sets ``broadcast = True`` produces a side input instead: its whole output
    (one partition) is read, before anything else, by every shard of each step fed from it,
    whose shard count comes from its other inputs. This suits small results that every shard
    needs, such as the list of duplicates to drop.

    Args:
        out_shards: How many shards its output is split into (None: the run's ``tasks``,
            or as many as its input had). Ignored when ``broadcast`` is set.
    """

    kind: ClassVar[str] = "global"
    broadcast: ClassVar[bool] = False

    def __init__(self, *, out_shards: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.out_shards = out_shards

    def process_all(self, batches: Iterator[pa.Table]) -> pa.Table | Iterable[pa.Table]:
        """Consume all input batches (in shard order); return the whole output."""
        raise NotImplementedError(f"{type(self).__name__} must implement process_all(batches)")

    def process_inputs(self, inputs: list[Iterator[pa.Table]]) -> pa.Table | Iterable[pa.Table]:
        """Like :meth:`process_all`, with each input of a fan-in apart (a join overrides it).

        The default concatenates the inputs in the order they were connected.
        """
        return self.process_all(batch for side in inputs for batch in side)


class Router(Transform):
    """Send each batch to a subset of this step's successors.

    Write ``route(batch, seq)`` returning the names (or indices) of the successors that get
    the batch; ``seq`` is the batch's number within its shard. Place a :class:`Converge`
    after the routed branches to put their batches back in the original order.

    Example: round-robin over three replicas: ``return [seq % 3]``.
    """

    def route(self, batch: pa.Table, seq: int) -> Sequence[int | str]:
        raise NotImplementedError(f"{type(self).__name__} must implement route(batch, seq)")

    def process(self, batch: pa.Table) -> pa.Table:
        return batch


class Converge(Transform):
    """Merge routed branches: batches come out in their original order, not branch by branch.

    Use it as the fan-in of branches that a :class:`Router` fed: ``[a, b] >> converge()``.
    """

    def process(self, batch: pa.Table) -> pa.Table:
        return batch


class Writer:
    """What a sink returns for one shard: ``write`` batches, then ``close`` or ``abort``."""

    def write(self, table: pa.Table) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> "FileInfo | list[FileInfo] | None":  # pragma: no cover - interface
        """Commit; return the file written, or every file (a sink that partitions or rolls over)."""
        raise NotImplementedError

    def abort(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class Sink(Step):
    """A step that writes its input to files: a leaf of the pipeline.

    Attributes:
        path: The output directory; two sinks may not write to one path.
    """

    kind: ClassVar[str] = "sink"
    path: str

    def open_writer(self, shard: int, part: int = 0) -> Writer:
        """Return a writer for commit part ``part`` of shard ``shard``.

        Name files with :func:`part_file`: ``<path>/<shard:05d>.<ext>`` for part 0 and
        ``<path>/<shard:05d>-p<part:05d>.<ext>`` for the parts a long task commits later.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement open_writer(shard, part)")


def part_file(directory: str, shard: int, part: int, ext: str) -> str:
    """The name of one committed part of a shard's output (``ext`` with its dot)."""
    suffix = f"-p{part:05d}" if part else ""
    return f"{directory}/{shard:05d}{suffix}{ext}"


__all__ = [
    "Step",
    "StepOptions",
    "Source",
    "Transform",
    "Filter",
    "Mapper",
    "Router",
    "Converge",
    "GlobalStep",
    "Sink",
    "Writer",
    "part_file",
]
