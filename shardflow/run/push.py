"""The inside of a task: a small tree of nodes that batches are pushed through.

A stage is a tree of steps (a chain, or branches when a branch point is fused). Each node
receives ``push(table, seq)`` — ``seq`` numbers the batch within its shard, so that routed
batches can be put back in order — and ``finish()`` at the end of the shard. Transforms pass
their results to their children; exits write them: a sink to its files, a checkpoint to
Arrow IPC in the run directory. Writers open at the first row and commit at ``finish``; on
any error the task aborts them all, so nothing partial becomes visible.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import pyarrow as pa

from shardflow.graph.step import Router, Sink, Step, Transform, Writer, part_file
from shardflow.io import FileInfo, IpcWriter, JsonlWriter
from shardflow.run.stream import as_tables, concat, length_histogram

SEQ = "__shardflow_seq"


class StepError(Exception):
    """An error raised by a step's own code; carries the step name and traceback text."""

    def __init__(self, step: str, phase: str, exc: BaseException) -> None:
        import traceback

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


def call_step(step: Step, phase: str, fn: Callable[[], Any]) -> list[pa.Table]:
    """Call a step method, time it, and turn its errors into a :class:`StepError`."""
    t0 = time.perf_counter()
    try:
        out = list(as_tables(fn()))
    except StepError:
        raise
    except Exception as exc:
        raise StepError(step.name, phase, exc) from exc
    finally:
        step.stats.seconds += time.perf_counter() - t0
    return out


class LazyWriter:
    """Opens the real writer at the first non-empty write; an unused one commits nothing."""

    def __init__(self, factory: Callable[[], Writer]) -> None:
        self._factory = factory
        self._writer: Writer | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self._writer = self._factory()
        self._writer.write(table)

    def close(self) -> list[FileInfo]:
        if self._writer is None:
            return []
        info = self._writer.close()
        return info if isinstance(info, list) else [info] if info is not None else []

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()


