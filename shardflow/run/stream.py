"""Table helpers of the engine: normalise step results, concatenate, split into partitions.

The engine counts rows with ``num_rows`` and never looks inside a row.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import pyarrow as pa



def as_tables(result: pa.Table | pa.RecordBatch | Iterable[pa.Table] | None) -> Iterator[pa.Table]:
    """Normalise what a step returned into tables (None and empty tables vanish)."""
    if result is None:
        return
    if isinstance(result, pa.RecordBatch):
        result = pa.Table.from_batches([result])
    if isinstance(result, pa.Table):
        if result.num_rows:
            yield result
        return
    for item in result:
        yield from as_tables(item)


def concat(tables: list[pa.Table]) -> pa.Table:
    """Concatenate tables whose schemas may differ in nullable or nested fields."""
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def split_rows(table: pa.Table, parts: int) -> list[pa.Table]:
    """Split ``table`` into ``parts`` contiguous slices of near-equal row counts."""
    n = table.num_rows
    bounds = [n * i // parts for i in range(parts + 1)]
    return [table.slice(bounds[i], bounds[i + 1] - bounds[i]) for i in range(parts)]
