"""Compile a validated graph into a :class:`Plan`: stages, their keys, and their tasks.

Pure: the only input besides the graph is the source shards, listed by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from shardflow.plan.keys import digest, fingerprint
from shardflow.plan.stages import Stage, build_stages
from shardflow.plan.tasks import InputRef, TaskId, TaskSpec, global_inputs, shard_inputs

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph
    from shardflow.io import InputShard


@dataclass(frozen=True)
class StagePlan:
    """A stage with its shard count and content key.

    Attributes:
        stage: The stage.
        key: Content key: steps' code and config, shards, and the keys of its inputs.
        n_tasks: How many tasks (shards) it runs.
        n_parts: How many output partitions each task writes (>1 only for global stages).
    """

    stage: Stage
    key: str
    n_tasks: int
    n_parts: int

    @property
    def id(self) -> str:
        return self.stage.id

    @property
    def dirname(self) -> str:
        """The stage's folder in the run directory: id and key, so a changed stage gets a new one."""
        return f"{self.stage.id}-{self.key}"


@dataclass(frozen=True)
class Plan:
    """Stages and tasks of a pipeline, ready to run.

    Attributes:
        name: The pipeline's name.
        stages: Stage plans by id, in topological order.
        tasks: Task specs by id, stage by stage, shard by shard.
        source_shards: For each source stage, its input shards.
        leaves: Names of the leaf steps (one output each).
    """

    name: str
    stages: dict[str, StagePlan]
    tasks: dict[TaskId, TaskSpec]
    source_shards: dict[str, list["InputShard"]] = field(default_factory=dict)
    leaves: tuple[str, ...] = ()

    def stage_tasks(self, stage_id: str) -> Iterator[TaskSpec]:
        sp = self.stages[stage_id]
        for shard in range(sp.n_tasks):
            yield self.tasks[TaskId(stage_id, shard)]

    def stage_of_step(self, step_name: str) -> StagePlan:
        for sp in self.stages.values():
            if step_name in sp.stage.steps:
                return sp
        raise KeyError(f"no stage holds step {step_name!r}")

    def summary(self) -> dict:
        """JSON-able description, stored in run.json."""
        return {
            "name": self.name,
            "stages": [
                {
                    "id": sp.id,
                    "key": sp.key,
                    "steps": list(sp.stage.steps),
                    "parents": list(sp.stage.parents),
                    "exits": list(sp.stage.exits),
                    "sinks": list(sp.stage.sinks),
                    "inputs": [list(i) for i in sp.stage.inputs],
                    "kind": sp.stage.kind,
                    "merge": sp.stage.merge,
                    "reason": sp.stage.reason,
                    "tasks": sp.n_tasks,
                    "parts": sp.n_parts,
                    "resources": {"cpus": sp.stage.cpus, "gpus": sp.stage.gpus, "memory": sp.stage.memory},
                }
                for sp in self.stages.values()
            ],
            "leaves": list(self.leaves),
            "tasks": len(self.tasks),
        }


def compile_plan(graph: "Graph", source_shards: dict[str, list["InputShard"]], tasks: int | None) -> Plan:
    """Build the plan of a validated graph.

    Args:
        graph: The validated step graph.
        source_shards: Input shards of each source step, by step name.
        tasks: The run's requested task count (used for the output sharding of global steps).
    """
    plans: dict[str, StagePlan] = {}
    specs: dict[TaskId, TaskSpec] = {}
    stage_shards: dict[str, list[InputShard]] = {}
    for stage in build_stages(graph):
        steps = [graph.step(n) for n in stage.steps]
        ups = [plans[u] for u, _ in stage.inputs]
        if stage.kind == "source":
            shards = source_shards[stage.steps[0]]
            stage_shards[stage.id] = shards
            n_tasks, n_parts = len(shards), 1
            inputs_key = [[(p.path, p.start, p.end) for p in s.pieces] + [s.nbytes] for s in shards]
        elif stage.kind == "global":
            n_in = max((u.n_tasks * u.n_parts for u in ups), default=1)
            n_parts = 1 if stage.broadcast else steps[0].out_shards or tasks or n_in
            n_tasks, inputs_key = 1, []
        else:
            # A broadcast input does not shard its reader: every shard reads it whole.
            sharding = [u for u in ups if not u.stage.broadcast] or ups
            n_tasks = max((u.n_parts if u.n_parts > 1 else u.n_tasks for u in sharding), default=0)
            n_parts, inputs_key = 1, []
        key = digest(
            {
                "stage": [stage.kind, stage.merge, list(stage.steps), list(stage.parents), list(stage.exits)],
                "steps": [fingerprint(s) for s in steps],
                "shape": [n_tasks, n_parts],
                "inputs": inputs_key,
                "upstream": [u.key for u in ups],
            }
        )
        sp = StagePlan(stage=stage, key=key, n_tasks=n_tasks, n_parts=n_parts)
        plans[stage.id] = sp
        for shard in range(n_tasks):
            refs: tuple = ()
            # Broadcast inputs come first, so a step has its side input before the data.
            for u, (_, exit) in sorted(zip(ups, stage.inputs), key=lambda ue: not ue[0].stage.broadcast):
                if u.stage.broadcast:
                    refs += (InputRef(TaskId(u.id, 0), exit, 0),)
                elif stage.kind == "global":
                    refs += global_inputs(u.id, exit, u.n_tasks, u.n_parts)
                else:
                    refs += shard_inputs(u.id, exit, u.n_tasks, u.n_parts, shard)
            tid = TaskId(stage.id, shard)
            specs[tid] = TaskSpec(id=tid, inputs=refs)
    return Plan(
        name=graph.name,
        stages=plans,
        tasks=specs,
        source_shards=stage_shards,
        leaves=tuple(s.name for s in graph.leaves()),
    )
