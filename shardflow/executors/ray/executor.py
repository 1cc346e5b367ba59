"""The Ray executor: the scheduler's tasks on a Ray cluster, through long-lived actors.

Design
------
Accepted tasks wait in a queue. Each task has a *shape* (its resources, see
:mod:`~shardflow.executors.ray.placement`); actors are made per shape and live for the
whole run, so steps set up once per actor. Up to ``tasks_per_job`` queued tasks go to an
idle actor of their shape in one call (a *job*), which streams back each task's start and
result (see :mod:`~shardflow.executors.ray.worker`). Jobs go only to actors Ray has
placed; new actors are made while there is queued work, within ``workers`` and within the
cluster's resources, and idle actors of other shapes are killed to make room. An actor
still waiting for room when its work has gone elsewhere is killed too.

``wait`` blocks in ``ray.wait(..., num_returns=1)`` on the jobs' result streams and the
pending actors, until the next deadline (a task's ``time`` limit, a placement timeout).
A task past its time limit has its actor killed and is reported as
:data:`~shardflow.run.executor.TIMEOUT`; a lost actor, node or object as
:data:`~shardflow.run.executor.INFRA`, or :data:`~shardflow.run.executor.MEMORY` when the
worker's memory watchdog stopped it (all retried by the scheduler with backoff); the job's
tasks that had not started go back to the queue, not counted as failures. A task no set of
alive nodes can ever hold is reported at once as a failure that is not retried.
"""

from __future__ import annotations

import time as clock
from collections import deque
from typing import Any

import ray

from shardflow.executors.ray.classify import classify
from shardflow.executors.ray.placement import PlacementError, Shape, check_feasible, shape_for
from shardflow.executors.ray.pool import Actor, ActorPool, Entry, Job
from shardflow.run.bound import BoundTask
from shardflow.run.executor import INFRA, STEP, TIMEOUT, Completion, TaskFailure

#: ``ray.wait`` returns at least this often so that Python signal handlers (Ctrl-C, SIGTERM,
#: test time limits) run: Ray only checks for them between waits.
WAKE_EVERY = 1.0


