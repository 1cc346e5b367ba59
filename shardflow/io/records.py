"""JSON lines to Arrow: parse, check, name ``text`` and ``id``, count or raise bad records.

The fast path is what real data takes: Arrow's JSON reader over the whole batch where it
reads as orjson would (``arrow_json.py``), else ``orjson.loads`` over the batch and one
``pa.array`` conversion; then a few column-level checks. Only when a check fails does the
batch go through the per-record path, which finds each culprit and its line.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_json import arrow_table
from .errors import BadInputError
from .ledger import ShardLedger, first_valid
from .lines import OversizedLine

_CONVERT_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError)
_MISSING = object()


class RecordParser:
    """Turns batches of raw JSON lines of one file (or byte range) into Arrow tables.

    Args:
        path: The file, for error messages and generated ids.
        text_key: The field holding the text; renamed to "text".
        id_key: The field holding the id; renamed to "id". Ids are strings: integer ids
            become their decimal form, and a record without one gets "<basename>:<line>".
        on_error: "raise" or "skip".
        skipped: Counts skipped records by reason (required with "skip").
        first_line: Returns the 1-based line number of the range's first line; called only
            when a line number is needed, because a range that starts mid-file has to count
            the newlines before it.
        ledger: Column types and ids of the shard so far, checked and updated by every
            batch (see ``ledger.py``); None: each batch stands alone.
        max_line_bytes: The limit ``owned_lines`` applied, for the message about a line
            over it.
        adapter: ``adapter(record) -> dict | None``, called on each raw record (the parsed
            object, with the file's own field names) before any check: it returns the row
            (a string "text", an optional "id", any other fields) or None to drop the record
            (counted as "adapter_dropped"). ``text_key`` is then not used; a row without an
            id takes the raw record's ``id_key`` value, else the generated one.
        position: What a record is called in errors: "line" (the default; errors carry the
            1-based line number) or a word such as "row" (errors say "row N of the file",
            1-based, and generated ids are "<basename>:<index>" from ``first_line()``).
    """

    def __init__(
        self,
        path: str,
        *,
        text_key: str,
        id_key: str,
        on_error: str,
        skipped: Counter | None,
        first_line: Callable[[], int],
        ledger: ShardLedger | None = None,
        max_line_bytes: int | None = None,
        adapter: Callable[[dict], dict | None] | None = None,
        position: str = "line",
    ) -> None:
        if adapter is not None and skipped is None:
            raise ValueError("an adapter needs skipped=collections.Counter() to count the records it drops.")
        self.path = path
        self._base = posixpath.basename(path.rstrip("/"))
        # With an adapter, the checks apply to its rows, whose fields are "text" and "id".
        self._text_key = text_key if adapter is None else "text"
        self._id_key = id_key if adapter is None else "id"
        self._raw_id_key = id_key
        self._adapter = adapter
        self._position = position
        self._raise = on_error == "raise"
        self._skipped = skipped
        self._first_line = first_line
        self._first: int | None = None
        self._ledger = ledger
        self._max_line_bytes = max_line_bytes

    def line_no(self, index: int) -> int:
        """The 1-based file line number of the range's ``index``-th line (0-based)."""
        if self._first is None:
            self._first = self._first_line()
        return self._first + index

    def bad(self, index: int | None, reason: str, detail: str, hint: str | None = None) -> None:
        """Raises for a bad record, or counts it under ``reason`` when skipping."""
        if self._raise:
            raise self.error(index, reason, detail, hint)
        self._skipped[reason] += 1

    def error(self, index: int | None, reason: str, detail: str, hint: str | None = None) -> BadInputError:
        """The ``BadInputError`` for the ``index``-th record of the range (None: the file)."""
        if index is None:
            return BadInputError(self.path, None, reason, detail, hint)
        if self._position == "line":
            return BadInputError(self.path, self.line_no(index), reason, detail, hint)
        return BadInputError(self.path, None, reason, f"{self._position} {self.line_no(index) + 1} of the file: {detail}", hint)

    def table(self, lines: list[bytes], first: int) -> pa.Table | None:
        """Parses consecutive lines; ``first`` is the range index of ``lines[0]``. Empties
        ``lines`` once they are parsed, to free them before the Arrow copy is made.

        Returns:
            A table with one row per good record (None if there are none), columns in
            order of first appearance, "text" a string column, "id" a string column.
        """
        index: list[int] | None = None  # range index per row; None: row i is line first+i
        # The adapter needs each raw record as a dict: orjson's path gives them.
        fast = arrow_table(lines) if self._adapter is None else None
        if fast is not None and self._fits(fast.to_struct_array()):
            lines.clear()
            return self._table(fast, index, first)
        try:
            rows = list(map(orjson.loads, lines))
        except orjson.JSONDecodeError:
            rows, index = self._parse_each(lines, first)
        lines.clear()  # parsed: the raw bytes go before the Arrow copy is made
        return self.records(rows, first, index)

    def records(self, rows: list, first: int, index: list[int] | None = None) -> pa.Table | None:
        """Checks parsed records (adapting them first if there is an adapter) and makes
        them a table, as :meth:`table` does with lines. ``rows[k]`` is the range's
        ``first + k``-th record, or its ``index[k]``-th when ``index`` is given."""
        if self._adapter is not None:
            rows, index = self._adapt_each(rows, index if index is not None else range(first, first + len(rows)))
        try:
            array = pa.array(rows)
            ok = self._fits(array)
        except _CONVERT_ERRORS:
            ok = False
        if not ok:
            if index is None:
                index = list(range(first, first + len(rows)))
            rows, index = self._check_each(rows, index)
            if self._ledger is not None:
                rows, index = self._check_types(rows, index)
            array = self._convert(rows, index)
        if array is None or len(array) == 0:
            return None
        return self._table(pa.Table.from_struct_array(array), index, first)

    def _fits(self, array: pa.Array | pa.ChunkedArray) -> bool:
        """Whether a batch's records pass the column-level checks as a whole."""
        if not self._looks_valid(array):
            return False
        return self._ledger is None or not self._ledger.conflicts(self._other_fields(array))

    def _table(self, table: pa.Table, index, first) -> pa.Table:
        table = self._finish(table, index, first)
        if self._ledger is not None:
            table = self._remember(table, index, first)
        return table

    def _parse_each(self, lines, first):
        rows, index = [], []
        for i, line in enumerate(lines, first):
            if type(line) is OversizedLine:
                self.bad(
                    i, "line_too_long",
                    f"the line is {line.size:,} bytes long, over max_line_bytes="
                    f"{self._max_line_bytes:,}; it was skipped unread",
                    "Pass a larger max_line_bytes= to the reader (None for no limit; a record "
                    'needs about 3 times its size in memory), or on_error="skip" to skip such '
                    "lines (each is counted in the stats).",
                )
                continue
            try:
                rows.append(orjson.loads(line))
                index.append(i)
            except orjson.JSONDecodeError as e:
                if line.strip():  # blank lines (and a lone \r) are allowed, not errors
                    self.bad(i, *_why_not_json(line, e))
        return rows, index

    def _adapt_each(self, rows, index):
        """Each raw record through the adapter: its rows, and the range index of each."""
        adapter, raw_id = self._adapter, self._raw_id_key
        good, good_index = [], []
        for row, i in zip(rows, index):
            if type(row) is not dict:
                self.bad(i, "not_object", f"the record is JSON but not an object ({type(row).__name__})")
                continue
            rid = row.get(raw_id)
            try:
                out = adapter(row)
            except Exception as e:  # the adapter is user code: any failure is this record's
                if self._raise:
                    raise self.error(
                        i, "adapter_error", f"the adapter raised {type(e).__name__}: {e} on {_record_name(rid)}",
                        "Fix the adapter (or the record), or make the adapter return None to drop "
                        'such records (counted as "adapter_dropped"), or pass on_error="skip" to '
                        "count them and go on.",
                    ) from e
                self._skipped["adapter_error"] += 1
                continue
            if out is None:
                self._skipped["adapter_dropped"] += 1
                continue
            if type(out) is not dict or type(out.get("text")) is not str:
                kind = type(out).__name__ if type(out) is not dict else f"a dict with 'text' {type(out.get('text')).__name__}"
                self.bad(
                    i, "adapter_no_text", f"the adapter returned {kind}, not a dict with a string 'text', for {_record_name(rid)}",
                    "Make the adapter return a dict with a string 'text' (or None to drop the record).",
                )
                continue
            if out.get("id") is None and rid is not None:
                out["id"] = rid
            good.append(out)
            good_index.append(i)
        return good, good_index

    def _looks_valid(self, array: pa.Array | pa.ChunkedArray) -> bool:
        if isinstance(array, pa.ChunkedArray):  # over 2 GiB of strings: Arrow splits
            return all(self._looks_valid(chunk) for chunk in array.chunks)
        if not pa.types.is_struct(array.type) or array.null_count:
            return False
        fields = {f.name: i for i, f in enumerate(array.type)}
        t = fields.get(self._text_key)
        if t is None:
            return False
        text = array.field(t)
        if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
            return False
        if text.null_count:
            return False
        i = fields.get(self._id_key)
        if i is None:
            return True
        kind = array.type[i].type
        return pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_null(kind)

    def _check_each(self, rows, index):
        good, good_index = [], []
        tk, ik = self._text_key, self._id_key
        for row, i in zip(rows, index):
            if type(row) is not dict:
                kind = type(row).__name__
                self.bad(i, "not_object", f"the line is JSON but not an object ({kind})")
                continue
            text = row.get(tk)
            if text is None:
                self.bad(i, "missing_text", f"the record has no {tk!r} field (or it is null)")
                continue
            if type(text) is not str:
                self.bad(i, "text_not_string", f"{tk!r} is a {type(text).__name__}, not a string")
                continue
            rid = row.get(ik, _MISSING)
            if type(rid) is int:
                row[ik] = str(rid)  # as the fast path's cast would; lets int and str ids mix
            elif rid is not _MISSING and rid is not None and type(rid) is not str:
                self.bad(i, "bad_id", f"{ik!r} is a {type(rid).__name__}, not a string or integer")
                continue
            good.append(row)
            good_index.append(i)
        return good, good_index

    def _other_fields(self, array: pa.Array | pa.ChunkedArray) -> pa.Schema:
        """The fields of a batch's struct array other than text and id, as a schema."""
        fixed = (self._text_key, self._id_key)
        return pa.schema([f for f in array.type if f.name not in fixed])

    def _check_types(self, rows, index):
        """Drops (or raises for) each record with a field whose type cannot join the type
        that field had earlier in the shard."""
        ledger = self._ledger
        fixed = (self._text_key, self._id_key)
        good, good_index = [], []
        for row, i in zip(rows, index):
            for name, value in row.items():
                if value is None or name in fixed or not ledger.knows(name):
                    continue
                try:
                    kind = pa.array([value]).type
                except _CONVERT_ERRORS:
                    continue  # not Arrow-convertible at all: _convert reports it
                if not ledger.fits(name, kind):
                    self.bad(i, "type_conflict", ledger.conflict_detail(name, kind))
                    break
            else:
                good.append(row)
                good_index.append(i)
        return good, good_index

    def _remember(self, table: pa.Table, index, first) -> pa.Table:
        """Records the batch's column types and ids in the ledger; drops (or raises for)
        repeated ids when ids must be unique, else counts them."""

        def range_index(row: int) -> int:
            return index[row] if index is not None else first + row

        def origin(name: str):
            i = range_index(first_valid(table.column(name)))
            return lambda: f"{self.path}:{self.line_no(i)}"

        # "text" and "id" have fixed types (string), which the checks above enforce.
        others = pa.schema([f for f in table.schema if f.name not in ("id", "text")])
        self._ledger.learn(others, origin)
        return self._ledger.check_ids(table, lambda row, *why: self.bad(range_index(row), *why))

    def _convert(self, rows, index) -> pa.Array | None:
        """``pa.array(rows)``, dropping (or raising for) each record whose values cannot
        share a column with those before it, e.g. a field that is a number, then a string."""
        while rows:
            try:
                return pa.array(rows)
            except _CONVERT_ERRORS:
                k, error = _first_failure(rows)
                self.bad(
                    index[k],
                    "type_conflict",
                    f"a value does not fit the type its field has in earlier records of the "
                    f"batch ({error}); make the field's type consistent across records",
                )
                del rows[k], index[k]
        return None

    def _finish(self, table: pa.Table, index, first) -> pa.Table:
        names = table.column_names
        tk, ik = self._text_key, self._id_key
        for key, name in ((tk, "text"), (ik, "id")):
            if key != name and name in names:
                raise BadInputError(
                    self.path, self.line_no(first), "key_conflict",
                    f"records have both {key!r} (read as {name!r}) and {name!r}",
                    f"Choose another {name}_key, or remove the {name!r} field from the input.",
                )
        names = ["text" if n == tk else "id" if n == ik else n for n in names]
        table = table.rename_columns(names)
        if "id" not in names:
            return table.add_column(0, "id", self._ids(index, first, table.num_rows))
        col = table.column("id")
        if not pa.types.is_string(col.type):
            col = col.cast(pa.string())
        if col.null_count:
            col = pc.if_else(pc.is_null(col), self._ids(index, first, table.num_rows), col)
        return table.set_column(names.index("id"), "id", col)

    def _ids(self, index, first, n) -> pa.Array:
        if index is None:
            index = range(first, first + n)
        base, start = self._base, self.line_no(0)
        return pa.array([f"{base}:{start + i}" for i in index], pa.string())


def _record_name(rid) -> str:
    return "the record" if rid is None else f"the record with id {rid!r}"


def _first_failure(rows: list) -> tuple[int, Exception]:
    """The smallest k such that ``rows[: k + 1]`` does not convert, by bisection (rows[:0]
    converts, and all rows do not)."""
    lo, hi, error = 0, len(rows) - 1, None
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            pa.array(rows[: mid + 1])
            lo = mid + 1
        except _CONVERT_ERRORS as e:
            hi, error = mid, e
    if error is None:
        try:
            pa.array(rows[: lo + 1])
        except _CONVERT_ERRORS as e:
            error = e
    return lo, error


def _why_not_json(line: bytes, error: Exception) -> tuple[str, str, str | None]:
    """The reason, detail and hint for a line that orjson rejects: bytes that are not
    UTF-8, raw NUL bytes, or plain bad JSON."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as e:
        return (
            "invalid_utf8",
            f"the line is not valid UTF-8 (byte {line[e.start]:#04x} at byte {e.start + 1} of "
            "the line)",
            "Re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 in.jsonl > out.jsonl), "
            'or pass on_error="skip" to the reader to skip such records (each is counted).',
        )
    nul = line.find(b"\x00")
    if nul >= 0:
        return (
            "nul_bytes",
            f"the line holds a raw NUL byte at byte {nul + 1} (JSON writes it as \\u0000 inside "
            "strings)",
            "The file may be damaged (a crash can leave runs of NUL bytes): re-create it, or "
            'pass on_error="skip" to the reader to skip such records (each is counted).',
        )
    return "invalid_json", f"the line is not valid JSON ({error})", None
