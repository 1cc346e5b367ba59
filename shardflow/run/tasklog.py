"""Per-task logs: everything a task logs or prints goes to its own file, line-flushed.

Line buffering means the log survives a worker killed mid-task up to its last line.

A log in a run directory on an object store (which cannot append) is written to a local
file and uploaded whole: when the task ends, and every ``upload_every`` seconds while it
runs, so that the log of a worker killed outright still reaches the run directory up to its
last upload. A retry first downloads the log of earlier attempts, so history is kept as on
a local disk.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from typing import Iterator

from shardflow.io import filesystem
from shardflow.io.fs import is_local

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
logger = logging.getLogger("shardflow.task")

#: Storage clients whose debug records carry signed request headers (the access key) and
#: client set-up arguments: never written to a task log below WARNING, whatever the level.
_STORAGE_CLIENTS = ("botocore", "aiobotocore", "boto3", "s3fs", "urllib3", "aiohttp", "gcsfs", "adlfs", "azure")

#: Seconds between two uploads of a running task's log to an object store.
UPLOAD_EVERY = 10.0


@contextlib.contextmanager
def task_log(
    path: str, storage_options: dict | None = None, upload_every: float = UPLOAD_EVERY
) -> Iterator[logging.Logger]:
    """Send logging records and print() output to ``path`` (appended: retries keep history).

    Args:
        path: The log's path or URL.
        storage_options: fsspec options for a URL.
        upload_every: For a URL, seconds between uploads while the task runs.
    """
    fs, target = filesystem(path, storage_options)
    if is_local(fs):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with _capture(target) as log:
            yield log
        return
    fd, local = tempfile.mkstemp(prefix="shardflow-log-", suffix=".log")
    os.close(fd)
    try:
        with contextlib.suppress(FileNotFoundError):
            fs.get_file(target, local)  # earlier attempts' lines
        with _Uploader(fs, local, target, upload_every), _capture(local) as log:
            yield log
    finally:
        os.unlink(local)


@contextlib.contextmanager
def _capture(local_path: str) -> Iterator[logging.Logger]:
    stream = open(local_path, "a", buffering=1, encoding="utf-8")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(_no_storage_client_chatter)
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


def _no_storage_client_chatter(record: logging.LogRecord) -> bool:
    if record.levelno >= logging.WARNING:
        return True
    return record.name.split(".", 1)[0] not in _STORAGE_CLIENTS


class _Uploader:
    """Uploads a local log to its object every few seconds, and once more at the end."""

    def __init__(self, fs, local: str, target: str, every: float) -> None:
        self.fs, self.local, self.target, self.every = fs, local, target, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="shardflow-log-upload", daemon=True)
        self._uploaded_size = -1

    def __enter__(self) -> "_Uploader":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._upload(final=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._upload(final=False)

    def _upload(self, final: bool) -> None:
        size = os.path.getsize(self.local)
        if size == self._uploaded_size:
            return
        try:
            self.fs.put_file(self.local, self.target)
            self._uploaded_size = size
        except Exception as exc:  # noqa: BLE001 - a log must never fail the task
            if final:  # the task's outcome is already decided: say so on the worker's stderr
                print(f"shardflow: could not upload the task log to {self.target}: {exc}", file=sys.__stderr__)
            # Otherwise not logged: the log being uploaded is where it would go. The next try follows.