class RayExecutor:
    """Run tasks on a Ray cluster, with per-task resources, multi-node tasks and time limits.

    Args:
        address: The cluster to join (``"auto"``, ``"ray://..."``, ``"host:port"``); None
            starts a local Ray on this machine. If Ray is already initialised in this
            process, that connection is used and left open.
        workers: How many tasks run at once; None or -1: as many as the cluster's CPUs
            and GPUs hold.
        cpus_per_task: CPUs reserved per task (a stage asking for more gets more).
        mem_per_cpu_gb: GiB of memory reserved per CPU (None: no reservation unless a
            step declares ``memory=``).
        gpus_per_task: GPUs reserved per task (Ray sets ``CUDA_VISIBLE_DEVICES``).
        nodes_per_task: Distinct nodes per task (> 1: a STRICT_SPREAD placement group with
            one bundle of the task's resources per node; the task runs on the first node,
            sees the nodes' IPs in ``SHARDFLOW_NODE_IPS`` and places work on the others
            through ``ray.util.get_current_placement_group()``).
        tasks_per_job: Tasks sent to an actor in one call, run one after the other.
        time: Wall-clock limit of one task in seconds (a step's ``time=`` may lower it):
            past it the task's worker is killed and the task reported as timed out, then
            retried by the scheduler.
        max_retries: Retries of a task after an infrastructure failure, timeout or memory
            stop; None: the run's ``max_retries`` (default 3).
        randomize_start_duration: Each task first sleeps a random time up to this many
            seconds, so that many tasks do not hit storage at the same moment.
        log_first: Also show the first task's log on the driver's console.
        ray_remote_kwargs: Extra options for the workers' actors (``runtime_env``,
            ``resources``, ``scheduling_strategy``, ...); they override the defaults.
        placement_timeout: Seconds a multi-node task may wait for its nodes before it is
            reported as an infrastructure failure.
        init_kwargs: Extra arguments of ``ray.init`` when this executor connects.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        cpus_per_task: float = 1,
        mem_per_cpu_gb: float | None = None,
        gpus_per_task: float = 0,
        nodes_per_task: int = 1,
        tasks_per_job: int = 1,
        time: float | None = None,
        max_retries: int | None = None,
        randomize_start_duration: float = 0.0,
        log_first: bool = False,
        ray_remote_kwargs: dict[str, Any] | None = None,
        placement_timeout: float = 300.0,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if nodes_per_task < 1 or tasks_per_job < 1:
            raise ValueError(f"nodes_per_task={nodes_per_task}, tasks_per_job={tasks_per_job}: both must be >= 1")
        if time is not None and time <= 0:
            raise ValueError(f"time={time}: the per-task limit must be a positive number of seconds")
        self.address = address
        self.workers = workers
        self.cpus_per_task = cpus_per_task
        self.mem_per_cpu_gb = mem_per_cpu_gb
        self.gpus_per_task = gpus_per_task
        self.nodes_per_task = nodes_per_task
        self.tasks_per_job = tasks_per_job
        self.time = time
        self.max_retries = max_retries
        self.randomize_start_duration = randomize_start_duration
        self.log_first = log_first
        self.ray_remote_kwargs = dict(ray_remote_kwargs or {})
        self.placement_timeout = placement_timeout
        self.init_kwargs = dict(init_kwargs or {})
        self._pool: ActorPool | None = None
        self._owns_ray = False

    # -- protocol ----------------------------------------------------------------------------
    def start(self) -> None:
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"log_to_driver": self.log_first}
            if self.address is None:
                kwargs["include_dashboard"] = False
            ray.init(address=self.address, **{**kwargs, **self.init_kwargs})
            self._owns_ray = True
        self._pool = ActorPool(self.ray_remote_kwargs, self.randomize_start_duration)
        self._queue: deque[Entry] = deque()
        self._jobs: list[Job] = []
        self._feasible: set[tuple[Shape, str]] = set()
        self._refused: list[Completion] = []  # tasks no node set of the cluster can hold
        self._echoed = False
        self._total = ray.cluster_resources()

    def can_submit(self, task: BoundTask) -> bool:
        accepted = len(self._queue) + sum(len(j.entries) - j.next for j in self._jobs)
        return accepted < self._slots(self._shape(task)) * self.tasks_per_job

    def submit(self, task: BoundTask) -> None:
        shape = self._shape(task)
        if (shape, task.id.stage) not in self._feasible:
            try:
                check_feasible(shape, ray.nodes(), task.id.stage)
            except PlacementError as exc:
                # Not retried (no step's policy applies): the run fails at once, naming the fix.
                self._refused.append(Completion(task, failure=TaskFailure(STEP, str(exc))))
                return
            self._feasible.add((shape, task.id.stage))
        self._queue.append(Entry(task, shape, echo=self.log_first and not self._echoed))
        self._echoed = True
        self._dispatch(flush=False)

    def wait(self, timeout: float | None = None) -> list[Completion]:
        self._dispatch(flush=True)
        until = None if timeout is None else clock.monotonic() + timeout
        done, self._refused = self._refused, []
        while (self._jobs or self._pool.pending()) and not done:
            deadline = min(d for d in (until, self._next_deadline(), clock.monotonic() + WAKE_EVERY) if d is not None)
            done += self._collect(max(0.0, deadline - clock.monotonic()))
            done += self._expire(clock.monotonic())
            if done:
                self._total = ray.cluster_resources()
            self._dispatch(flush=True)
            if until is not None and clock.monotonic() >= until:
                break
        return done

    def shutdown(self, force: bool = False) -> None:
        # Tasks still running are only left when the run is abandoned: their actors go too.
        if self._pool is not None and ray.is_initialized():
            for actor in list(self._pool.actors):
                self._pool.kill(actor)
        self._pool = None
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    # -- shapes and capacity -----------------------------------------------------------------
    def _shape(self, task: BoundTask) -> Shape:
        return shape_for(
            task.resources,
            cpus_per_task=self.cpus_per_task,
            gpus_per_task=self.gpus_per_task,
            mem_per_cpu_gb=self.mem_per_cpu_gb,
            nodes_per_task=self.nodes_per_task,
        )

    def _slots(self, shape: Shape) -> int:
        """How many tasks of ``shape`` run at once."""
        if self.workers is not None and self.workers > 0:
            return self.workers
        need = {k: v * shape.nodes for k, v in shape.bundle().items() if k != "memory"}
        fits = [int(self._total.get(k, 0) // v) for k, v in need.items() if v]
        return max(1, min(fits)) if fits else 1

    # -- dispatching -------------------------------------------------------------------------
    def _dispatch(self, flush: bool) -> None:
        """Give queued tasks to idle actors; make actors for the rest; drop unneeded ones."""
        shapes = list(dict.fromkeys(e.shape for e in self._queue))
        for shape in shapes:
            while True:
                entries = [e for e in self._queue if e.shape == shape][: self.tasks_per_job]
                idle = self._pool.idle(shape)
                if not entries or not idle or (len(entries) < self.tasks_per_job and not flush):
                    break
                self._start_job(idle[0], entries)
        queued_shapes = {e.shape for e in self._queue}
        for actor in self._pool.pending():
            if actor.shape not in queued_shapes:
                self._pool.kill(actor)  # its work went to an actor that was free first
        for shape in shapes:
            queued = sum(1 for e in self._queue if e.shape == shape)
            wanted = -(-queued // self.tasks_per_job) - len(self._pool.pending(shape))
            for _ in range(max(0, wanted)):
                if not self._make_room(shape):
                    break
                self._pool.create(shape)

    def _make_room(self, shape: Shape) -> bool:
        """Kill idle actors of other shapes until one more of ``shape`` fits; False if it can't."""
        limit = self._slots(shape)

        def room() -> bool:
            return len(self._pool.actors) < limit and self._pool.fits(shape, self._total)

        for actor in self._pool.idle():
            if room():
                break
            if actor.shape != shape:
                self._pool.kill(actor)
        # With nothing else alive, make it anyway: Ray places it once the cluster has room.
        return room() or not self._pool.actors

    def _start_job(self, actor: Actor, entries: list[Entry]) -> None:
        for entry in entries:
            self._queue.remove(entry)
        stream = actor.handle.run_job.options(num_returns="streaming").remote(
            [e.task for e in entries], [e.echo for e in entries]
        )
        actor.job = Job(actor=actor, stream=stream, entries=entries)
        self._jobs.append(actor.job)

    # -- events ------------------------------------------------------------------------------
    def _collect(self, budget: float) -> list[Completion]:
        """Block up to ``budget`` seconds for the first event; handle every event ready."""
        waiting: dict[Any, Job | Actor] = {j.stream: j for j in self._jobs}
        waiting.update({a.ready: a for a in self._pool.pending()})
        refs = list(waiting)
        ready, _ = ray.wait(refs, num_returns=1, timeout=budget)
        if not ready:
            return []
        # Others may be ready too: take them all now rather than one per turn.
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        done: list[Completion] = []
        for ref in ready:
            item = waiting[ref]
            done += self._drain(item) if isinstance(item, Job) else self._placed(item)
        return done

    def _placed(self, actor: Actor) -> list[Completion]:
        """A pending actor answered: it is placed, or it died before it could run anything."""
        try:
            actor.where, actor.ready = ray.get(actor.ready), None
            return []
        except Exception as exc:  # noqa: BLE001 - whatever Ray raised is classified
            self._pool.kill(actor)
            return self._fail_queued(actor.shape, classify(exc, "while starting a worker"))

    def _drain(self, job: Job) -> list[Completion]:
        """Consume every event ``job`` has ready; return the completions among them."""
        done: list[Completion] = []
        while job in self._jobs:
            ready, _ = ray.wait([job.stream], num_returns=1, timeout=0)
            if not ready:
                break
            try:
                kind, index, payload = ray.get(next(job.stream))
            except StopIteration:
                return done + self._lose(job, TaskFailure(INFRA, f"the Ray worker ended its job early ({job.actor.where})"))
            except Exception as exc:  # noqa: BLE001 - whatever Ray raised is classified
                return done + self._lose(job, classify(exc, job.actor.where, job.current))
            if kind == "start":
                job.started = clock.monotonic()
                continue
            task = job.entries[index].task
            done.append(Completion(task, marker=payload) if kind == "done" else Completion(task, failure=payload))
            job.next, job.started = index + 1, None
            if job.next == len(job.entries):
                self._jobs.remove(job)
                job.actor.job = None
        return done

    def _expire(self, now: float) -> list[Completion]:
        """Fail tasks past their time limit and multi-node actors never placed."""
        done: list[Completion] = []
        for job in list(self._jobs):
            limit = self._limit(job.current)
            if limit is not None and job.started is not None and now - job.started > limit:
                message = f"task ran past its time limit of {limit:g} s and was stopped ({job.actor.where})"
                done += self._lose(job, TaskFailure(TIMEOUT, message))
        for actor in self._pool.pending():
            if actor.group is not None and now - actor.created > self.placement_timeout:
                self._pool.kill(actor)
                message = (
                    f"no placement for {actor.shape.describe()} (nodes_per_task) within "
                    f"placement_timeout={self.placement_timeout:g}s: nodes are busy or gone"
                )
                done += self._fail_queued(actor.shape, TaskFailure(INFRA, message))
        return done

    def _limit(self, task: BoundTask) -> float | None:
        """The task's time limit: the executor's ``time`` or its steps' ``time=``, the lower."""
        limits = [t for t in (self.time, (task.resources or {}).get("time")) if t]
        return min(limits) if limits else None

    def _next_deadline(self) -> float | None:
        deadlines = [
            j.started + limit for j in self._jobs if j.started is not None and (limit := self._limit(j.current)) is not None
        ]
        deadlines += [a.created + self.placement_timeout for a in self._pool.pending() if a.group is not None]
        return min(deadlines) if deadlines else None

    def _lose(self, job: Job, failure: TaskFailure) -> list[Completion]:
        """The job's actor is gone: fail its running task, requeue the ones not started."""
        self._jobs.remove(job)
        self._pool.kill(job.actor)
        self._queue.extendleft(reversed(job.entries[job.next + 1 :]))
        return [Completion(job.current, failure=failure)]

    def _fail_queued(self, shape: Shape, failure: TaskFailure) -> list[Completion]:
        """Report ``failure`` for the first queued task of ``shape`` (its worker never started).

        Failing a task, rather than silently making another actor, lets the scheduler's
        retry limit end a run whose workers can never start.
        """
        if any(a.shape == shape for a in self._pool.actors):
            return []  # other workers of this shape are alive and will take the queue
        for entry in self._queue:
            if entry.shape == shape:
                self._queue.remove(entry)
                return [Completion(entry.task, failure=failure)]
        return []
