"""The lifecycle every format writer shares: write, then commit once or abort once.

A writer writes into a ``PendingFile``; ``close`` finishes the format and commits, ``abort``
throws everything away. Used as a context manager it commits on a clean exit and aborts on
an exception, so a failed or killed task never leaves a visible partial file.
"""

from __future__ import annotations

import pyarrow as pa

from .commit import PendingFile
from .errors import storage_error
from .fs import FileInfo


class Writer:
    """Base class of ``JsonlWriter``, ``ParquetWriter`` and ``IpcWriter``.

    Subclasses implement ``_write(table)`` and ``_finish()`` (complete the format in the
    pending stream, without closing it), and may override ``_discard()``.

    Attributes:
        path: The final full path.
        rows: Rows written so far.
    """

    def __init__(self, path: str, storage_options: dict | None = None, *, fsync: bool = True) -> None:
        self._storage_options = storage_options
        self._pending = PendingFile(path, storage_options, fsync=fsync)
        self.path = self._pending.path
        self.rows = 0
        self._state = "open"
        self._info: FileInfo | None = None

    def write(self, table: pa.Table | pa.RecordBatch) -> None:
        """Appends the rows of ``table``.

        Args:
            table: A table or record batch.
        """
        if self._state != "open":
            raise RuntimeError(f"Cannot write to {self.path}: the writer is {self._state}.")
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        try:
            self._write(table)
        except OSError as e:
            self.abort()
            raise storage_error(self.path, e) from e
        self.rows += table.num_rows

    @property
    def bytes_written(self) -> int:
        """Bytes written to storage so far: what a size limit (rollover) measures. Data a
        format still buffers (a compressor's block, a Parquet row group) counts once flushed,
        unless the format estimates it (see ``ParquetWriter``)."""
        return self._pending.stream.tell() if not self._pending.stream.closed else 0

    def flushed_size(self) -> int:
        """The stored size after pushing out what the format can flush without ending the
        file (a compressor's pending block): exact where ``bytes_written`` lags. Used by
        size limits; flush points depend only on the data, so output stays deterministic."""
        return self.bytes_written

    def close(self) -> FileInfo:
        """Finishes the file and commits it atomically; returns the committed file.

        Calling it again returns the same result. If finishing fails, the file is aborted.
        A write or commit that the storage refuses (``OSError``: disk full, ...) aborts the
        file and raises an ``OSError`` of the same errno that names it.
        """
        if self._state == "committed":
            return self._info
        if self._state != "open":
            raise RuntimeError(f"Cannot commit {self.path}: the writer was {self._state}.")
        try:
            self._finish()
            self._info = self._pending.commit()
        except OSError as e:
            self.abort()
            raise storage_error(self.path, e) from e
        except BaseException:
            self.abort()
            raise
        self._state = "committed"
        return self._info

    def abort(self) -> None:
        """Discards the temporary file; nothing becomes visible. Does nothing once the
        writer has committed or aborted, so it is safe in cleanup paths."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self._discard()
        finally:
            self._pending.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _write(self, table: pa.Table) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _discard(self) -> None:
        """Releases encoder state on abort; errors are irrelevant then."""
