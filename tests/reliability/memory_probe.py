"""A pass-through step that measures how much its worker's memory grows during a task, for
tests that bound what a task may hold. Kept apart from the tests so that workers, which
import it to unpickle the step, import nothing else.

It reads the kernel's high-water mark of the process (``VmHWM`` in ``/proc/self/status``),
reset at the start of the task (``5`` written to ``/proc/self/clear_refs``). Not
``getrusage``: its ``ru_maxrss`` survives fork and exec, so a worker would start with its
parent's peak.
"""

from __future__ import annotations

import shardflow as sf


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


class PeakMemory(sf.Transform):
    """Passes batches on. Records, as the counters ``rss_before_kb`` and ``rss_peak_kb``,
    the worker's resident memory as the task starts and its peak once every row before this
    step was read, pushed on and written. Set up in a fresh worker: one task per worker."""

    def setup(self) -> None:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # the high-water mark starts again from the present
        self.before_kb = _status_kb("VmRSS")

    def process(self, batch):
        return batch

    def finish(self):
        self.stats.count("rss_before_kb", self.before_kb)
        self.stats.count("rss_peak_kb", _status_kb("VmHWM"))

