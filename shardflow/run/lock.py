"""A lock on the run directory, so that two runs never write the same workdir.

The lock file names its holder (host, pid, process start time, command). A lock whose holder
is a dead process on this host is stale and taken over; a live holder is refused with a
message that names it.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import orjson
import psutil


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
    """Exclusive lock on a local run directory; a context manager.

    Args:
        path: The lock file's path.
        command: The command of this run, recorded for whoever finds the lock.
    """

    def __init__(self, path: str, command: str) -> None:
        self.path = path
        self.command = command
        self._held = False

    def acquire(self) -> "RunLock":
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        me = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "pid_started": _process_started(os.getpid()),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": self.command,
        }
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None or _is_stale(holder):
                    self._remove_stale(holder)
                    continue
                raise LockedError(
                    f"run directory {os.path.dirname(self.path)} is in use by pid {holder.get('pid')} "
                    f"on {holder.get('host')} since {holder.get('since')} ({holder.get('command')}). "
                    f"Wait for it to finish, or stop it; if that process is gone, delete {self.path}."
                ) from None
            with os.fdopen(fd, "wb") as f:
                f.write(orjson.dumps(me))
            self._held = True
            return self
        raise LockedError(f"could not take the lock {self.path}: another run keeps taking it")

    def _holder(self) -> dict[str, Any] | None:
        try:
            with open(self.path, "rb") as f:
                return orjson.loads(f.read())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return None

    def _remove_stale(self, holder: dict[str, Any] | None) -> None:
        # Rename first, so two runs taking over the same stale lock cannot both win.
        grave = f"{self.path}.stale-{os.getpid()}"
        try:
            os.replace(self.path, grave)
            os.unlink(grave)
        except FileNotFoundError:
            pass

    def release(self) -> None:
        if self._held:
            self._held = False
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def live_holder(path: str) -> dict[str, Any] | None:
    """Who holds the lock at ``path``, if that run is alive (None: no lock, or a stale one).

    ``shardflow status`` and the dashboard use it to tell a run in progress from a stopped one.
    """
    holder = RunLock(path, "")._holder()
    return holder if holder is not None and not _is_stale(holder) else None
