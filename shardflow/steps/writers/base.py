"""What every file sink shares: an output directory, file names, a size limit, credentials."""

from __future__ import annotations

from typing import Any

from shardflow.graph.step import Sink, Writer, part_file
from shardflow.io.writer import Writer as FileWriter
from shardflow.steps.writers.fileset import FileSetWriter
from shardflow.steps.writers.naming import OutputNames


class FileSink(Sink):
    """A sink writing files under ``path``; subclasses say how to open one file.

    By default each shard writes one file, ``<path>/<shard:05d><extension>``. ``filename``
    names files from a template that may use columns (``{language}/{shard:05d}.jsonl.gz``
    writes one file per language and shard); ``max_file_size`` rolls a file over to a new
    part once it holds that many bytes (``00003-000.jsonl.gz``, ``00003-001.jsonl.gz``...).

    Args:
        path: Output directory (any fsspec URL).
        filename: File name template relative to ``path`` (see
            :mod:`shardflow.steps.writers.naming`); None: ``{shard:05d}<extension>``.
        max_file_size: Bytes after which a file is closed and the next part begun (None:
            no limit).
        storage_options: fsspec options for ``path``.
    """

    def __init__(self, path: str, *, filename: str | None = None, max_file_size: int | None = None,
                 storage_options: dict | None = None, **options: Any) -> None:
        super().__init__(**options)
        if max_file_size is not None and max_file_size <= 0:
            raise ValueError(f"max_file_size={max_file_size} must be a positive number of bytes (or None)")
        self.path = str(path).rstrip("/")
        self.filename = filename
        self.max_file_size = max_file_size
        self.storage_options = storage_options

    @property
    def extension(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define extension")

    def open_file(self, path: str) -> FileWriter:
        """Open the io writer of one output file."""
        raise NotImplementedError(f"{type(self).__name__} must implement open_file(path)")

    def _check_names(self) -> OutputNames | None:
        """The parsed template (None: one file per shard). Subclasses call it at the end of
        ``__init__``, once ``extension`` is known, so a bad template fails when declared."""
        if self.filename is None and self.max_file_size is None:
            return None
        template = self.filename or "{shard:05d}" + self.extension
        return OutputNames(template, self.extension, rollover=self.max_file_size is not None)

    def open_writer(self, shard: int, part: int = 0) -> Writer:
        """The writer of commit part ``part`` of ``shard`` (later parts get a ``-pNNNNN`` suffix)."""
        names = self._check_names()
        if names is None:
            return self.open_file(part_file(self.path, shard, part, self.extension))

        def open_part_file(path: str) -> FileWriter:
            if part:
                path = path[: -len(self.extension)] + f"-p{part:05d}" + self.extension
            return self.open_file(path)

        return FileSetWriter(self.path, names, shard, open_part_file, self.max_file_size, self.storage_options)

    def config(self) -> dict[str, Any]:
        cfg = super().config()
        cfg.pop("storage_options", None)
        return cfg
