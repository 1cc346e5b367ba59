"""Per-task logs: everything a task logs or prints goes to its own file, line-flushed.

Line buffering means the log survives a worker killed mid-task up to its last line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Iterator

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
logger = logging.getLogger("shardflow.task")


@contextlib.contextmanager
def task_log(path: str) -> Iterator[logging.Logger]:
    """Send logging records and print() output to ``path`` (appended: retries keep history)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    stream = open(path, "a", buffering=1, encoding="utf-8")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(min(old_level, logging.INFO) if old_level else logging.INFO)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = stream
    try:
        yield logger
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        root.removeHandler(handler)
        root.setLevel(old_level)
        stream.close()
