"""JSON Lines: ``read_jsonl`` and ``write_jsonl`` (plain, .gz, .zst)."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

import pyarrow as pa

from shardflow.graph.step import Sink, part_file
from shardflow.io import JsonlWriter, Piece, infer_compression, read_jsonl as read_jsonl_piece
from shardflow.steps.files import FileSource

EXTENSIONS = {"gzip": ".jsonl.gz", "zstd": ".jsonl.zst", None: ".jsonl"}


class JsonlReader(FileSource):
    """Read JSON Lines files; each line is a document with at least a text field.

    Args:
        paths: Files, globs or directories (plain, ``.gz`` or ``.zst``).
        text_key: The field holding the text (renamed to ``text``).
        id_key: The field holding the id (renamed to ``id``); missing ids become
            ``<file name>:<line>``.
        **kwargs: See :class:`~shardflow.steps.files.FileSource` and the step options.

    Example:
        ``docs = read_jsonl("data/*.jsonl.gz", text_key="content")``
    """

    default_name = "read_jsonl"

    def __init__(self, paths, *, text_key: str = "text", id_key: str = "id", **kwargs: Any) -> None:
        super().__init__(paths, **kwargs)
        self.text_key = text_key
        self.id_key = id_key

    def splittable(self, path: str) -> bool:
        return infer_compression(path) is None

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        return read_jsonl_piece(
            piece,
            batch_size=self.read_batch_size,
            text_key=self.text_key,
            id_key=self.id_key,
            on_error=self.on_error,
            skipped=skipped,
            storage_options=self.storage_options,
        )


class JsonlSink(Sink):
    """Write JSON Lines, one file per shard: ``<path>/<shard:05d>.jsonl[.gz|.zst]``.

    Args:
        path: Output directory (any fsspec URL).
        compression: ``"gzip"`` (default), ``"zstd"`` or None.
        level: Compression level (default: gzip 6, zstd 3).
        storage_options: fsspec options for ``path``.

    Example:
        ``kept >> write_jsonl("out/kept", compression="zstd")``
    """

    default_name = "write_jsonl"

    def __init__(self, path: str, *, compression: str | None = "gzip", level: int | None = None,
                 storage_options: dict | None = None, **options: Any) -> None:
        super().__init__(**options)
        if compression not in EXTENSIONS:
            raise ValueError(f"compression={compression!r}: use 'gzip', 'zstd' or None")
        self.path = str(path).rstrip("/")
        self.compression = compression
        self.level = level
        self.storage_options = storage_options

    def open_writer(self, shard: int, part: int = 0) -> JsonlWriter:
        return JsonlWriter(
            part_file(self.path, shard, part, EXTENSIONS[self.compression]),
            compression=self.compression,
            level=self.level,
            storage_options=self.storage_options,
        )

    def config(self) -> dict[str, Any]:
        cfg = super().config()
        cfg.pop("storage_options", None)
        return cfg


read_jsonl = JsonlReader
write_jsonl = JsonlSink
