"""Parquet: ``read_parquet`` and ``write_parquet``."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator, Sequence

import pyarrow as pa

from shardflow.io import BadInputError, ParquetWriter, Piece, read_parquet as read_parquet_piece
from shardflow.steps.files import FileSource, name_columns
from shardflow.steps.writers.base import FileSink


class ParquetReader(FileSource):
    """Read Parquet files, batch by batch.

    ``text_key`` becomes ``text`` and ``id_key`` ``id``; rows without an id get
    ``<file name>:<row>`` (0-based row in the file).

    Args:
        paths: Files, globs or directories.
        columns: Only these columns (default: all).
        **kwargs: ``text_key``, ``id_key``, ``limit``, ``skip``, ``adapter``,
            ``path_column`` ... (see :class:`~shardflow.steps.files.FileSource`) and the step
            options.

    Example:
        ``docs = read_parquet("s3://bucket/crawl/*.parquet", columns=["id", "text"])``
    """

    default_name = "read_parquet"

    def __init__(self, paths, *, columns: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(paths, **kwargs)
        self.columns = list(columns) if columns else None

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        def bad(row: int, reason: str, detail: str, hint: str | None) -> None:
            if self.on_error == "raise":
                raise BadInputError(piece.path, None, reason, f"row {row + 1} of the file: {detail}", hint)
            skipped[reason] += 1

        parser = self.record_parser(piece.path, skipped)
        first = 0
        for table in read_parquet_piece(
            piece, batch_size=self.read_batch_size, columns=self.columns,
            storage_options=self.storage_options, on_error=self.on_error, skipped=skipped,
        ):
            n = table.num_rows
            if self.adapter is not None:  # the parser checks the adapted rows against the ledger
                table = parser.records(table.to_pylist(), first)
            else:
                table = name_columns(table, piece.path, self.text_key, self.id_key, first)
                if self._ledger is not None:  # the file's columns and ids against the shard's
                    table = self._ledger.check_table(table, first, bad, lambda row: f"{piece.path}, row {row + 1}")
            first += n
            if table is not None and table.num_rows:
                yield table


class ParquetSink(FileSink):
    """Write Parquet, one file per shard: ``<path>/<shard:05d>.parquet``.

    Args:
        path: Output directory (any fsspec URL).
        compression: Parquet codec (default ``"zstd"``).
        row_group_size: Rows per row group (default: the writer's).
        filename: File name template that may use columns, e.g.
            ``"lang={language}/{shard:05d}.parquet"`` (see :class:`~shardflow.steps.writers.FileSink`).
        max_file_size: Roll over to a new part (``<shard:05d>-<part:03d>``) once a file
            holds about this many bytes (the row group being built counts at its in-memory
            size, so parts come out somewhat smaller).
        storage_options: fsspec options for ``path``.

    Example:
        ``kept >> write_parquet("out/kept", row_group_size=50_000, max_file_size=512 << 20)``
    """

    default_name = "write_parquet"

    def __init__(self, path: str, *, compression: str = "zstd", row_group_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.compression = compression
        self.row_group_size = row_group_size
        self._check_names()

    extension = ".parquet"

    def open_file(self, path: str) -> ParquetWriter:
        kwargs: dict[str, Any] = {"compression": self.compression, "storage_options": self.storage_options}
        if self.row_group_size:
            kwargs["row_group_size"] = self.row_group_size
        return ParquetWriter(path, **kwargs)


read_parquet = ParquetReader
write_parquet = ParquetSink
