"""Execute: the scheduler loop, the task runner, the run directory, stats and events."""

from shardflow.run.bound import BoundTask
from shardflow.run.executor import Completion, Executor, TaskFailure
from shardflow.run.result import RunFailed, RunResult, RunStats
from shardflow.run.rundir import RunDir
from shardflow.run.runner import execute_run

__all__ = [
    "BoundTask",
    "Completion",
    "Executor",
    "RunDir",
    "RunFailed",
    "RunResult",
    "RunStats",
    "TaskFailure",
    "execute_run",
]
