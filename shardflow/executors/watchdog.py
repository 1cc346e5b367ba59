"""A worker's memory watchdog: stops the worker when its task goes over its memory limit.

The kernel's OOM killer picks a victim without saying why; this stops the right process
first, writes the reason to the task log, and exits with :data:`MEMORY_EXIT_CODE` so the
driver reports "memory limit exceeded" for that task. psutil offers no notification of
memory growth, so the watchdog samples the resident set size every ``interval`` seconds.
"""

from __future__ import annotations

import logging
import os
import threading

import psutil

#: Exit code of a worker stopped by its watchdog.
MEMORY_EXIT_CODE = 86
#: How the watchdog's last log line starts (for executors that cannot see the exit code).
MEMORY_LOG_LINE = "memory limit exceeded"


class MemoryWatchdog:
    """Samples this process's memory while a limit is set; exits the process when over it."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.limit: int | None = None
        self._wake = threading.Event()
        self._process = psutil.Process()
        threading.Thread(target=self._watch, name="shardflow-memory-watchdog", daemon=True).start()

    def watch(self, limit: int | None) -> None:
        """Start (``limit`` in bytes) or stop (None) watching, for the task about to run."""
        self.limit = limit
        if limit:
            self._wake.set()

    def _watch(self) -> None:
        while True:
            if not self.limit:
                self._wake.wait()
                self._wake.clear()
                continue
            rss = self._process.memory_info().rss
            limit = self.limit
            if limit and rss > limit:
                logging.getLogger("shardflow.task").error(
                    MEMORY_LOG_LINE + ": %d MB used, limit %d MB; stopping this worker",
                    rss >> 20, limit >> 20,
                )
                for handler in logging.getLogger().handlers:
                    handler.flush()
                os._exit(MEMORY_EXIT_CODE)
            threading.Event().wait(self.interval)
