"""The local executor: long-lived worker processes on this machine.

Each worker is a process started once (spawn or forkserver) that runs tasks one at a time,
so ``setup()`` of expensive steps happens once per worker, not per task. The driver talks
to each worker over a pipe and blocks on "any pipe readable or any worker dead"; a worker
that dies mid-task is reported as an infrastructure failure and replaced.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import types
from dataclasses import dataclass
from time import monotonic
from multiprocessing.connection import Connection, wait
from typing import Sequence

from shardflow.run.bound import BoundTask
from shardflow.executors.watchdog import MEMORY_EXIT_CODE, MemoryWatchdog
from shardflow.run.executor import INFRA, MEMORY, TIMEOUT, Completion, TaskFailure


def _worker_main(conn: Connection, rank: int, gpu_ids: str | None, randomize_start: float) -> None:
    """Worker loop: receive a task, run it, send back its marker or its failure."""
    if gpu_ids is not None:
        # Set before any step imports a GPU library: they read it once, at import.
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu_ids
    os.environ["SHARDFLOW_LOCAL_RANK"] = str(rank)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver owns Ctrl-C
    from shardflow.run.malloc import tune_worker_memory
    from shardflow.run.task_runner import StepCache, run_task_reported

    tune_worker_memory()  # freed batches go back to the system, task after task

    cache = StepCache()
    watchdog = MemoryWatchdog()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        watchdog.watch((task.resources or {}).get("memory"))
        try:
            marker, failure = run_task_reported(task, cache, randomize_start)
        finally:
            watchdog.watch(None)
        conn.send(("ok", marker) if failure is None else ("fail", failure))


@dataclass
class _Worker:
    rank: int
    process: mp.process.BaseProcess
    conn: Connection
    task: BoundTask | None = None
    deadline: float | None = None  # monotonic time by which its task must end
    limit: float | None = None


class LocalExecutor:
    """Run tasks on this machine's cores with a pool of long-lived worker processes.

    Args:
        workers: How many tasks run at once (default: the number of CPU cores).
        start_method: ``"spawn"`` (default, safest) or ``"forkserver"``.
        gpus: GPUs to share out: a count (``2`` means devices 0 and 1) or a list of device
            ids. Worker of local rank ``r`` sees ``CUDA_VISIBLE_DEVICES=gpus[r % len(gpus)]``.
        randomize_start_duration: Each task first sleeps a random time up to this many
            seconds, so that many tasks do not hit storage at the same moment.
        cpus: CPU budget shared by running tasks (default: the number of cores); a stage
            whose steps ask for ``cpus=2`` takes two of it.
        time: Wall-clock limit of every task in seconds (a step's ``time=`` may lower it).
            A task over its limit is stopped, reported, and retried like a worker failure.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        start_method: str = "spawn",
        gpus: int | Sequence[int] | None = None,
        randomize_start_duration: float = 0.0,
        cpus: float | None = None,
        time: float | None = None,
    ) -> None:
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(f"start_method={start_method!r}: use 'spawn' or 'forkserver'")
        self.workers = workers
        self.start_method = start_method
        self.gpu_ids = list(range(gpus)) if isinstance(gpus, int) else list(gpus) if gpus else None
        self.randomize_start_duration = randomize_start_duration
        self.cpus = cpus
        self.time = time
        self._pool: list[_Worker] = []
        self._ctx = mp.get_context(start_method)

    # -- protocol ----------------------------------------------------------------------------
    def start(self) -> None:
        n = self.workers or os.cpu_count() or 1
        self._budget = self.cpus or max(os.cpu_count() or 1, n)
        self._pool = [self._spawn(rank) for rank in range(n)]

    def can_submit(self, task: BoundTask) -> bool:
        if not any(w.task is None for w in self._pool):
            return False
        need = (task.resources or {}).get("cpus", 1)
        used = sum((w.task.resources or {}).get("cpus", 1) for w in self._pool if w.task)
        # A task larger than the whole budget still runs, alone.
        return used + need <= self._budget or used == 0

    def submit(self, task: BoundTask) -> None:
        worker = next(w for w in self._pool if w.task is None)
        worker.task = task
        limits = [t for t in (self.time, (task.resources or {}).get("time")) if t]
        worker.limit = min(limits) if limits else None
        worker.deadline = monotonic() + worker.limit if worker.limit else None
        worker.conn.send(task)

    def wait(self, timeout: float | None = None) -> list[Completion]:
        busy = [w for w in self._pool if w.task is not None]
        if not busy:
            return []
        handles = {}
        for w in busy:
            handles[w.conn] = w
            handles[w.process.sentinel] = w
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        if deadlines:
            until = max(0.0, min(deadlines) - monotonic())
            timeout = until if timeout is None else min(timeout, until)
        done: list[Completion] = []
        for handle in wait(list(handles), timeout):
            worker = handles[handle]
            if worker.task is None:
                continue  # both its pipe and its sentinel fired; already handled
            done.append(self._collect(worker))
        now = monotonic()
        for worker in busy:
            if worker.task is not None and worker.deadline is not None and now >= worker.deadline:
                done.append(self._stop_overdue(worker))
        return done

    def _stop_overdue(self, worker: _Worker) -> Completion:
        """Kill a worker whose task ran past its time limit and report the timeout."""
        task = worker.task
        worker.task = None
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        self._pool[self._pool.index(worker)] = self._spawn(worker.rank)
        return Completion(task, failure=TaskFailure(
            TIMEOUT, f"task ran past its time limit of {worker.limit:g} s and was stopped "
            f"(worker {worker.rank}, pid {worker.process.pid})"))

    def shutdown(self, force: bool = False) -> None:
        for w in self._pool:
            if force and w.task is not None:
                w.process.kill()
            else:
                try:
                    w.conn.send(None)
                except (BrokenPipeError, OSError):
                    pass
        for w in self._pool:
            w.process.join(timeout=None if not force else 5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
        self._pool = []

    # -- internals ---------------------------------------------------------------------------
    def _spawn(self, rank: int) -> _Worker:
        parent, child = self._ctx.Pipe()
        gpu = str(self.gpu_ids[rank % len(self.gpu_ids)]) if self.gpu_ids else None
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, rank, gpu, self.randomize_start_duration),
            name=f"shardflow-worker-{rank}",
            daemon=True,
        )
        # Workers need nothing from the user's __main__ (steps arrive cloudpickled, by value),
        # so hide it while starting them: a script without `if __name__ == "__main__":` then
        # works instead of making every worker re-run it.
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            sys.modules["__main__"] = main
        child.close()
        return _Worker(rank=rank, process=process, conn=parent)

    def _collect(self, worker: _Worker) -> Completion:
        task = worker.task
        worker.task = None
        try:
            if worker.conn.poll():
                status, payload = worker.conn.recv()
                if status == "ok":
                    return Completion(task, marker=payload)
                return Completion(task, failure=payload)
        except (EOFError, OSError):
            pass
        # No answer: the worker died mid-task. Replace it and report an infrastructure failure.
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        self._pool[self._pool.index(worker)] = self._spawn(worker.rank)
        worker.conn.close()
        if code == MEMORY_EXIT_CODE:
            limit = (task.resources or {}).get("memory") or 0
            return Completion(task, failure=TaskFailure(
                MEMORY, f"task went over its memory limit of {limit >> 20} MB and was stopped "
                f"(worker {worker.rank}, pid {worker.process.pid}); raise memory= on the step or "
                "process smaller batches"))
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return Completion(
            task,
            failure=TaskFailure(INFRA, f"worker {worker.rank} (pid {worker.process.pid}) died: {how}"),
        )

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""
        return [w.process.pid for w in self._pool]
