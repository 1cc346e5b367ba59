"""The base of every reader of files: paths (globs, directories, any fsspec URL) -> shards.

Every reader shares these options: ``text_key`` / ``id_key`` (which fields become ``text`` and
``id``), ``adapter`` (a function applied to each record), ``path_column`` (the source file as a
column), and ``skip`` / ``limit``.

``skip`` and ``limit`` are *global*: ``skip=10, limit=100`` reads documents 10 to 109 of the
whole input, in path order, whatever ``tasks`` and ``workers`` are. That is what a user
trying a pipeline on "the first 100 documents" expects (datatrove applies them per task, so
its total grows with the number of tasks). The plan gets them right by counting, at plan
time, the documents of the shards in front of the window (see ``window.py``); the shards
past it are left out of the plan, so a small ``limit`` also makes a small run.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any, Callable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from shardflow.graph.step import Source
from shardflow.io import BadInputError, InputShard, Piece, ShardLedger, expand_paths, plan_shards
from shardflow.io.jsonl import BATCH_BYTES
from shardflow.io.records import RecordParser
from shardflow.steps.window import WindowedShard, coalesce, plan_window, take_window

Adapter = Callable[[dict[str, Any]], "dict[str, Any] | None"]


class FileSource(Source):
    """A source that reads files, balanced into shards by bytes.

    Subclasses implement :meth:`read_piece` (yield the tables of one file or byte range, with
    ``text`` and ``id`` columns) and say whether a file can be split on record boundaries
    (:meth:`splittable`).

    Args:
        paths: A path, glob or directory, or a list of them; any fsspec URL.
        text_key: The field holding the text (renamed to ``text``).
        id_key: The field holding the id (renamed to ``id``); readers generate ids for
            records without one.
        limit: Read at most this many documents in all (None: no limit). Global: the same
            documents whatever ``tasks`` and ``workers`` are.
        skip: Leave out the first ``skip`` documents of the input (in path order).
        adapter: ``adapter(record) -> dict | None``, called on each *raw* record (a dict
            with the file's own field names, before ``text_key`` is looked for, as
            datatrove's adapters) to build the document: return a dict with a string
            ``text``, an optional ``id`` (without one, the record's ``id_key`` field, else
            the generated id) and any other fields, or None to drop the record (counted
            under ``adapter_dropped``). A record the adapter raises on (``adapter_error``)
            or returns no string ``text`` for (``adapter_no_text``) is a bad record, named
            by file and line / row. ``text_key`` is not used with an adapter. ``skip`` and
            ``limit`` count adapted records. WARC and text-file readers hand it the
            document they built (``id``, ``text``, ``url`` ...).
        path_column: Add the full path of each record's file as a column of this name
            (e.g. ``"source_path"``; None: no such column).
        batch_size: Rows per batch emitted.
        batch_bytes: A batch also ends once it holds about this many bytes (None: rows
            only), so that long documents do not make batches, and memory, huge.
        storage_options: fsspec options (credentials, endpoint) for these paths.
        on_error: ``"raise"`` on a bad record (the error names file and line) or
            ``"skip"`` it and count it in stats under its reason.
        unique_ids: Treat a repeated id as a bad record (``duplicate_id``: raise, or keep
            only the first). By default repeated ids are kept and counted in stats
            (``counters["duplicate_ids"]``). Ids are compared within one task's shard; use a
            dedup step to compare across shards. (JSON Lines and Parquet readers.)

    While a shard is read, ``self._ledger`` holds its column types and ids (a
    :class:`~shardflow.io.ShardLedger`, new for each shard); readers that can check records
    against it (JSON Lines, Parquet) do: within a shard a field keeps the type it had first,
    and a record where it has another (a string in one file, an object in the next) is a
    bad record (``type_conflict``).
    """

    def __init__(
        self,
        paths: str | Sequence[str],
        *,
        text_key: str = "text",
        id_key: str = "id",
        limit: int | None = None,
        skip: int = 0,
        adapter: Adapter | None = None,
        path_column: str | None = None,
        batch_size: int = 10_000,
        batch_bytes: int | None = BATCH_BYTES,
        storage_options: dict[str, Any] | None = None,
        on_error: str = "raise",
        unique_ids: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error={on_error!r}: use 'raise' or 'skip'")
        if limit is not None and limit < 0:
            raise ValueError(f"limit={limit} must be >= 0 (or None for no limit)")
        if skip < 0:
            raise ValueError(f"skip={skip} must be >= 0")
        if adapter is not None and text_key != "text":
            raise ValueError(
                f"text_key={text_key!r} has no effect with adapter=: the adapter gets the raw record and "
                f"returns the row; read record[{text_key!r}] in the adapter and drop text_key="
            )
        if path_column in ("text", "id"):
            raise ValueError(f"path_column={path_column!r} would overwrite a document field; pick another name")
        self.paths = [paths] if isinstance(paths, str) else list(paths)
        self.text_key = text_key
        self.id_key = id_key
        self.limit = limit
        self.skip = skip
        self.adapter = adapter
        self.path_column = path_column
        self.read_batch_size = batch_size
        self.read_batch_bytes = batch_bytes
        self.storage_options = storage_options
        self.on_error = on_error
        self.unique_ids = unique_ids
        self._ledger: ShardLedger | None = None

    # -- plan time ---------------------------------------------------------------------------
    def splittable(self, path: str) -> bool:
        return False

    def list_files(self):
        """The input files, in reading order (override to read a manifest, e.g. state.json)."""
        try:
            return expand_paths(self.paths, self.storage_options)
        except FileNotFoundError as e:
            # Raised at plan time, before any task starts; name the step as well.
            raise FileNotFoundError(f"step {self.name!r}: {e}") from e

    def list_shards(self, n: int | None) -> list[InputShard]:
        files = self.list_files()
        shards = plan_shards(files, n or len(files), self.splittable)
        if self.limit is None and self.skip == 0:
            return shards
        return plan_window(shards, self.skip, self.limit, self._count_rows)

    def _count_rows(self, shard: InputShard, stop: int) -> int:
        """Documents in ``shard``, counting no further than ``stop`` (plan time)."""
        seen = 0
        for table in self._documents(shard, Counter()):
            seen += table.num_rows
            if seen >= stop:
                break
        return seen

    # -- run time ----------------------------------------------------------------------------
    def read(self, shard: InputShard) -> Iterator[pa.Table]:
        skipped: Counter = Counter()
        try:
            stream = self._documents(shard, skipped)
            if isinstance(shard, WindowedShard):
                stream = take_window(stream, shard.skip, shard.limit)
            yield from coalesce(stream, self.read_batch_size, self.read_batch_bytes)
        finally:
            for reason, count in skipped.items():
                self.stats.drop(reason, count)

    def _documents(self, shard: InputShard, skipped: Counter) -> Iterator[pa.Table]:
        # A new ledger per shard, at plan time too, so that skip/limit windows count the rows
        # a run keeps. It lives only while the shard is read: never pickled with the step.
        self._ledger = ledger = ShardLedger(unique_ids=self.unique_ids)
        try:
            for piece in shard.pieces:
                for table in self.read_piece(piece, skipped):
                    if self.path_column:
                        table = table.append_column(self.path_column, pa.repeat(pa.scalar(piece.path, pa.string()), table.num_rows))
                    yield table
        finally:
            self._ledger = None
            if ledger.duplicate_ids:  # kept, but never silent
                self.note("duplicate_ids", ledger.duplicate_ids)

    def record_parser(self, path: str, skipped: Counter, position: str = "row") -> RecordParser:
        """A parser of one file's records that applies the adapter and checks its rows
        (see :class:`~shardflow.io.records.RecordParser`); records are numbered from 0,
        and called ``position`` in errors."""
        return RecordParser(
            path, text_key=self.text_key, id_key=self.id_key, on_error=self.on_error, skipped=skipped,
            first_line=lambda: 0, ledger=self._ledger, adapter=self.adapter, position=position,
        )

    def documents(self, table: pa.Table, parser: RecordParser, first: int) -> pa.Table | None:
        """A file's raw table (rows ``first``... of the file) as documents: through the
        adapter when there is one, else with ``text_key`` / ``id_key`` named (see
        :func:`name_columns`). None when no row is left."""
        if self.adapter is None:
            return name_columns(table, parser.path, self.text_key, self.id_key, first)
        return parser.records(table.to_pylist(), first)

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        raise NotImplementedError(f"{type(self).__name__} must implement read_piece(piece, skipped)")

    def bad(self, skipped: Counter, path: str, where: int | None, reason: str, detail: str, hint: str | None = None) -> None:
        """Raise a :class:`BadInputError` for a bad record, or count it when skipping."""
        if self.on_error == "raise":
            raise BadInputError(path, where, reason, detail, hint)
        skipped[reason] += 1

    def until_damaged(self, tables: Iterator[pa.Table], skipped: Counter, reasons: tuple[str, ...]) -> Iterator[pa.Table]:
        """The tables of one file until a damage that ends it (a ``BadInputError`` with one of
        ``reasons``, e.g. a cut gzip stream): raised, or counted once under its reason when
        skipping, every table before it kept."""
        try:
            yield from tables
        except BadInputError as e:
            if self.on_error == "raise" or e.reason not in reasons:
                raise
            skipped[e.reason] += 1

    def note(self, name: str, n: int = 1) -> None:
        """Count something that is not a dropped document (e.g. a WARC request record) in the
        step's counters; a no-op at plan time, when the reader counts rows without stats."""
        if self.stats is not None:
            self.stats.count(name, n)

    def config(self) -> dict[str, Any]:
        # Credentials never enter keys or logs; the shards (paths and sizes) key the input.
        cfg = super().config()
        cfg.pop("storage_options", None)
        return cfg


def name_columns(table: pa.Table, path: str, text_key: str, id_key: str, first_row: int) -> pa.Table:
    """Rename ``text_key`` to ``text`` and ``id_key`` to ``id`` (a string column); records
    without an id (null or empty) get ``<file name>:<row>`` (0-based row of the file), whatever the sharding.

    Raises:
        BadInputError: The text column is missing or not a string column.
    """
    names = table.column_names
    if text_key not in names:
        raise BadInputError(path, None, "missing_text", f"there is no {text_key!r} column (columns: {names})",
                            "Pass text_key= naming the column that holds the text.")
    for key, name in ((text_key, "text"), (id_key, "id")):
        if key != name and key in names and name in names:
            raise BadInputError(path, None, "key_conflict", f"there are both {key!r} (read as {name!r}) and {name!r} columns",
                                f"Choose another {name}_key, or drop the {name!r} column.")
    table = table.rename_columns(["text" if n == text_key else "id" if n == id_key else n for n in names])
    text = table.column("text")
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        raise BadInputError(path, None, "text_not_string", f"column {text_key!r} is {text.type}, not a string",
                            "Point text_key at a string column, or convert it with an adapter.")
    base = posixpath.basename(path.rstrip("/"))
    generated = pa.array([f"{base}:{i}" for i in range(first_row, first_row + table.num_rows)], pa.string())
    if "id" not in table.column_names:
        return table.add_column(0, "id", generated)
    col = table.column("id")
    if not pa.types.is_string(col.type):
        col = col.cast(pa.string())
    missing = pc.or_kleene(pc.is_null(col), pc.equal(col, ""))  # an empty CSV field is no id
    if pc.any(missing).as_py():
        col = pc.if_else(missing, generated, col)
    return table.set_column(table.column_names.index("id"), "id", col)
