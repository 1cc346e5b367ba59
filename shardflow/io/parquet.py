"""Parquet: columnar files, read in batches and written with one unified schema.

A Parquet file has one schema, fixed by its first row group, but the batches a pipeline
writes differ in shape (see ``schema.py``). The writer therefore buffers the first row
group and unifies over it; a later batch that fits the file's schema is conformed to it;
one that widens it (a new column, a new struct field, null becoming a type) makes the
writer rewrite the row groups written so far under the wider schema. Widening is rare once
a few thousand records have been seen, so the rewrite is rarely paid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .commit import PendingFile
from .compression import open_output
from .errors import ACCESS_ERRORS, BadInputError, unreadable
from .fs import filesystem, is_local
from .schema import conform, unify
from .shards import Piece
from .writer import Writer

_CORRUPT_HINT = (
    "The file is not valid Parquet (damaged or cut short): re-create it, or pass "
    'on_error="skip" to the reader to count it and go on with the other files.'
)


def read_parquet(
    piece: Piece,
    *,
    batch_size: int = 10_000,
    columns: Sequence[str] | None = None,
    storage_options: dict | None = None,
    on_error: str = "raise",
    skipped: Counter | None = None,
) -> Iterator[pa.Table]:
    """Reads a Parquet file as Arrow tables.

    Parquet files are read whole, so the piece must be a whole file (``plan_shards`` with
    ``splittable`` false for them): a byte range would read the same rows twice.

    Args:
        piece: The file, as a whole-file piece.
        batch_size: Rows per table, at most.
        columns: Columns to read; None for all.
        storage_options: Keyword arguments for the file system.
        on_error: "raise", or "skip": count a bad file in ``skipped`` and go on.
        skipped: Counter of skipped files by reason; required with "skip".

    Yields:
        Non-empty tables, in file order.

    Raises:
        BadInputError: With on_error="raise": the file is not valid Parquet
            ("corrupt_parquet") or cannot be read ("unreadable_file", "missing_file").
            With "skip", such a file is counted once and ends after the rows before the
            damage. (Checks across the files of a shard: ``ShardLedger.check_table``.)
    """
    if not piece.whole:
        raise ValueError(
            f"{piece.path}: Parquet files are read whole, but the piece is the byte range "
            f"[{piece.start}, {piece.end}); plan Parquet files as unsplittable."
        )
    if on_error == "skip" and skipped is None:
        raise ValueError('on_error="skip" needs skipped=collections.Counter() to count drops.')
    try:
        yield from _batches(piece, batch_size, columns, storage_options)
    except BadInputError as e:
        if on_error == "raise":
            raise
        skipped[e.reason] += 1


def _batches(piece: Piece, batch_size: int, columns, storage_options) -> Iterator[pa.Table]:
    """The file's non-empty batches; damage or no access raise ``BadInputError``."""
    try:
        fs, path = filesystem(piece.path, storage_options)
        source = path if is_local(fs) else fs.open(path, "rb")  # local: Arrow's own reader
    except ACCESS_ERRORS as e:
        raise unreadable(piece.path, e) from e
    try:
        try:
            reader = pq.ParquetFile(source)
            for batch in reader.iter_batches(batch_size=batch_size, columns=columns):
                if batch.num_rows:
                    yield pa.Table.from_batches([batch])
        except ACCESS_ERRORS as e:
            raise unreadable(piece.path, e) from e
        except IsADirectoryError:
            raise
        except (pa.ArrowInvalid, OSError) as e:
            raise BadInputError(piece.path, None, "corrupt_parquet", str(e), _CORRUPT_HINT) from e
    finally:
        if not isinstance(source, str):
            source.close()


class ParquetWriter(Writer):
    """Writes tables to one Parquet file, committed atomically on ``close``.

    Args:
        path: Final path or URL; parent directories are created.
        compression: Parquet codec ("zstd", "snappy", "gzip", "lz4", "none").
        level: Codec level; None for Arrow's default.
        row_group_size: Rows per row group, at most.
        row_group_bytes: Flush a row group once this many bytes of Arrow data are
            buffered, even if it has fewer rows (long documents).
        storage_options: Keyword arguments for the file system.
    """

    def __init__(
        self,
        path: str,
        *,
        compression: str | None = "zstd",
        level: int | None = None,
        row_group_size: int = 100_000,
        row_group_bytes: int = 128 << 20,
        storage_options: dict | None = None,
    ) -> None:
        super().__init__(path, storage_options)
        self._options = {"compression": compression or "none", "compression_level": level}
        self._row_group_size = row_group_size
        self._row_group_bytes = row_group_bytes
        self._file: pq.ParquetWriter | None = None  # opened by the first row group
        self._schema: pa.Schema | None = None
        self._buffer: list[pa.Table] = []
        self._buffered_rows = 0
        self._buffered_bytes = 0

    @property
    def bytes_written(self) -> int:
        """Row groups flushed so far plus the buffered one at its in-memory (Arrow) size,
        which is larger than it will be on disk: a size limit errs on the small side."""
        return super().bytes_written + self._buffered_bytes

    def _write(self, table: pa.Table) -> None:
        if self._file is not None and not table.schema.equals(self._schema):
            wider = unify([self._schema, table.schema])
            if not wider.equals(self._schema):
                self._rewrite(wider)
            table = conform(table, self._schema)
        self._buffer.append(table)
        self._buffered_rows += table.num_rows
        self._buffered_bytes += table.nbytes
        if (
            self._buffered_rows >= self._row_group_size
            or self._buffered_bytes >= self._row_group_bytes
        ):
            self._flush()

    def _flush(self) -> None:
        if self._file is None:
            self._schema = unify(self._buffer) if self._buffer else pa.schema([])
            self._file = self._open(self._pending, self._schema)
        if self._buffer:
            table = pa.concat_tables([conform(t, self._schema) for t in self._buffer])
            if table.num_rows:
                self._file.write_table(table, row_group_size=self._row_group_size)
        self._buffer, self._buffered_rows, self._buffered_bytes = [], 0, 0

    def _open(self, pending: PendingFile, schema: pa.Schema) -> pq.ParquetWriter:
        # The pass-through keeps Arrow from closing the stream that the commit must close.
        return pq.ParquetWriter(open_output(pending.stream, None, None), schema, **self._options)

    def _rewrite(self, schema: pa.Schema) -> None:
        """Moves what was written into a new file with the wider ``schema``."""
        self._file.close()
        old, new = self._pending, PendingFile(self.path, self._storage_options)
        try:
            writer = self._open(new, schema)
            with old.read_back() as f:
                written = pq.ParquetFile(f)
                for i in range(written.num_row_groups):
                    writer.write_table(conform(written.read_row_group(i), schema))
        except BaseException:
            new.abort()
            raise
        old.abort()
        self._pending, self._file, self._schema = new, writer, schema
        self._buffer = [conform(t, schema) for t in self._buffer]

    def _finish(self) -> None:
        self._flush()
        self._file.close()

    def _discard(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except Exception:  # the file is being thrown away
                pass
