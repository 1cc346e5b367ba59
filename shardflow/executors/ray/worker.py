"""The Ray actor that runs shardflow tasks: one per worker slot, long-lived.

It keeps a :class:`~shardflow.run.task_runner.StepCache`, so a step's ``setup()`` (a model,
a tokenizer) runs once per actor, not once per task, as in the local executor's workers.
A call runs a *job*: one or more tasks in sequence (``tasks_per_job``). It streams events
back as they happen (a Ray streaming generator), so the driver learns when each task
starts (its time limit counts from there) and gets each result as soon as it exists.

Events: ``("start", i, where)`` then ``("done", i, marker)`` or ``("fail", i, failure)``
for the job's i-th task. Each task's log goes straight to its file in the run directory,
line by line, so it survives the actor being killed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from typing import Any, Iterator

import ray

from shardflow.executors.watchdog import MemoryWatchdog
from shardflow.run.bound import BoundTask
from shardflow.run.malloc import tune_worker_memory
from shardflow.run.task_runner import StepCache, run_task_reported
from shardflow.run.tasklog import LOG_FORMAT

#: Comma-separated IPs of the nodes of a multi-node task, in bundle order (first: this one).
NODE_IPS_ENV = "SHARDFLOW_NODE_IPS"


class TaskWorker:
    """Runs jobs of bound tasks inside one Ray actor.

    Args:
        randomize_start: Each task first sleeps a random time up to this many seconds.
    """

    def __init__(self, randomize_start: float = 0.0) -> None:
        tune_worker_memory()
        self._cache = StepCache()
        self._watchdog = MemoryWatchdog()
        self._randomize_start = randomize_start
        self._where = f"{_node_ip()} pid {os.getpid()}"
        os.environ[NODE_IPS_ENV] = _group_node_ips() or _node_ip()

    def where(self) -> str:
        """The node and process this actor runs in (answers once Ray has placed it)."""
        return self._where

    def run_job(self, tasks: list[BoundTask], echo: list[bool]) -> Iterator[tuple[str, int, Any]]:
        """Run ``tasks`` in order; yield each one's start and its marker or failure.

        Args:
            tasks: The job's tasks.
            echo: For each task, whether its log also goes to this actor's stderr, which Ray
                forwards to the driver's console (``log_first``).
        """
        for i, task in enumerate(tasks):
            yield ("start", i, self._where)
            # Ray's memory= only reserves; like local workers, a step's memory= is also a limit.
            self._watchdog.watch((task.resources or {}).get("memory"))
            try:
                with _echo_log(echo[i]):
                    marker, failure = run_task_reported(task, self._cache, self._randomize_start)
            finally:
                self._watchdog.watch(None)
            yield ("done", i, marker) if failure is None else ("fail", i, failure)


@contextlib.contextmanager
def _echo_log(enabled: bool) -> Iterator[None]:
    """Copy log records to the process's real stderr for the duration of one task."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.__stderr__)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)


def _node_ip() -> str:
    try:
        return ray.util.get_node_ip_address()
    except Exception:  # noqa: BLE001 - only used in messages
        return socket.gethostname()


def _group_node_ips() -> str | None:
    """IPs of the nodes of this actor's placement group, in bundle order, if it has one."""
    group = ray.util.get_current_placement_group()
    if group is None:
        return None
    table = ray.util.placement_group_table(group)
    node_of_bundle = table.get("bundles_to_node_id", {})
    ips = {n["NodeID"]: n["NodeManagerAddress"] for n in ray.nodes()}
    return ",".join(ips.get(node_of_bundle.get(i), "?") for i in range(len(table.get("bundles", {}))))
