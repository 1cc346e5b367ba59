"""The executor's actors and the jobs running on them: bookkeeping only, no policy.

An actor is *pending* until Ray has placed it (its ``where`` call answered), then *idle*
or *busy* with one job. Only placed actors get jobs, so a job never waits behind an actor
that the cluster cannot place yet while another actor sits idle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import ray

from shardflow.executors.ray.placement import Shape, create_group, group_strategy
from shardflow.executors.ray.worker import TaskWorker
from shardflow.run.bound import BoundTask


@dataclass
class Entry:
    """An accepted task, with its shape and whether its log is echoed (``log_first``)."""

    task: BoundTask
    shape: Shape
    echo: bool = False


@dataclass
class Job:
    """Tasks sent to one actor in one call; their events stream back in order."""

    actor: "Actor"
    stream: Any  # the ObjectRefGenerator of TaskWorker.run_job
    entries: list[Entry]
    next: int = 0  # index of the first task without a result
    started: float | None = None  # when task ``next`` started (its "start" event)

    @property
    def current(self) -> BoundTask:
        return self.entries[self.next].task


@dataclass
class Actor:
    """One TaskWorker actor (and the placement group of a multi-node shape)."""

    handle: Any
    shape: Shape
    ready: Any  # ObjectRef of its "where" answer while pending; None once placed
    group: Any = None
    where: str = "not placed yet"
    job: Job | None = None
    created: float = field(default_factory=time.monotonic)

    @property
    def idle(self) -> bool:
        return self.ready is None and self.job is None


class ActorPool:
    """Creates, finds and kills the executor's actors; knows what they hold.

    Args:
        options: Extra actor options (``ray_remote_kwargs``), applied last.
        randomize_start: Passed to each :class:`TaskWorker`.
    """

    def __init__(self, options: dict[str, Any], randomize_start: float) -> None:
        self.options = options
        self.randomize_start = randomize_start
        self.actors: list[Actor] = []
        self._remote = ray.remote(TaskWorker)

    def create(self, shape: Shape) -> Actor:
        options: dict[str, Any] = {"max_restarts": 0, "max_task_retries": 0, **shape.actor_options()}
        group = None
        if shape.nodes > 1:
            group = create_group(shape)
            # The group reserves every node's resources; the actor only sits on the first.
            options.update(num_cpus=0, num_gpus=0, scheduling_strategy=group_strategy(group))
            options.pop("memory", None)
        options.update(self.options)
        handle = self._remote.options(**options).remote(self.randomize_start)
        actor = Actor(handle=handle, shape=shape, ready=handle.where.remote(), group=group)
        self.actors.append(actor)
        return actor

    def kill(self, actor: Actor) -> None:
        ray.kill(actor.handle, no_restart=True)
        if actor.group is not None:
            from ray.util.placement_group import remove_placement_group

            remove_placement_group(actor.group)
        self.actors.remove(actor)

    def idle(self, shape: Shape | None = None) -> list[Actor]:
        return [a for a in self.actors if a.idle and (shape is None or a.shape == shape)]

    def pending(self, shape: Shape | None = None) -> list[Actor]:
        return [a for a in self.actors if a.ready is not None and (shape is None or a.shape == shape)]

    def busy(self) -> list[Actor]:
        return [a for a in self.actors if a.job is not None]

    def fits(self, shape: Shape, total: dict[str, float]) -> bool:
        """True if one more actor of ``shape`` fits in ``total`` beside all current ones."""
        held: dict[str, float] = {}
        for actor in self.actors:
            for k, v in actor.shape.bundle().items():
                held[k] = held.get(k, 0) + v * actor.shape.nodes
        return all(held.get(k, 0) + v * shape.nodes <= total.get(k, 0) + 1e-9 for k, v in shape.bundle().items())
