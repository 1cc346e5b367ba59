"""Failure policy: whether a failed task is retried, and when; whether the run stops.

Pure functions shared by every scheduling loop (the in-process scheduler, and the rounds of a
Slurm run that decide between job submissions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shardflow.run.executor import RETRIED_AS_INFRA, TaskFailure

if TYPE_CHECKING:
    from shardflow.graph.step import StepOptions


def retry_delay(
    failure: TaskFailure,
    attempt: int,
    options: "StepOptions | None",
    max_retries: int,
    retry_backoff: float,
) -> float | None:
    """Seconds until the retry of a task that failed at ``attempt``, or None: no retry.

    Args:
        failure: Why it failed.
        attempt: The attempt that failed (1 for the first try).
        options: The options of the step whose code failed (None when unknown).
        max_retries: Retries of infrastructure failures, timeouts and memory overruns.
        retry_backoff: Seconds before the first infrastructure retry; doubled each time.
    """
    if failure.kind in RETRIED_AS_INFRA:
        limit, base = max_retries, retry_backoff
    elif options is None:
        return None
    else:
        # An error in a step's code is retried only if that step asks for it.
        limit, base = options.retries, options.retry_backoff
    if attempt > limit:
        return None
    return base * 2 ** (attempt - 1)


def failure_policy(options: "StepOptions | None") -> str:
    """``fail_fast`` or ``continue``: what a final failure of this step does to the run."""
    return options.on_failure if options is not None else "fail_fast"
