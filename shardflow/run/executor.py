"""The executor protocol: the only thing the scheduler loop needs from a backend.

An executor takes bound tasks (``submit``), says whether it can take one more now
(``can_submit``), and blocks until at least one finished (``wait``). Local processes, Ray
and Slurm are adapters behind these five methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from shardflow.run.bound import BoundTask

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
