"""Parquet: ``read_parquet`` and ``write_parquet``."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator, Sequence

import pyarrow as pa

from shardflow.graph.step import Sink, part_file
from shardflow.io import ParquetWriter, Piece, read_parquet as read_parquet_piece
from shardflow.steps.files import FileSource


class ParquetReader(FileSource):
    """Read Parquet files, batch by batch.

    Args:
        paths: Files, globs or directories.
        columns: Only these columns (default: all).
        **kwargs: See :class:`~shardflow.steps.files.FileSource` and the step options.

    Example:
        ``docs = read_parquet("s3://bucket/crawl/*.parquet", columns=["id", "text"])``
    """

    default_name = "read_parquet"

    def __init__(self, paths, *, columns: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(paths, **kwargs)
        self.columns = list(columns) if columns else None

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        return read_parquet_piece(
            piece, batch_size=self.read_batch_size, columns=self.columns, storage_options=self.storage_options
        )


class ParquetSink(Sink):
    """Write Parquet, one file per shard: ``<path>/<shard:05d>.parquet``.

    Args:
        path: Output directory (any fsspec URL).
        compression: Parquet codec (default ``"zstd"``).
        row_group_size: Rows per row group (default: the writer's).
        storage_options: fsspec options for ``path``.

    Example:
        ``kept >> write_parquet("out/kept")``
    """

    default_name = "write_parquet"

    def __init__(self, path: str, *, compression: str = "zstd", row_group_size: int | None = None,
                 storage_options: dict | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.path = str(path).rstrip("/")
        self.compression = compression
        self.row_group_size = row_group_size
        self.storage_options = storage_options

    def open_writer(self, shard: int, part: int = 0) -> ParquetWriter:
        kwargs: dict[str, Any] = {"compression": self.compression, "storage_options": self.storage_options}
        if self.row_group_size:
            kwargs["row_group_size"] = self.row_group_size
        return ParquetWriter(part_file(self.path, shard, part, ".parquet"), **kwargs)

    def config(self) -> dict[str, Any]:
        cfg = super().config()
        cfg.pop("storage_options", None)
        return cfg


read_parquet = ParquetReader
write_parquet = ParquetSink
