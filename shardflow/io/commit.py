"""Atomic commit: a file appears under its final name complete, or not at all.

Three ways, by the kind of storage (``PendingFile`` picks one):

* **Local disk**: the writer writes a hidden sibling ``.tmp-<uuid>-<basename>`` in the
  target's directory (the same directory, so the rename stays on one file system) and
  ``os.replace``-s it onto the target, after an ``fsync`` of the file and followed by one of
  the directory, so that a committed file survives a power loss.
* **Object stores** (S3, GCS, Azure; see ``objectstore.py``): there is no rename, only a
  copy, but a PUT publishes a whole object atomically. The writer writes a local spool
  file and uploads it to the final key on commit (one PUT, or a multipart upload for large
  files, which is invisible until completed). The store never holds a partial object under
  a visible name, and nothing at all until the commit.
* **Other fsspec stores** with a real rename (SFTP, HDFS, ...): the hidden sibling, then
  ``fs.mv``.

Readers never see temporary files: ``expand_paths`` skips ``.tmp-*``; and the readers of a
stage's outputs go by its completion markers, never by a listing. A writer killed before
its commit leaves a ``.tmp-*`` file or an incomplete multipart upload, which
``remove_stale_temps`` deletes when the owner of the directory restarts.
"""

from __future__ import annotations

import io
import os
import posixpath
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .fs import TEMP_PREFIX, FileInfo, filesystem, full_path, is_local
from .objectstore import abort_stale_uploads, publishes_whole_objects, spool_path

_UUID_LEN = 32  # uuid4().hex


class Checksummed(io.RawIOBase):
    """A write-only stream that passes bytes through and keeps their CRC-32.

    The checksum is what completion markers record, so that a resumed run can tell a
    committed file from a damaged one without trusting its size alone.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.crc32 = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.crc32 = zlib.crc32(data, self.crc32)
        return self.raw.write(data)

    def tell(self) -> int:
        return self.raw.tell()

    def flush(self) -> None:
        if not self.raw.closed:
            self.raw.flush()

    def fileno(self) -> int:
        return self.raw.fileno()

    def close(self) -> None:
        if self.closed:
            return
        try:
            super().close()  # flushes first
        finally:
            self.raw.close()


def file_crc32(path: str, storage_options: dict | None = None, block: int = 4 << 20) -> int:
    """CRC-32 of a stored file, read in large blocks."""
    fs, stripped = filesystem(path, storage_options)
    crc = 0
    with fs.open(stripped, "rb") as f:
        while chunk := f.read(block):
            crc = zlib.crc32(chunk, crc)
    return crc


class PendingFile:
    """A file being written under a temporary name, to be committed or aborted once.

    This is the object form of ``atomic_write``, for writers whose lifetime spans many calls.

    Attributes:
        path: The final full path.
        temp_path: Where the bytes go until the commit: a hidden sibling of the target
            (protocol stripped), or a local spool file for an object store.
        stream: The binary stream to write to. ``commit`` closes it.
    """

    def __init__(
        self, path: str, storage_options: dict | None = None, *, fsync: bool = True
    ) -> None:
        """Creates the parent directories and opens the temporary file.

        Args:
            path: Final path or URL of the file.
            storage_options: Keyword arguments for the file system.
            fsync: On the local disk, force the data to disk before the rename.
        """
        self._fs, self._target = filesystem(path, storage_options)
        self._local = is_local(self._fs)
        # Object stores: spool locally, upload on commit (see the module docstring).
        self._spooled = not self._local and publishes_whole_objects(self._fs)
        self._fsync = fsync and self._local
        parent, base = posixpath.split(self._target)
        self.path = full_path(self._fs, self._target)
        if self._spooled:
            self.temp_path = spool_path(base)
        else:
            self._fs.makedirs(parent, exist_ok=True)
            self.temp_path = posixpath.join(parent, f"{TEMP_PREFIX}{uuid.uuid4().hex}-{base}")
        # Local files bypass fsspec so that fsync and os.replace act on the real file.
        on_disk = self._local or self._spooled
        raw = open(self.temp_path, "wb") if on_disk else self._fs.open(self.temp_path, "wb")
        self.stream: BinaryIO = Checksummed(raw)
        self._state = "open"

    def commit(self) -> FileInfo:
        """Closes the stream and publishes the file under its final path.

        Returns:
            The committed file and its size.

        Raises:
            RuntimeError: The file was already committed or aborted.
        """
        if self._state != "open":
            raise RuntimeError(f"{self.path} was already {self._state}; it cannot be committed.")
        try:
            if not self.stream.closed:
                self.stream.flush()
                if self._fsync:
                    os.fsync(self.stream.fileno())
            self.stream.close()  # for other fsspec stores, this uploads
            if self._local:
                os.replace(self.temp_path, self._target)
                if self._fsync:
                    _fsync_dir(posixpath.dirname(self._target))
                size = os.path.getsize(self._target)
            elif self._spooled:
                size = os.path.getsize(self.temp_path)  # what a successful upload stored
                self._fs.put_file(self.temp_path, self._target)
                os.unlink(self.temp_path)
            else:
                self._fs.mv(self.temp_path, self._target)
                size = self._fs.info(self._target)["size"]
        except BaseException:
            self.abort()
            raise
        self._state = "committed"
        return FileInfo(self.path, int(size), self.stream.crc32)

    def read_back(self) -> BinaryIO:
        """Closes the write stream and opens the temporary file for reading, for a writer
        that must rewrite what it wrote into a new ``PendingFile``. This one stays pending
        (abort it afterwards)."""
        if not self.stream.closed:
            self.stream.close()
        if self._local or self._spooled:
            return open(self.temp_path, "rb")
        return self._fs.open(self.temp_path, "rb")

    def abort(self) -> None:
        """Closes the stream and deletes the temporary file. Does nothing once committed
        or aborted, so it is safe in cleanup paths."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self.stream.close()
        except Exception:  # the stream may be broken; the file goes anyway
            pass
        try:
            if self._spooled:
                os.unlink(self.temp_path)
            else:
                self._fs.rm(self.temp_path)
        except FileNotFoundError:
            pass


