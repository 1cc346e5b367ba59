"""What a task asks of the cluster: its resource shape, whether the cluster can ever hold it,
and the placement group of a multi-node task.

A *shape* is one task's request: CPUs, GPUs and memory per node, and how many nodes. The
executor keeps one pool of actors per shape, so tasks of stages with the same resources
share actors (and the steps they have set up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GIB = 1024**3


class PlacementError(RuntimeError):
    """The cluster cannot hold a task of the requested shape, now or later."""


@dataclass(frozen=True)
class Shape:
    """The resources of one task.

    Attributes:
        cpus: CPU cores on each node.
        gpus: GPUs on each node.
        memory: Bytes of memory on each node (None: no reservation).
        nodes: Distinct nodes the task spans (> 1: a STRICT_SPREAD placement group).
    """

    cpus: float
    gpus: float
    memory: int | None
    nodes: int = 1

    def bundle(self) -> dict[str, float]:
        """Ray's resource dict for one node of the task."""
        wanted = {"CPU": self.cpus, "GPU": self.gpus, "memory": self.memory or 0}
        return {name: amount for name, amount in wanted.items() if amount}

    def actor_options(self) -> dict[str, Any]:
        """Resource options of a single-node task's actor."""
        options: dict[str, Any] = {"num_cpus": self.cpus, "num_gpus": self.gpus}
        if self.memory:
            options["memory"] = self.memory
        return options

    def describe(self) -> str:
        per_node = ", ".join(f"{k}={_fmt(k, v)}" for k, v in self.bundle().items()) or "nothing"
        return per_node if self.nodes == 1 else f"{self.nodes} distinct nodes with {per_node} each"


def _fmt(name: str, amount: float) -> str:
    return f"{amount / GIB:g}GiB" if name == "memory" else f"{amount:g}"


def shape_for(
    resources: dict[str, Any] | None,
    *,
    cpus_per_task: float,
    gpus_per_task: float,
    mem_per_cpu_gb: float | None,
    nodes_per_task: int,
) -> Shape:
    """The shape of a task: the executor's defaults, raised by what its stage declares.

    Args:
        resources: The stage's ``cpus``, ``gpus`` and ``memory`` (bytes) from the plan.
        cpus_per_task: The executor's CPUs per task.
        gpus_per_task: The executor's GPUs per task.
        mem_per_cpu_gb: GiB of memory reserved per CPU (None: none unless the stage asks).
        nodes_per_task: Nodes per task.
    """
    resources = resources or {}
    cpus = max(float(cpus_per_task), float(resources.get("cpus") or 0))
    gpus = max(float(gpus_per_task), float(resources.get("gpus") or 0))
    memory = resources.get("memory")
    if memory is None and mem_per_cpu_gb:
        memory = int(mem_per_cpu_gb * cpus * GIB)
    return Shape(cpus=cpus, gpus=gpus, memory=int(memory) if memory else None, nodes=nodes_per_task)


def check_feasible(shape: Shape, nodes: list[dict[str, Any]], stage: str) -> None:
    """Raise :class:`PlacementError` if no set of alive nodes can ever hold ``shape``.

    Args:
        shape: The task's request.
        nodes: ``ray.nodes()``.
        stage: The stage, named in the error.
    """
    alive = [n for n in nodes if n.get("Alive")]
    bundle = shape.bundle()
    fitting = [n for n in alive if all(n["Resources"].get(k, 0) >= v for k, v in bundle.items())]
    if len(fitting) >= shape.nodes:
        return
    listing = "; ".join(
        f"{n['NodeManagerAddress']}: " + ", ".join(f"{k}={_fmt(k, v)}" for k, v in sorted(n["Resources"].items()) if k in ("CPU", "GPU", "memory"))
        for n in alive
    )
    raise PlacementError(
        f"tasks of stage {stage!r} need {shape.describe()}, but only {len(fitting)} of the "
        f"{len(alive)} alive Ray nodes can hold that ({listing}). Lower cpus_per_task / "
        "gpus_per_task / mem_per_cpu_gb / nodes_per_task (or the step's cpus=, gpus=, "
        "memory=), or add nodes to the cluster."
    )


def create_group(shape: Shape):
    """A STRICT_SPREAD placement group with one bundle per node of a multi-node task."""
    from ray.util.placement_group import placement_group

    return placement_group([shape.bundle() or {"CPU": 0.001}] * shape.nodes, strategy="STRICT_SPREAD")


def group_strategy(group) -> Any:
    """Schedule an actor on the first node of ``group``; what it starts stays in the group."""
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    return PlacementGroupSchedulingStrategy(
        placement_group=group, placement_group_bundle_index=0, placement_group_capture_child_tasks=True
    )
