"""A lock on the run directory, so that two runs never write the same workdir.

The lock file names its holder (host, pid, process start time, command). A lock whose holder
is a dead process on this host is stale and taken over; a live holder is refused with a
message that names it.

On a local disk the lock is created with ``O_EXCL`` and a stale one is renamed away before
it is taken over. On S3 both steps are conditional PUTs, atomic on the server: creation with
``If-None-Match: *`` (exactly one of two runs creates it) and take-over with ``If-Match``
on the stale lock's ETag (exactly one of two runs replaces it). Other object stores have no
conditional writes in fsspec: there the lock is a check-then-write, which keeps out a
second run started later but not one started in the same instant.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import orjson
import psutil

from shardflow.io import filesystem
from shardflow.io.fs import is_local
from shardflow.io.objectstore import create_exclusive, etag, replace_if_unchanged


class LockedError(RuntimeError):
    """The run directory is held by another live run."""


def _process_started(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _is_stale(holder: dict[str, Any]) -> bool:
    if holder.get("host") != socket.gethostname():
        return False  # cannot see that host's processes: assume alive
    started = _process_started(int(holder.get("pid", -1)))
    # A reused pid has another start time: the holder is gone.
    return started is None or abs(started - holder.get("pid_started", started)) > 1.0


class RunLock:
    """Exclusive lock on a run directory (local or an object store); a context manager.

    Args:
        path: The lock file's path or URL.
        command: The command of this run, recorded for whoever finds the lock.
        storage_options: fsspec options, for a lock on an object store.
    """

    def __init__(self, path: str, command: str, storage_options: dict | None = None) -> None:
        self.path = path
        self.command = command
        self._fs, self._key = filesystem(path, storage_options)
        self._local = is_local(self._fs)
        self._held = False

    def acquire(self) -> "RunLock":
        me = orjson.dumps({
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "pid_started": _process_started(os.getpid()),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": self.command,
        })
        if self._local:
            os.makedirs(os.path.dirname(self._key), exist_ok=True)
        for _ in range(3):
            if self._create(me):
                self._held = True
                return self
            holder, tag = self._holder()
            if holder is None or _is_stale(holder):
                if self._take_over(holder, tag, me):
                    self._held = True
                    return self
                continue
            raise LockedError(
                f"run directory {self.path.rsplit('/', 1)[0]} is in use by pid {holder.get('pid')} "
                f"on {holder.get('host')} since {holder.get('since')} ({holder.get('command')}). "
                f"Wait for it to finish, or stop it; if that process is gone, delete {self.path}."
            )
        raise LockedError(f"could not take the lock {self.path}: another run keeps taking it")

    def _create(self, data: bytes) -> bool:
        if not self._local:
            return create_exclusive(self._fs, self._key, data)
        try:
            fd = os.open(self._key, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return True

    def _holder(self) -> tuple[dict[str, Any] | None, str | None]:
        """The holder's record (None if unreadable) and, on S3, the lock's ETag."""
        try:
            tag = None if self._local else etag(self._fs, self._key)
            raw = self._fs.cat_file(self._key)
        except FileNotFoundError:
            return None, None
        try:
            return orjson.loads(raw), tag
        except orjson.JSONDecodeError:  # torn by a crash (local disk): as good as stale
            return None, tag

    def _take_over(self, holder: dict[str, Any] | None, tag: str | None, data: bytes) -> bool:
        """Replaces a stale lock by ours; False if someone else changed it first."""
        if not self._local:
            if holder is None and tag is None:
                return False  # gone meanwhile: try to create it again
            return replace_if_unchanged(self._fs, self._key, data, tag)
        # Rename first, so two runs taking over the same stale lock cannot both win.
        grave = f"{self._key}.stale-{os.getpid()}"
        try:
            os.replace(self._key, grave)
            os.unlink(grave)
        except FileNotFoundError:
            pass
        return False  # the lock is free now: create it in the next round

    def release(self) -> None:
        if self._held:
            self._held = False
            try:
                self._fs.rm_file(self._key)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def live_holder(path: str, storage_options: dict | None = None) -> dict[str, Any] | None:
    """Who holds the lock at ``path``, if that run is alive (None: no lock, or a stale one).

    ``shardflow status`` and the dashboard use it to tell a run in progress from a stopped one.
    """
    holder, _ = RunLock(path, "", storage_options)._holder()
    return holder if holder is not None and not _is_stale(holder) else None
