"""The base of every reader of files: paths (globs, directories, any fsspec URL) -> shards."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator, Sequence

import pyarrow as pa

from shardflow.graph.step import Source
from shardflow.io import InputShard, Piece, expand_paths, plan_shards


class FileSource(Source):
    """A source that reads files, balanced into shards by bytes.

    Subclasses implement :meth:`read_piece` and say whether a file can be split on record
    boundaries (:meth:`splittable`).

    Args:
        paths: A path, glob or directory, or a list of them; any fsspec URL.
        batch_size: Rows per batch emitted.
        storage_options: fsspec options (credentials, endpoint) for these paths.
        on_error: ``"raise"`` on a bad record (the error names file and line) or
            ``"skip"`` it and count it in stats under its reason.
    """

    def __init__(
        self,
        paths: str | Sequence[str],
        *,
        batch_size: int = 10_000,
        storage_options: dict[str, Any] | None = None,
        on_error: str = "raise",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error={on_error!r}: use 'raise' or 'skip'")
        self.paths = [paths] if isinstance(paths, str) else list(paths)
        self.read_batch_size = batch_size
        self.storage_options = storage_options
        self.on_error = on_error

    def splittable(self, path: str) -> bool:
        return False

    def list_shards(self, n: int | None) -> list[InputShard]:
        files = expand_paths(self.paths, self.storage_options)
        return plan_shards(files, n or len(files), self.splittable)

    def read(self, shard: InputShard) -> Iterator[pa.Table]:
        for piece in shard.pieces:
            skipped: Counter = Counter()
            yield from self.read_piece(piece, skipped)
            for reason, count in skipped.items():
                self.stats.drop(reason, count)

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        raise NotImplementedError(f"{type(self).__name__} must implement read_piece(piece, skipped)")

    def config(self) -> dict[str, Any]:
        # Credentials never enter keys or logs; the shards (paths and sizes) key the input.
        cfg = super().config()
        cfg.pop("storage_options", None)
        return cfg
