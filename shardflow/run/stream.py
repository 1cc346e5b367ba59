"""Table helpers of the engine: normalise step results, concatenate, split into partitions.

The engine counts rows with ``num_rows`` and never looks inside a row.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from shardflow.graph.stats import LENGTH_BINS_PER_OCTAVE, StepStats


def length_histogram(table: pa.Table) -> Counter:
    """Histogram of the ``text`` column's lengths in characters (empty if there is none)."""
    if "text" not in table.column_names:
        return Counter()
    column = table.column("text")
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return Counter()
    lengths = pc.drop_null(pc.utf8_length(column))
    # log2(0) is -inf; empty texts get bin -1 instead.
    scaled = pc.floor(pc.multiply(pc.log2(lengths), LENGTH_BINS_PER_OCTAVE))
    bins = pc.if_else(pc.greater(lengths, 0), scaled, -1.0).cast(pa.int64())
    return Counter({item["values"].as_py(): item["counts"].as_py() for item in pc.value_counts(bins)})


def emitted(stats: StepStats, table: pa.Table) -> None:
    """Count ``table`` as output of a source: rows and their length histogram.

    Only sources (what was read) and sinks (what was written) keep a length histogram: that
    is what the report compares, and it costs about 5% of parsing JSONL per histogram
    (bench/length_histogram.py), too much to pay after every step.
    """
    stats.rows_out += table.num_rows
    stats.lengths.update(length_histogram(table))


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
