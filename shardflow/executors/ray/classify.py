"""Sort what Ray raises for a task into the scheduler's failure kinds.

Errors in a step's own code never reach here: the worker catches them and reports a
:data:`~shardflow.run.executor.STEP` failure with the step's traceback. What Ray raises
when it asks for a task's result therefore means the task's worker, node or objects were
lost (retried with backoff: :data:`~shardflow.run.executor.INFRA`), except for the few
errors that say the worker can never start, which no retry would fix.
"""

from __future__ import annotations

import os

from ray import exceptions as rex

from shardflow.executors.watchdog import MEMORY_LOG_LINE
from shardflow.run.bound import BoundTask
from shardflow.run.executor import INFRA, MEMORY, STEP, TaskFailure


def classify(exc: BaseException, where: str, task: BoundTask | None = None) -> TaskFailure:
    """The failure of a task whose result Ray could not give.

    Args:
        exc: What ``ray.get`` raised.
        where: Where the task ran (node and pid), for the message.
        task: The task that was running, if one was.
    """
    detail = str(exc)
    if isinstance(exc, rex.RayActorError) and task is not None and _stopped_for_memory(task):
        limit = (task.resources or {}).get("memory") or 0
        return TaskFailure(
            MEMORY,
            f"task went over its memory limit of {limit >> 20} MB and was stopped ({where}); "
            "raise memory= on the step or process smaller batches",
            detail,
        )
    if isinstance(exc, rex.RayActorError) and exc.actor_init_failed:
        # The worker's constructor failed: shardflow or a dependency is missing on the node.
        return TaskFailure(STEP, f"the Ray worker could not start: {_first_line(detail)}", detail)
    if isinstance(exc, rex.RayTaskError):
        # Code of the worker itself raised outside a task (a bug, not the user's steps).
        return TaskFailure(STEP, f"the Ray worker failed: {type(exc.cause).__name__}: {exc.cause}", detail)
    return TaskFailure(INFRA, f"{_reason(exc, detail)} ({where})", detail)


def _reason(exc: BaseException, detail: str) -> str:
    lowered = detail.lower()
    if isinstance(exc, rex.OutOfMemoryError) or "low on memory" in lowered:
        return "the node ran low on memory and Ray killed the worker"
    if isinstance(exc, rex.RayActorError):
        if exc.preempted:
            return "the node was preempted"
        if "node has died" in lowered or "node was terminated" in lowered:
            return "the worker's node died"
        return "the worker process died"
    if isinstance(exc, rex.NodeDiedError):
        return "the worker's node died"
    if isinstance(exc, rex.ObjectLostError):
        return f"the task's result was lost ({type(exc).__name__})"
    if isinstance(exc, (rex.WorkerCrashedError, rex.LocalRayletDiedError)):
        return "the worker process crashed"
    return f"Ray failed the task: {type(exc).__name__}: {_first_line(detail)}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


def _stopped_for_memory(task: BoundTask) -> bool:
    """True if the worker's memory watchdog stopped ``task`` (its last log line says so).

    Ray does not pass on a dead worker's exit code, so the watchdog's line in the task log,
    written just before it exits, is the evidence.
    """
    if not (task.resources or {}).get("memory"):
        return False
    try:
        with open(task.log_path, "rb") as f:
            f.seek(max(0, os.path.getsize(task.log_path) - 4096))
            tail = f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return False
    return bool(tail) and MEMORY_LOG_LINE in tail[-1]
