"""A file system that fails on purpose: the local disk under the protocol ``faulty://``.

``faulty:///abs/path`` is the local file ``/abs/path``, except that

* opening a file whose path contains one of ``Faults.deny_read`` for reading raises
  ``PermissionError``, as a file of another user does (tests run as root, whom ``chmod
  000`` does not stop);
* while the file ``Faults.disk_full_while`` exists, every write to a file whose path
  contains one of ``Faults.disk_full_for`` (any file, if empty) raises ``OSError(ENOSPC)``
  after the file was opened, as a full disk does; delete the flag and the disk has room.

Pass ``storage_options={"faults": Faults(...)}`` with the path. Tasks run in spawned worker
processes, which know nothing of what the test registered; they learn the protocol when
they unpickle a step whose storage options hold a ``Faults``: unpickling it imports this
module, and importing it registers the protocol.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass

import fsspec
from fsspec.implementations.dirfs import DirFileSystem
from fsspec.implementations.local import LocalFileSystem

PROTOCOL = "faulty"


@dataclass(frozen=True)
class Faults:
    """Which faults ``FaultyFileSystem`` injects.

    Attributes:
        deny_read: Substrings of paths that cannot be opened for reading.
        disk_full_while: A local path; while a file exists there, writes fail with ENOSPC.
        disk_full_for: Substrings of the paths whose writes fail (empty: all paths); a
            writer's temporary file ``.tmp-<uuid>-NAME`` is matched as ``NAME``.
    """

    deny_read: tuple[str, ...] = ()
    disk_full_while: str | None = None
    disk_full_for: tuple[str, ...] = ()


class _FullDisk:
    """Wraps a writable file: every write fails with ENOSPC while the flag file exists."""

    def __init__(self, f, flag: str) -> None:
        self._f = f
        self._flag = flag

    def write(self, data) -> int:
        if os.path.exists(self._flag):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._f.close()


class FaultyFileSystem(DirFileSystem):
    """The local disk with the faults of ``faults`` (see the module docstring)."""

    protocol = PROTOCOL

    def __init__(self, faults: Faults = Faults(), **kwargs) -> None:
        super().__init__(path="/", fs=LocalFileSystem(), **kwargs)
        self.path = ""  # no prefix: a path is the local absolute path itself
        self.faults = faults

    def _join(self, path):
        # DirFileSystem with no prefix passes paths on as given, protocol and all; the local
        # file system would take "faulty:///x" for a relative path.
        if isinstance(path, str):
            return self._strip_protocol(path)
        if isinstance(path, dict):
            return {self._join(p): v for p, v in path.items()}
        return [self._join(p) for p in path]

    def open(self, path, mode="rb", *args, **kwargs):
        path = self._strip_protocol(path)
        if "r" in mode and any(s in path for s in self.faults.deny_read):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        f = super().open(path, mode, *args, **kwargs)
        faults = self.faults
        if "w" in mode and faults.disk_full_while:
            final = re.sub(r"\.tmp-[0-9a-f]{32}-", "", path)
            if not faults.disk_full_for or any(s in final for s in faults.disk_full_for):
                return _FullDisk(f, faults.disk_full_while)
        return f


fsspec.register_implementation(PROTOCOL, FaultyFileSystem, clobber=True)


def local(path: str) -> str:
    """The local path of a ``faulty://`` URL."""
    prefix = f"{PROTOCOL}://"
    return path[len(prefix):] if path.startswith(prefix) else path
