"""Real Ray for tests: a local instance or a loopback cluster, stopped by pid afterwards.

Ray 2.60 on these machines: token auth is on by default (turned off here, as the driver
and the nodes all run in this test), it replaces 127.0.0.1 with the machine's interface
address (so every node gets its own 127.0.0.x), and its temp dir holds the address of the
"current cluster" (so each test module gets a private one and never touches another
engineer's Ray). Never ``ray stop``: it would kill every Ray process on the machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Iterator

import psutil
import pytest

ray = pytest.importorskip("ray")

#: Small object stores: tests move little data through them, and the machine is shared.
OBJECT_STORE = 100 * 1024**2
ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def _descendants() -> set[int]:
    """Pids of this process's descendants, less Python's own multiprocessing helpers
    (resource tracker, forkserver), which live as long as this process by design."""
    pids = set()
    for p in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "from multiprocessing." not in " ".join(p.cmdline()):
                pids.add(p.pid)
    return pids


class ProcessTracker:
    """Remembers the processes this test process started (gcs, raylets, workers, ...)."""

    def __init__(self) -> None:
        self.before = _descendants()
        self.started: set[int] = set()

    def snapshot(self) -> set[int]:
        """Record the processes started since; call it before stopping them."""
        self.started |= _descendants() - self.before
        return self.started


@contextlib.contextmanager
def ray_processes() -> Iterator[ProcessTracker]:
    """Set Ray's environment; afterwards, check every process started inside is gone.

    The body calls ``snapshot()`` before it stops Ray. Processes still alive 20 s after the
    body ended (it must stop what it started) are killed by pid, and the check fails
    naming them.
    """
    saved = {k: os.environ.get(k) for k in (*ENV, "RAY_TMPDIR")}
    temp = tempfile.mkdtemp(prefix="sfray", dir="/tmp")  # short: Ray's socket paths are limited
    os.environ.update(ENV, RAY_TMPDIR=temp)
    tracker = ProcessTracker()
    try:
        yield tracker
    finally:
        started = tracker.snapshot()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    procs = []
    for pid in started:
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(pid))
    _, alive = psutil.wait_procs(procs, timeout=20)
    alive = [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    names = [f"{p.pid} {' '.join(p.cmdline())[:120]}" for p in alive]
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    shutil.rmtree(temp, ignore_errors=True)
    assert not names, f"Ray processes left running after the tests (now killed): {names}"


@contextlib.contextmanager
def local_ray(num_cpus: int = 2) -> Iterator[None]:
    """A single-node Ray on 127.0.0.2, started by this process and shut down after."""
    with ray_processes() as tracker:
        ray.init(
            num_cpus=num_cpus,
            _node_ip_address="127.0.0.2",
            include_dashboard=False,
            object_store_memory=OBJECT_STORE,
            log_to_driver=False,
        )
        try:
            yield
        finally:
            tracker.snapshot()
            ray.shutdown()


@contextlib.contextmanager
def loopback_cluster(cpus: list[int]) -> Iterator["ray.cluster_utils.Cluster"]:
    """A Ray cluster of ``len(cpus)`` nodes on 127.0.0.2, .3, ...; this process is its driver.

    Every node but the head also has one unit of the custom resource ``worker_node``, so a
    test can keep work off the head (which it must not remove).
    """
    from ray.cluster_utils import Cluster

    with ray_processes() as tracker:
        cluster = Cluster()
        try:
            for i, n in enumerate(cpus):
                add_node(cluster, f"127.0.0.{i + 2}", n, head=i == 0)
            ray.init(address=cluster.address, log_to_driver=False)
            yield cluster
        finally:
            tracker.snapshot()
            ray.shutdown()
            cluster.shutdown()


def add_node(cluster, ip: str, cpus: int, head: bool = False):
    """Add a node on ``ip`` to ``cluster`` (see :func:`loopback_cluster`)."""
    return cluster.add_node(
        num_cpus=cpus,
        node_ip_address=ip,
        object_store_memory=OBJECT_STORE,
        include_dashboard=False,
        resources={} if head else {"worker_node": 1},
    )
