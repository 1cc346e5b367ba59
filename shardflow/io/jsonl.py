"""JSON Lines: one JSON object per line, optionally gzip or zstd compressed.

Reading follows the byte-range rule of ``lines.py``; parsing and checking are in
``records.py``. Writing serialises each row with orjson, columns in table order.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import accumulate

import orjson
import pyarrow as pa

from .compression import COMPRESSIONS, infer_compression, open_input, open_output
from .errors import ACCESS_ERRORS, BadInputError, storage_error, unreadable
from .ledger import ShardLedger
from .lines import count_newlines, owned_lines
from .records import RecordParser
from .shards import Piece
from .writer import Writer

ON_ERROR = ("raise", "skip")
MAX_LINE_BYTES = 64 << 20
"""Default limit of one line: far above any real document, and a line that long (a file
with no newlines, say) is held about three times over while it is parsed."""

BATCH_BYTES = 4 << 20
"""Default cap on the JSON bytes of one batch. Peak memory is many times a batch (the
parsed Python objects, Arrow's conversion of them, and on the way out the rows again and
their JSON), so rows alone do not bound it: 10,000 long documents are 50 MB of JSON and
made a worker peak at 900 MB. Reading and writing one en_docs file in one process peaks at
530 MB with rows alone, 310 MB at 8 MB and 245 MB at 4 MB (82 MB of it the interpreter and
libraries), at the same CPU time: batches of 4 MB are large enough that per-batch costs
vanish."""


def read_jsonl(
    piece: Piece,
    *,
    batch_size: int = 10_000,
    batch_bytes: int | None = BATCH_BYTES,
    text_key: str = "text",
    id_key: str = "id",
    on_error: str = "raise",
    skipped: Counter | None = None,
    storage_options: dict | None = None,
    max_line_bytes: int | None = MAX_LINE_BYTES,
    ledger: ShardLedger | None = None,
    adapter: Callable[[dict], dict | None] | None = None,
) -> Iterator[pa.Table]:
    """Reads the records of a JSONL file or byte range as Arrow tables.

    Every line whose first byte lies in the piece is read (see ``lines.py``). Blank lines
    are ignored; a UTF-8 BOM and CRLF line ends are accepted. ``text_key`` becomes "text"
    and ``id_key`` "id"; ids are strings, and a record without one gets
    "<basename>:<line>" (1-based line number in the file), the same whatever the sharding.

    Args:
        piece: The file or byte range (byte ranges only for uncompressed files).
        batch_size: Lines per table (so at most that many rows).
        batch_bytes: A table also ends at the line that brings its JSON to this many bytes
            (None: ``batch_size`` alone), which bounds memory on long documents.
        text_key: Field holding the document text.
        id_key: Field holding the document id.
        on_error: "raise" to stop at the first bad record with a ``BadInputError`` naming
            file and line, or "skip" to count it in ``skipped`` and go on.
        skipped: Counter of skipped records by reason; required with "skip".
        storage_options: Keyword arguments for the file system.
        max_line_bytes: A longer line is a bad record ("line_too_long"), skipped without
            being held in memory; None for no limit.
        ledger: Column types and ids of the shard so far, shared by the pieces of one shard
            (see ``ledger.py``): a field whose type differs from earlier records is a bad
            record ("type_conflict"), and repeated ids are counted in it or, with its
            ``unique_ids``, bad records ("duplicate_id"). None: batches stand alone.
        adapter: ``adapter(record) -> dict | None``, called on each parsed record before
            the checks, which then apply to the row it returns (see
            :class:`~shardflow.io.records.RecordParser`); needs ``skipped``.

    Yields:
        Non-empty tables of at most ``batch_size`` rows, in file order.

    Raises:
        BadInputError: A bad record ("invalid_json", "invalid_utf8", "nul_bytes",
            "line_too_long", "not_object", "missing_text", "text_not_string", "bad_id",
            "type_conflict", "duplicate_id", "adapter_error", "adapter_no_text") with on_error="raise"; or a corrupt compressed
            file ("corrupt_compressed") or one that cannot be read ("unreadable_file",
            "missing_file"), which with "skip" is counted once and ends the file after
            yielding every record before the damage.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}.")
    if on_error == "skip" and skipped is None:
        raise ValueError('on_error="skip" needs skipped=collections.Counter() to count drops.')
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if batch_bytes is not None and batch_bytes < 1:
        raise ValueError(f"batch_bytes must be at least 1 (or None), got {batch_bytes}.")
    if infer_compression(piece.path) is not None and not piece.whole:
        raise ValueError(
            f"{piece.path} is compressed and cannot be read by byte range "
            f"[{piece.start}, {piece.end}); plan compressed files as whole pieces."
        )

    def first_line() -> int:
        # The first line a range owns follows the first newline at or after start - 1.
        if piece.start == 0:
            return 1
        return count_newlines(piece.path, piece.start - 1, storage_options) + 2

    parser = RecordParser(
        piece.path,
        text_key=text_key,
        id_key=id_key,
        on_error=on_error,
        skipped=skipped,
        first_line=first_line,
        ledger=ledger,
        max_line_bytes=max_line_bytes,
        adapter=adapter,
    )
    stopped: list[BadInputError] = []
    pending: list[bytes] = []
    held = 0  # bytes of pending
    first = 0  # range index of pending[0]
    # The raw lines are handed on without a reference left behind (the block list emptied,
    # each batch cut out of pending), and the parser empties the batch once it is parsed:
    # a line of hundreds of MB is then freed before it is converted to Arrow.
    for lines in _lines_until_stopped(piece, storage_options, max_line_bytes, stopped):
        pending += lines
        held += sum(map(len, lines))
        lines.clear()  # the reader's own list, which it no longer needs
        while (n := _batch_end(pending, held, batch_size, batch_bytes)) is not None:
            batch = pending[:n]
            del pending[:n]
            held -= sum(map(len, batch))
            table = parser.table(batch, first)
            first += n
            if table is not None:
                yield table
    while pending:  # the tail, after the last full batch
        n = _batch_end(pending, held, batch_size, batch_bytes) or len(pending)
        batch = pending[:n]
        del pending[:n]
        held -= sum(map(len, batch))
        table = parser.table(batch, first)
        first += n  # the line numbers go on from here
        if table is not None:
            yield table
    if stopped:
        error = stopped[0]
        if error.reason == "corrupt_compressed" or first:
            # Report where reading stopped: the first line not read in full.
            detail = f"{error.detail}; the lines before this one were read"
            parser.bad(first, error.reason, detail, error.hint)
        else:
            parser.bad(None, error.reason, error.detail, error.hint)


