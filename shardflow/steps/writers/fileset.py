"""One shard's output as a set of files: partitioned by column values, rolled over at a size.

Every file goes through an io writer, so each appears complete or not at all. ``close``
commits the files still open and returns every file written (the task runner records them
in the task's manifest); ``abort`` discards the open ones and deletes the parts already
committed by a rollover, so a failed task leaves none of its files behind.
"""

from __future__ import annotations

from typing import Callable

import pyarrow as pa

from shardflow.graph.step import Writer
from shardflow.io import FileInfo, filesystem
from shardflow.io.writer import Writer as FileWriter
from shardflow.steps.writers.naming import OutputNames


class FileSetWriter(Writer):
    """Writes the rows of one shard into the files its template names.

    Args:
        directory: The sink's output directory.
        names: The parsed file name template.
        shard: The task's shard.
        open_file: Opens an io writer for a full path.
        max_file_size: Start a new part once a file holds this many bytes (None: never).
            Rows go in slices that halve as a part fills up, so a part ends within about
            one row of the limit; compressed output is measured after flushing the
            compressor, so the limit applies to the compressed size.
        storage_options: fsspec options for ``directory``.
    """

    def __init__(
        self,
        directory: str,
        names: OutputNames,
        shard: int,
        open_file: Callable[[str], FileWriter],
        max_file_size: int | None = None,
        storage_options: dict | None = None,
    ) -> None:
        self._dir = directory
        self._names = names
        self._shard = shard
        self._open_file = open_file
        self._max = max_file_size
        self._storage_options = storage_options
        self._open: dict[tuple, FileWriter] = {}
        self._parts: dict[tuple, int] = {}
        self._committed: list[FileInfo] = []

    def write(self, table: pa.Table) -> None:
        for key, rows in self._names.split(table):
            if self._max is None:
                self._writer(key).write(rows)
            else:
                self._write_rolling(key, rows)

    def _write_rolling(self, key: tuple, table: pa.Table) -> None:
        offset, n = 0, table.num_rows
        guess = max(1.0, table.nbytes / max(n, 1))  # bytes per row until a file says better
        while offset < n:
            writer = self._writer(key)
            size = writer.flushed_size()
            per_row = size / writer.rows if writer.rows and size else guess
            # Half of what still fits: slices shrink to single rows as the limit nears.
            take = max(1, int((self._max - size) / per_row / 2))
            writer.write(table.slice(offset, take))
            offset += take
            if writer.flushed_size() >= self._max:
                self._roll(key)

    def _writer(self, key: tuple) -> FileWriter:
        writer = self._open.get(key)
        if writer is None:
            part = self._parts.setdefault(key, 0)
            path = f"{self._dir}/{self._names.render(key, self._shard, part)}"
            writer = self._open[key] = self._open_file(path)
        return writer

    def _roll(self, key: tuple) -> None:
        self._committed.append(self._open.pop(key).close())
        self._parts[key] += 1

    def close(self) -> list[FileInfo]:
        for key in sorted(self._open, key=repr):
            self._committed.append(self._open.pop(key).close())
        return sorted(self._committed, key=lambda info: info.path)

    def abort(self) -> None:
        for writer in self._open.values():
            writer.abort()
        self._open.clear()
        for info in self._committed:
            fs, path = filesystem(info.path, self._storage_options)
            try:
                fs.rm(path)
            except FileNotFoundError:
                pass
        self._committed.clear()
