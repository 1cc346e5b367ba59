"""Tasks: a stage with N shards is N tasks, each depending only on the upstream shards it reads.

This module is pure data: a :class:`TaskSpec` is a template that names its inputs, not a bound
task holding data or code (``run/`` binds them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class TaskId:
    """One shard of one stage."""

    stage: str
    shard: int

    def __str__(self) -> str:
        return f"{self.stage}/{self.shard:05d}"


@dataclass(frozen=True)
class InputRef:
    """Partition ``part`` of exit ``exit`` of task ``task``.

    An ordinary task writes one partition (0) per exit; a global task one per output shard.
    """

    task: TaskId
    exit: str
    part: int = 0


@dataclass(frozen=True)
class TaskSpec:
    """A task of the plan: which stage and shard, what it reads, what it waits for.

    Attributes:
        id: The task.
        inputs: Partitions it reads, in order (empty for a source task: it reads its shard).
        deps: The distinct tasks those partitions come from.
    """

    id: TaskId
    inputs: tuple[InputRef, ...]

    @property
    def deps(self) -> tuple[TaskId, ...]:
        return tuple(dict.fromkeys(ref.task for ref in self.inputs))


def shard_inputs(upstream: str, exit: str, up_tasks: int, up_parts: int, shard: int) -> tuple[InputRef, ...]:
    """What shard ``shard`` of a shard-aligned stage reads from one upstream stage.

    A global upstream (one task, ``up_parts`` partitions) gives partition ``shard`` of its
    single task; an ordinary upstream gives its own shard ``shard``. Upstreams with fewer
    shards (a fan-in of unequal inputs) give nothing to the extra shards.
    """
    if up_parts > 1:
        return (InputRef(TaskId(upstream, 0), exit, shard),) if shard < up_parts else ()
    return (InputRef(TaskId(upstream, shard), exit, 0),) if shard < up_tasks else ()


def global_inputs(upstream: str, exit: str, up_tasks: int, up_parts: int) -> tuple[InputRef, ...]:
    """Everything a global stage reads from one upstream exit, in shard order."""
    return tuple(
        InputRef(TaskId(upstream, t), exit, p) for t in range(up_tasks) for p in range(up_parts)
    )
