"""Fusion: cut the step graph into stages, the parts that run together in one pass per shard.

A stage is a tree of steps: a head (a source, a global step, or the first step after a
boundary) and the steps fused below it. Usually the tree is a chain; a branch point with
``fuse=True`` keeps its branches in its own stage and streams each batch to all of them.
A stage boundary falls where the graph needs one (see :func:`boundary`).

What leaves a stage is named by its *exits*: a sink's files, or the checkpointed output of
a step that other stages read (a router has one exit per successor, ``router:successor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shardflow.graph.step import Converge, GlobalStep, Router, Sink, Source

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph
    from shardflow.graph.step import Step


@dataclass(frozen=True)
class Stage:
    """Steps run in one pass per shard.

    Attributes:
        id: Unique, readable id: the name of the stage's head step.
        steps: Names of its steps, in topological order; ``steps[0]`` is the head.
        parents: For each step, the name of its parent in the stage (None for the head).
        exits: What leaves the stage: sink names, and names of checkpointed outputs.
        sinks: The exits that are sinks (the others are checkpoints in the run directory).
        inputs: ``(stage id, exit)`` pairs it reads, in concatenation order.
        kind: ``"source"``, ``"shard"`` (shard-aligned with its inputs) or ``"global"``.
        merge: How a fan-in combines its inputs: ``"concat"`` (in order) or ``"seq"``
            (a convergence: routed batches back in their original order).
        reason: Why the stage starts here (shown by ``shardflow plan``).
        cpus: CPU cores one task needs (the most any of its steps asks for).
        gpus: GPUs one task needs.
        memory: Memory limit of one task in bytes, or None.
        time: Wall-clock limit of one task in seconds, or None.
        broadcast: A global stage whose output every shard of its readers gets whole
            (see :class:`~shardflow.graph.step.GlobalStep`).
    """

    id: str
    steps: tuple[str, ...]
    parents: tuple[str | None, ...]
    exits: tuple[str, ...]
    inputs: tuple[tuple[str, str], ...]
    kind: str
    merge: str
    reason: str
    cpus: float = 1
    gpus: float = 0
    memory: int | None = None
    time: float | None = None
    sinks: tuple[str, ...] = ()
    broadcast: bool = False


def _resources(step: "Step") -> tuple[float, float, int | None, float | None]:
    o = step.options
    return (o.cpus, o.gpus, o.memory, o.time)


def boundary(graph: "Graph", step: "Step") -> str | None:
    """Return why ``step`` must start a new stage, or None if it fuses with its input."""
    preds = graph.predecessors(step)
    if isinstance(step, Source):
        return "source"
    if isinstance(step, GlobalStep):
        return "global step"
    if isinstance(step, Converge):
        return "convergence"
    if len(preds) != 1:
        return "fan-in"
    (pred,) = preds
    if isinstance(pred, GlobalStep):
        return "after a global step"
    if isinstance(pred, Router):
        return f"routed by {pred.name}"
    if len(graph.successors(pred)) > 1 and not pred.options.fuse:
        return f"branch of {pred.name}"
    if pred.options.checkpoint:
        return f"checkpoint after {pred.name}"
    # A writer fuses with whatever feeds it: writing costs no special resources, and a
    # checkpoint before it would write the same data twice.
    if _resources(step) != _resources(pred) and not isinstance(step, Sink):
        return "resources change"
    return None


def exit_name(step: "Step", successor: "Step | None" = None) -> str:
    """The exit through which ``successor`` (in another stage) reads ``step``'s output."""
    if isinstance(step, Router) and successor is not None:
        return f"{step.name}:{successor.name}"
    return step.name


def build_stages(graph: "Graph") -> list[Stage]:
    """Cut ``graph`` (validated) into stages, in topological order."""
    members: dict[str, list[Step]] = {}
    stage_of: dict[int, str] = {}
    reasons: dict[str, str] = {}
    for step in graph.topological():
        reason = boundary(graph, step)
        if reason is None:
            sid = stage_of[id(graph.predecessors(step)[0])]
            members[sid].append(step)
        else:
            sid = step.name
            members[sid] = [step]
            reasons[sid] = reason
        stage_of[id(step)] = sid

    stages = []
    for sid, chain in members.items():
        head = chain[0]
        inside = {id(s) for s in chain}
        exits: list[str] = []
        for s in chain:
            outside = [n for n in graph.successors(s) if id(n) not in inside]
            if isinstance(s, Sink) or not graph.successors(s):
                exits.append(s.name)
            for n in outside:
                name = exit_name(s, n)
                if name not in exits:
                    exits.append(name)
        inputs = tuple((stage_of[id(p)], exit_name(p, head)) for p in graph.predecessors(head))
        kind = "source" if isinstance(head, Source) else "global" if isinstance(head, GlobalStep) else "shard"
        mems = [s.options.memory for s in chain if s.options.memory]
        times = [s.options.time for s in chain if s.options.time]
        stage = Stage(
            id=sid,
            steps=tuple(s.name for s in chain),
            parents=tuple(None if i == 0 else graph.predecessors(s)[0].name for i, s in enumerate(chain)),
            exits=tuple(exits),
            inputs=inputs,
            kind=kind,
            merge="seq" if isinstance(head, Converge) else "concat",
            reason=reasons[sid],
            cpus=max(s.options.cpus for s in chain),
            gpus=max(s.options.gpus for s in chain),
            memory=min(mems) if mems else None,
            time=min(times) if times else None,
            sinks=tuple(s.name for s in chain if isinstance(s, Sink)),
            broadcast=isinstance(head, GlobalStep) and head.broadcast,
        )
        stages.append(stage)
    return stages