class Node:
    """Receives batches; passes them on or writes them."""

    def push(self, table: pa.Table, seq: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ExitNode(Node):
    """Writes what reaches it through a writer; ``files`` holds what was committed."""

    def __init__(self, writer: LazyWriter, stats=None, with_seq: bool = False) -> None:
        self.writer = writer
        self.stats = stats  # the sink's stats, or None for a checkpoint
        self.with_seq = with_seq
        self.files: list[FileInfo] = []

    def push(self, table: pa.Table, seq: int) -> None:
        if self.with_seq:
            table = table.append_column(SEQ, pa.repeat(pa.scalar(seq, pa.int64()), table.num_rows))
        t0 = time.perf_counter()
        self.writer.write(table)
        if self.stats is not None:
            self.stats.rows_in += table.num_rows
            self.stats.rows_out += table.num_rows
            self.stats.seconds += time.perf_counter() - t0
            self.stats.lengths.update(length_histogram(table))  # what was written, for the report

    def finish(self) -> None:
        t0 = time.perf_counter()
        self.files = self.writer.close()
        if self.stats is not None:
            self.stats.seconds += time.perf_counter() - t0


class StepNode(Node):
    """A transform: processes each batch and pushes its results to every child."""

    def __init__(self, step: Transform, children: list[Node]) -> None:
        self.step = step
        self.children = children
        self.last_seq = 0

    def push(self, table: pa.Table, seq: int) -> None:
        self.step.stats.rows_in += table.num_rows
        self.last_seq = seq
        for out in call_step(self.step, "process", lambda: self.step.process(table)):
            self.emit(out, seq)

    def emit(self, table: pa.Table, seq: int) -> None:
        self.step.stats.rows_out += table.num_rows
        for child in self.children:
            child.push(table, seq)

    def finish(self) -> None:
        for out in call_step(self.step, "finish", self.step.finish):
            self.emit(out, self.last_seq)
        for child in self.children:
            child.finish()


class RouterNode(StepNode):
    """A router: each batch goes only to the children its ``route`` names."""

    def __init__(self, step: Router, routes: dict[str, Node], order: list[str]) -> None:
        super().__init__(step, list(routes.values()))
        self.routes = routes
        self.order = order  # successor names, so routes may be given by index

    def emit(self, table: pa.Table, seq: int) -> None:
        self.step.stats.rows_out += table.num_rows
        targets = call_step_value(self.step, lambda: self.step.route(table, seq))
        for target in targets:
            name = self.order[target] if isinstance(target, int) else target
            if name not in self.routes:
                raise StepError(self.step.name, "route", KeyError(f"route {target!r} is not one of {self.order}"))
            self.routes[name].push(table, seq)


def call_step_value(step: Step, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:
        raise StepError(step.name, "route", exc) from exc


class Rebatch(Node):
    """Re-cuts batches to exactly ``size`` rows for the node it feeds (the last may be shorter)."""

    def __init__(self, size: int, target: Node) -> None:
        self.size = size
        self.target = target
        self.pending: list[pa.Table] = []
        self.held = 0
        self.seq = 0

    def push(self, table: pa.Table, seq: int) -> None:
        if not self.pending:
            self.seq = seq  # a re-cut batch takes the number of its first rows' batch
        self.pending.append(table)
        self.held += table.num_rows
        while self.held >= self.size:
            whole = concat(self.pending)
            self.target.push(whole.slice(0, self.size), self.seq)
            rest = whole.slice(self.size)
            self.pending, self.held = ([rest] if rest.num_rows else []), rest.num_rows
            self.seq = seq

    def finish(self) -> None:
        if self.held:
            self.target.push(concat(self.pending), self.seq)
        self.pending, self.held = [], 0
        self.target.finish()


def build_tree(
    steps: dict[str, Step],
    parents: Iterable[str | None],
    exits: Iterable[str],
    successors: dict[str, list[str]],
    exit_writer: Callable[[str], LazyWriter],
    sink_writer: Callable[[Sink], LazyWriter],
) -> tuple[list[Node], dict[str, ExitNode]]:
    """Build the node tree of a stage; return the head's children and every exit node.

    Args:
        steps: The stage's steps by name, in topological order.
        parents: Each step's parent in the stage (None for the head).
        exits: The stage's exits.
        successors: For a router, the names of all its successors (to resolve indices).
        exit_writer: Makes the writer of a checkpoint exit.
        sink_writer: Makes the writer of a sink.
    """
    names = list(steps)
    parent_of = dict(zip(names, parents))
    exit_nodes: dict[str, ExitNode] = {}
    nodes: dict[str, Node] = {}
    for name in reversed(names):  # children before parents
        step = steps[name]
        if isinstance(step, Sink):
            node = ExitNode(sink_writer(step), stats=step.stats)
            exit_nodes[name] = node
            nodes[name] = node
            continue
        children = [nodes[c] for c in names if parent_of[c] == name]
        mine = [e for e in exits if e == name or e.startswith(name + ":")]
        for e in mine:
            exit_nodes[e] = ExitNode(exit_writer(e), with_seq=True)
        if isinstance(step, Router):
            routes = {c: nodes[c] for c in names if parent_of[c] == name}
            routes.update({e.split(":", 1)[1]: exit_nodes[e] for e in mine if ":" in e})
            node = RouterNode(step, routes, successors.get(name, list(routes)))
        elif isinstance(step, Transform):
            node = StepNode(step, children + [exit_nodes[e] for e in mine])
        else:  # the head source or global step: its node is its children
            node = _Fanout(children + [exit_nodes[e] for e in mine])
        if step.options.batch_size and not isinstance(node, _Fanout):
            node = Rebatch(step.options.batch_size, node)
        nodes[name] = node
    head = nodes[names[0]]
    roots = head.children if isinstance(head, _Fanout) else [head]
    return roots, exit_nodes


class _Fanout(Node):
    """Stands for a head that is not a transform (a source, a global step): feeds its children."""

    def __init__(self, children: list[Node]) -> None:
        self.children = children

    def push(self, table: pa.Table, seq: int) -> None:
        for child in self.children:
            child.push(table, seq)

    def finish(self) -> None:
        for child in self.children:
            child.finish()


def rejected_writer(directory: str, shard: int, part: int, storage_options: dict | None) -> LazyWriter:
    """The side-output writer of a filter's dropped rows for one shard's commit part."""
    return LazyWriter(lambda: JsonlWriter(part_file(directory, shard, part, ".jsonl.gz"), storage_options=storage_options))


def checkpoint_writer(path: str, storage_options: dict | None) -> LazyWriter:
    return LazyWriter(lambda: IpcWriter(path, storage_options=storage_options))
