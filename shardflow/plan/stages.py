"""Fusion: cut the step graph into stages, maximal chains that run together on one shard.

A stage boundary falls where the graph needs one (see :func:`boundary`); everything else is
fused into one pass over the data with no intermediate files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shardflow.graph.step import GlobalStep, Sink, Source

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph
    from shardflow.graph.step import Step


@dataclass(frozen=True)
class Stage:
    """A chain of steps run in one pass per shard.

    Attributes:
        id: Unique, readable id: the name of the stage's first step.
        steps: Names of its steps, in order.
        inputs: Ids of the stages it reads, in concatenation order (empty for a source stage).
        kind: ``"source"`` (starts with a reader), ``"shard"`` (shard-aligned with its inputs)
            or ``"global"`` (one task that sees every shard of its input).
        output: ``"sink"`` (its last step writes files) or ``"checkpoint"`` (its output is
            materialized in the run directory for the stages that read it).
        reason: Why the stage starts here (shown by ``shardflow plan``).
        cpus: CPU cores one task needs (the most any of its steps asks for).
        gpus: GPUs one task needs.
        memory: Memory limit of one task in bytes, or None.
        broadcast: A global stage whose output every shard of its readers gets whole
            (see :class:`~shardflow.graph.step.GlobalStep`).
    """

    id: str
    steps: tuple[str, ...]
    inputs: tuple[str, ...]
    kind: str
    output: str
    reason: str
    cpus: float = 1
    gpus: float = 0
    memory: int | None = None
    broadcast: bool = False


def _resources(step: "Step") -> tuple[float, float, int | None]:
    o = step.options
    return (o.cpus, o.gpus, o.memory)


def boundary(graph: "Graph", step: "Step") -> str | None:
    """Return why ``step`` must start a new stage, or None if it fuses with its input."""
    preds = graph.predecessors(step)
    if isinstance(step, Source):
        return "source"
    if isinstance(step, GlobalStep):
        return "global step"
    if len(preds) != 1:
        return "fan-in"
    (pred,) = preds
    if isinstance(pred, GlobalStep):
        return "after a global step"
    if len(graph.successors(pred)) > 1:
        return f"branch of {pred.name}"
    if pred.options.checkpoint:
        return f"checkpoint after {pred.name}"
    # A writer fuses with whatever feeds it: writing costs no special resources, and a
    # checkpoint before it would write the same data twice.
    if _resources(step) != _resources(pred) and not isinstance(step, Sink):
        return "resources change"
    return None


def build_stages(graph: "Graph") -> list[Stage]:
    """Cut ``graph`` (validated) into stages, in topological order."""
    chains: dict[str, list[Step]] = {}
    stage_of: dict[int, str] = {}
    reasons: dict[str, str] = {}
    for step in graph.topological():
        reason = boundary(graph, step)
        if reason is None:
            sid = stage_of[id(graph.predecessors(step)[0])]
            chains[sid].append(step)
        else:
            sid = step.name
            chains[sid] = [step]
            reasons[sid] = reason
        stage_of[id(step)] = sid

    stages = []
    for sid, chain in chains.items():
        head, last = chain[0], chain[-1]
        inputs = tuple(stage_of[id(p)] for p in graph.predecessors(head))
        kind = "source" if isinstance(head, Source) else "global" if isinstance(head, GlobalStep) else "shard"
        cpus = max(s.options.cpus for s in chain)
        gpus = max(s.options.gpus for s in chain)
        mems = [s.options.memory for s in chain if s.options.memory]
        stages.append(
            Stage(
                id=sid,
                steps=tuple(s.name for s in chain),
                inputs=inputs,
                kind=kind,
                output="sink" if isinstance(last, Sink) else "checkpoint",
                reason=reasons[sid],
                cpus=cpus,
                gpus=gpus,
                memory=min(mems) if mems else None,
                broadcast=isinstance(head, GlobalStep) and head.broadcast,
            )
        )
    return stages