def _batch_end(pending: list[bytes], held: int, rows: int, size: int | None) -> int | None:
    """How many of the pending lines make the next batch, or None if they are not a full
    batch yet: ``rows`` lines, or fewer whose bytes reach ``size``. Runs per block (C-level
    sums and a bisection), not per line."""
    if size is not None and held >= size:
        ends = list(accumulate(map(len, pending[:rows])))
        if ends[-1] >= size:
            return bisect_left(ends, size) + 1
    return rows if len(pending) >= rows else None


def _lines_until_stopped(piece, storage_options, max_line_bytes, stopped: list):
    """The piece's lines, block by block, until its end or until the file turns out to be
    damaged or unreadable, which it records in ``stopped`` (a list, to be read after)."""
    try:
        with open_input(piece.path, storage_options) as stream:
            yield from owned_lines(stream, piece.start, piece.end, max_line_bytes=max_line_bytes)
    except BadInputError as e:
        if e.reason != "corrupt_compressed":
            raise
        stopped.append(e)
    except ACCESS_ERRORS as e:
        stopped.append(unreadable(piece.path, e))


_WRITE_ROWS = 2_000  # rows serialised at once


def _json_lines(table: pa.Table) -> bytes:
    """The rows of ``table`` as JSON lines, the bytes ``orjson.dumps(row)`` gives each row.

    Column by column: each value is serialised on its own and the values of a row are put
    into a template of the keys, so no dict is built per row. That is 45% less CPU than
    ``to_pylist()`` and a dumps per row, and byte for byte the same output. Tables whose
    rows would not be plain dicts of their columns (no columns, repeated names) take the
    row path.
    """
    names = table.column_names
    if not names or len(set(names)) != len(names):
        return b"".join([orjson.dumps(row, None, orjson.OPT_APPEND_NEWLINE) for row in table.to_pylist()])
    dumps = orjson.dumps
    keys = [dumps(name).replace(b"%", b"%%") + b":%b" for name in names]
    template = b"{" + b",".join(keys) + b"}\n"
    columns = [list(map(dumps, column.to_pylist())) for column in table.columns]
    lines = [template % values for values in zip(*columns)]
    del columns  # before the join: a batch of one huge line is held twice, not three times
    return b"".join(lines)


class JsonlWriter(Writer):
    """Writes tables as JSON Lines, committed atomically on ``close``.

    Each row becomes one JSON object on one line (orjson), keys in column order, nulls as
    ``null``, nested structs as objects. Writing the same rows gives the same bytes.

    Args:
        path: Final path or URL; parent directories are created.
        compression: "infer" (from the extension: .gz, .zst), "gzip", "zstd" or None.
        level: Compression level; None for ``DEFAULT_LEVELS`` of ``compression.py``: gzip 5
            (within 1% of level 6's size at 1.36x its speed) or zstd 3 (zstd's default).
        storage_options: Keyword arguments for the file system.
    """

    def __init__(
        self,
        path: str,
        *,
        compression: str | None = "infer",
        level: int | None = None,
        storage_options: dict | None = None,
    ) -> None:
        if compression == "infer":
            compression = infer_compression(path)
        if compression is not None and compression not in COMPRESSIONS:
            raise ValueError(
                f"Unknown compression {compression!r} for {path}: use 'infer', "
                f"{', '.join(map(repr, COMPRESSIONS))} or None."
            )
        super().__init__(path, storage_options)
        try:  # gzip writes its header at once: the storage may refuse it already
            self._out = open_output(self._pending.stream, compression, level)
        except OSError as e:
            self._pending.abort()
            raise storage_error(self.path, e) from e

    def _write(self, table: pa.Table) -> None:
        # In slices: the Python values of a slice live only while it is serialised (10,000
        # short rows at once cost 70 MB more peak than 2,000); the compressed stream is the
        # same whatever the slices.
        for start in range(0, table.num_rows, _WRITE_ROWS):
            try:
                data = _json_lines(table.slice(start, _WRITE_ROWS))
            except orjson.JSONEncodeError as e:
                raise TypeError(
                    f"Cannot write a row to {self.path} as JSON ({e}). Cast columns of types "
                    "JSON lacks (binary, decimal) to strings or numbers before the writer."
                ) from e
            self._out.write(data)

    def flushed_size(self) -> int:
        self._out.flush()  # gzip: a sync flush (5 bytes); zstd: ends the current block
        return self.bytes_written

    def _finish(self) -> None:
        self._out.close()

    def _discard(self) -> None:
        try:
            self._out.close()
        except Exception:  # the file is being thrown away
            pass
