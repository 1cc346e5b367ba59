"""What a reader remembers across the batches and files of one shard: the type of each
column so far, and the ids read so far.

A task reads one shard and hands its rows on as Arrow tables, which need one type per
column; the Parquet writer needs one schema per file. So a field that is a string in one
file and an object in the next is a bad record in the second file (``type_conflict``), just
as it is between two records of one batch: the type seen first wins, whatever the batch
size or the order of files within the shard. The check covers one shard: two files read by
different tasks are never compared.

Ids are remembered exactly (a set of strings: about 100 bytes per record of the shard) to
count duplicates, or, with ``unique_ids``, to treat them as bad records (``duplicate_id``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .schema import joined_type


class ShardLedger:
    """The column types and ids one reader has seen in its shard so far.

    Args:
        unique_ids: Whether a repeated id is a bad record (True) or only counted.

    Attributes:
        duplicate_ids: Rows whose id had been read before in the shard (counted, kept),
            when ``unique_ids`` is false.
    """

    def __init__(self, unique_ids: bool = False) -> None:
        self.unique_ids = unique_ids
        self.duplicate_ids = 0
        self._types: dict[str, pa.DataType] = {}
        self._origins: dict[str, Callable[[], str]] = {}
        self._ids: set[str] = set()

    def conflicts(self, schema: pa.Schema) -> dict[str, pa.DataType]:
        """The columns of ``schema`` whose type cannot join the type they had so far.

        Returns:
            Column name -> the type it had so far; empty when everything fits.
        """
        out = {}
        for field in schema:
            known = self._types.get(field.name)
            if known is not None and joined_type(known, field.type) is None:
                out[field.name] = known
        return out

    def knows(self, name: str) -> bool:
        """Whether column ``name`` has had a (non-null) type so far."""
        return name in self._types

    def conflict_detail(self, name: str, dtype: pa.DataType) -> str:
        """Says, for an error, that ``name`` has type ``dtype`` here but another earlier."""
        return (
            f"the field {name!r} is {_kind(dtype)} here, but {_kind(self._types[name])} in "
            f"earlier records of this task's shard (first at {self.where(name)}); give the "
            "field one type in every file, or read the files with separate readers"
        )

    def fits(self, name: str, dtype: pa.DataType) -> bool:
        """Whether a value of type ``dtype`` can join column ``name``."""
        known = self._types.get(name)
        return known is None or joined_type(known, dtype) is not None

    def learn(self, schema: pa.Schema, origin: Callable[[str], Callable[[], str]]) -> None:
        """Joins the types of ``schema`` (which must have no conflicts) into the ledger.

        Args:
            schema: The schema of a batch about to be emitted.
            origin: For a column seen with a type for the first time, returns a callable
                that says where ("file:line"); called lazily, for error messages.
        """
        for field in schema:
            if pa.types.is_null(field.type):
                continue  # a column of nulls says nothing about the type
            known = self._types.get(field.name)
            if known is None:
                self._types[field.name] = field.type
                self._origins[field.name] = origin(field.name)
            elif not known.equals(field.type):
                self._types[field.name] = joined_type(known, field.type)

    def where(self, name: str) -> str:
        """Where column ``name`` got its type ("file:line")."""
        return self._origins[name]()

    def repeated(self, ids: Sequence[str]) -> list[int]:
        """Remembers ``ids`` and returns the positions of those read before (earlier in the
        shard, or earlier in ``ids``). None is no id, and never repeated."""
        seen = self._ids
        batch = set(ids)
        batch.discard(None)
        if len(batch) == len(ids) and seen.isdisjoint(batch):
            seen |= batch  # the usual case: all new
            return []
        out = []
        for k, i in enumerate(ids):
            if i in seen:
                out.append(k)
            elif i is not None:
                seen.add(i)
        return out

    def check_table(
        self, table: pa.Table, first_row: int, bad: Callable[[int, str, str, str | None], None],
        where: Callable[[int], str],
    ) -> pa.Table:
        """Checks a table read from a typed file (Parquet) against the ledger and records
        it: rows with a value in a column whose type conflicts, and (with ``unique_ids``)
        rows with a repeated id, are reported to ``bad`` and removed; other repeated ids
        are counted.

        Args:
            table: The batch.
            first_row: The 0-based row number of the table's first row in its file.
            bad: Called as ``bad(row, reason, detail, hint)`` for each bad row (its file row
                number); raises or counts.
            where: Says where a row is, for the origin of a column's type ("file, row 3").

        Returns:
            The table without the bad rows; a conflicting column is kept, all null, in the
            type it had earlier.
        """
        rows = list(range(first_row, first_row + table.num_rows))
        for name, known in self.conflicts(table.schema).items():
            column = table.column(name)
            detail = self.conflict_detail(name, column.type)
            valid = column.is_valid().to_pylist()
            for k in [k for k, v in enumerate(valid) if v]:
                bad(rows[k], "type_conflict", detail, None)
            keep = pc.invert(column.is_valid())
            table = table.filter(keep)
            rows = [r for r, v in zip(rows, valid) if not v]
            i = table.schema.get_field_index(name)
            table = table.set_column(i, pa.field(name, known), pa.nulls(table.num_rows, known))

        def origin(name: str):
            row = rows[first_valid(table.column(name))]
            return lambda: where(row)

        self.learn(table.schema, origin)
        return self.check_ids(table, lambda k, *why: bad(rows[k], *why))

    def check_ids(
        self, table: pa.Table, bad: Callable[[int, str, str, str | None], None]
    ) -> pa.Table:
        """Remembers the ids of the table's "id" column (if any). Repeated ids are counted
        in ``duplicate_ids``; with ``unique_ids`` they are reported to ``bad(row, reason,
        detail, hint)`` (``row``: the position in ``table``) and removed instead."""
        if "id" not in table.column_names:
            return table
        ids = table.column("id").to_pylist()
        repeated = self.repeated(ids)
        if not repeated:
            return table
        if not self.unique_ids:
            self.duplicate_ids += len(repeated)
            return table
        for k in repeated:
            bad(k, "duplicate_id", f"the id {ids[k]!r} was read before in this task's shard "
                "(unique_ids=True)", _REPEATED_ID_HINT)
        keep = [True] * table.num_rows
        for k in repeated:
            keep[k] = False
        return table.filter(pa.array(keep))


def first_valid(column: pa.ChunkedArray | pa.Array) -> int:
    """The position of the first non-null value of ``column`` (which has one)."""
    return 0 if column.null_count == 0 else pc.index(column.is_valid(), True).as_py()


_REPEATED_ID_HINT = (
    "Remove or rename the repeated record, pass unique_ids=False to keep repeated ids (they "
    'are then counted in the stats as duplicate_ids), or on_error="skip" to keep only the '
    "first record of each id."
)



def _kind(dtype: pa.DataType) -> str:
    """A type in JSON words, then Arrow's: "an object (struct<a: int64>)"."""
    if pa.types.is_struct(dtype):
        word = "an object"
    elif pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        word = "an array"
    elif pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        word = "a string"
    elif pa.types.is_boolean(dtype):
        word = "a boolean"
    elif pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        word = "a number"
    else:
        word = "a value"
    return f"{word} ({dtype})"
