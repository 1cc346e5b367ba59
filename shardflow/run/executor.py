"""The executor protocol: the only thing the scheduler loop needs from a backend.

An executor takes bound tasks (``submit``), says whether it can take one more now
(``can_submit``), and blocks until at least one finished (``wait``). Local processes and Ray
are adapters behind these five methods. A backend with a scheduler of its own (Slurm) may
instead take the whole plan at once: :class:`PlanExecutor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from shardflow.run.bound import BoundTask

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph
    from shardflow.plan import Plan
    from shardflow.run.hooks import RunHooks
    from shardflow.run.rundir import RunDir
    from shardflow.run.scheduler import LoopOutcome

#: An error in a step's own code: follows the step's failure policy and retries.
STEP = "step"
#: The worker, node or machine failed (killed, out of memory, lost): retried with backoff.
INFRA = "infra"
#: The task ran past its time limit: retried like an infrastructure failure.
TIMEOUT = "timeout"
#: The task went over its memory limit and was stopped: retried like an infrastructure failure.
MEMORY = "memory"
#: Kinds the scheduler retries with the executor's ``max_retries`` (not the step's policy).
RETRIED_AS_INFRA = (INFRA, TIMEOUT, MEMORY)


@dataclass(frozen=True)
class TaskFailure:
    """Why a task failed.

    Attributes:
        kind: :data:`STEP`, :data:`INFRA`, :data:`TIMEOUT` or :data:`MEMORY`.
        message: One line saying what happened.
        traceback: The full traceback or worker exit details, for the log and the report.
        step: The step whose code raised, when known.
    """

    kind: str
    message: str
    traceback: str = ""
    step: str | None = None


def failure_from(exc: BaseException) -> TaskFailure:
    """The failure a worker reports for an exception raised by a task.

    An error in a step's code (a ``StepError``) is :data:`STEP`, named after the step; so is
    any other error, except a storage failure that may pass by itself (a restarting or
    throttling server, a dropped connection), which is :data:`INFRA` and retried.
    """
    import traceback

    from shardflow.io.transient import is_transient_storage_error

    step = getattr(exc, "step", None)
    message = str(exc) if step is not None else f"{type(exc).__name__}: {exc}"
    trace = getattr(exc, "traceback", None) or "".join(traceback.format_exception(exc))
    kind = INFRA if is_transient_storage_error(exc) else STEP
    return TaskFailure(kind, message, trace, step)


@dataclass(frozen=True)
class Completion:
    """A task that finished: its marker content on success, or its failure."""

    task: BoundTask
    marker: dict[str, Any] | None = None
    failure: TaskFailure | None = None


class Executor(Protocol):
    """What a backend implements. See :class:`shardflow.executors.LocalExecutor`."""

    def start(self) -> None:
        """Acquire workers (processes, a cluster connection)."""

    def can_submit(self, task: BoundTask) -> bool:
        """True if ``task`` can start now within the backend's capacity."""

    def submit(self, task: BoundTask) -> None:
        """Start ``task``; its completion is reported later by :meth:`wait`."""

    def wait(self, timeout: float | None = None) -> list[Completion]:
        """Block until at least one task completes (or ``timeout`` passes); return them."""

    def shutdown(self, force: bool = False) -> None:
        """Release workers; with ``force``, kill tasks still running."""


@dataclass(frozen=True)
class PlanRun:
    """Everything a :class:`PlanExecutor` needs to run a whole plan.

    Attributes:
        plan: The compiled plan.
        graph: Its step graph (for the steps' retry and failure policies).
        rundir: The run directory.
        command: The command that resumes the run.
        max_retries: Retries of infrastructure failures per task.
        hooks: Callbacks told of task starts, completions and failures.
        dry_run: Scratch directory for a dry run's sink outputs (None: a real run).
        part_rows: Tasks commit their outputs every this many input rows (None: once).
        verify: How completed outputs are checked before reuse (``size`` or ``checksum``).
    """

    plan: "Plan"
    graph: "Graph"
    rundir: "RunDir"
    command: str
    max_retries: int
    hooks: "RunHooks"
    dry_run: str | None = None
    part_rows: int | None = None
    verify: str = "size"


@runtime_checkable
class PlanExecutor(Protocol):
    """A backend that schedules a whole plan itself, instead of task by task.

    Slurm is one: every stage is submitted up front as a job array, chained to its upstream
    stages by job dependencies, so the run goes on after the driver exits. The run's lock,
    ``run.json`` and its summary stay with :func:`~shardflow.run.runner.execute_run`.
    """

    def run_plan(self, run: PlanRun) -> "LoopOutcome | None":
        """Run ``run.plan``; return the :class:`~shardflow.run.scheduler.LoopOutcome` when it
        ended, or None when it was handed to the backend to finish on its own (detached)."""
