"""Following a Slurm run from the driver: watch each round, then submit the next.

Slurm has no push notification, so the driver polls: one ``squeue`` call and a look at the
markers of the round's tasks every ``poll_interval`` seconds. This is the one place in
shardflow that sleep-polls, and it polls the cluster's own state at a modest rate.

Ctrl-C once: the round's elements that have not started are cancelled, running ones finish
and commit, and no further round is submitted. Twice: every job of the round is cancelled.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

from shardflow.executors.slurm.queue import scancel
from shardflow.executors.slurm.rounds import RoundSpec, SlurmRun
from shardflow.run.scheduler import LoopOutcome


def follow(run: SlurmRun, rnd: RoundSpec, poll_interval: float) -> LoopOutcome:
    """Submit ``rnd`` and every round after it, waiting for each; return the run's outcome."""
    interrupts = 0
    with _ctrl_c_raises():
        while True:
            run.submit(rnd)
            interrupts = _wait(run, rnd, poll_interval, interrupts)
            nxt = run.advance(rnd, interrupted=interrupts > 0)
            if isinstance(nxt, LoopOutcome):
                return nxt
            rnd = nxt


@contextlib.contextmanager
def _ctrl_c_raises():
    """Make Ctrl-C raise KeyboardInterrupt here even if the process inherited it ignored.

    A process started in the background by a shell (or by a CI runner) starts with SIGINT
    ignored, and Python then installs no KeyboardInterrupt handler; the local scheduler sets
    its own handler for the same reason.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _wait(run: SlurmRun, rnd: RoundSpec, poll_interval: float, interrupts: int) -> int:
    """Block until every job of the round has left the queue; return the Ctrl-C count."""
    while interrupts < 2:
        try:
            while run.poll(rnd):
                time.sleep(poll_interval)
            return interrupts
        except KeyboardInterrupt:
            interrupts += 1
            run.rundir.append_event("interrupt", count=interrupts, jobs=sorted(run.job_ids.values()))
            run.hooks.on_interrupt(interrupts)
            scancel(run.job_ids.values(), pending_only=interrupts == 1)
    return interrupts