@contextmanager
def atomic_write(
    path: str, storage_options: dict | None = None, *, fsync: bool = True
) -> Iterator[BinaryIO]:
    """Opens ``path`` for writing such that it appears only complete.

    On a clean exit the data is committed (renamed onto ``path``); on an exception the
    temporary file is removed and the exception re-raised. ``path`` is never partial.

    Args:
        path: Final path or URL; parent directories are created.
        storage_options: Keyword arguments for the file system.
        fsync: On the local disk, force the data to disk before the rename.

    Yields:
        A binary stream to write to.
    """
    pending = PendingFile(path, storage_options, fsync=fsync)
    try:
        yield pending.stream
    except BaseException:
        pending.abort()
        raise
    pending.commit()


def write_bytes_atomic(
    path: str, data: bytes, storage_options: dict | None = None, *, fsync: bool = True
) -> None:
    """Writes ``data`` to ``path`` atomically (see ``atomic_write``).

    Args:
        path: Final path or URL.
        data: The complete contents.
        storage_options: Keyword arguments for the file system.
        fsync: On the local disk, force the data (and the rename) to disk. A record whose
            loss after a power cut only costs redoing work, and whose reader rejects a torn
            copy, can skip it: two fsyncs are most of the cost of a small task.
    """
    fs, target = filesystem(path, storage_options)
    if not is_local(fs) and publishes_whole_objects(fs):
        fs.pipe_file(target, data)  # one PUT: visible whole or not at all
        return
    with atomic_write(path, storage_options, fsync=fsync) as f:
        f.write(data)


def remove_stale_temps(
    directory: str, storage_options: dict | None = None, *, target_prefix: str = ""
) -> int:
    """Deletes temporary files left under ``directory`` (recursively) by killed writers.

    On an object store, writers leave no temporary objects (they spool locally), only
    incomplete multipart uploads, which are aborted; the directory is not listed.

    Only call it when no live writer uses the directory, or narrow it with
    ``target_prefix`` to the files of one task: it cannot tell a dead writer's temporary
    file from a live one's.

    Args:
        directory: Directory path or URL; a missing directory has nothing to remove.
        storage_options: Keyword arguments for the file system.
        target_prefix: Only remove temporaries whose *final* basename starts with this
            (e.g. "part-00003" removes ".tmp-<uuid>-part-00003.jsonl.gz").

    Returns:
        How many files (or incomplete uploads) were removed.
    """
    fs, root = filesystem(directory, storage_options)
    if not is_local(fs) and publishes_whole_objects(fs):
        return abort_stale_uploads(fs, root, target_prefix)
    if not fs.isdir(root):
        return 0
    removed = 0
    for name, info in fs.find(root, detail=True).items():
        base = posixpath.basename(name)
        if info.get("type", "file") == "directory" or not base.startswith(TEMP_PREFIX):
            continue
        if not base[len(TEMP_PREFIX) + _UUID_LEN + 1 :].startswith(target_prefix):
            continue
        try:
            fs.rm(name)
            removed += 1
        except FileNotFoundError:  # another cleaner got there first
            pass
    return removed


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on directories; the rename stands
        pass
    finally:
        os.close(fd)
