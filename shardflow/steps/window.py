"""Global ``skip`` / ``limit`` over sharded input, and batch coalescing for readers.

The input in path order is one sequence of documents; ``skip=s, limit=l`` keeps positions
``[s, s + l)`` of it. The shards tile that sequence, so each shard's part of the window is
known once the documents of the shards in front of it are counted. ``plan_window`` does that
counting at plan time, shard by shard, and stops as soon as the window's end is reached: its
cost is reading ``skip + limit`` documents (plus at most one batch), never the whole input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from shardflow.io import InputShard


@dataclass(frozen=True)
class WindowedShard(InputShard):
    """An input shard of which only some documents are read.

    Attributes:
        skip: Documents of the shard to leave out first.
        limit: Documents to read after those (None: all the rest).
    """

    skip: int = 0
    limit: int | None = None


def plan_window(
    shards: list[InputShard],
    skip: int,
    limit: int | None,
    count_rows: Callable[[InputShard, int], int],
) -> list[InputShard]:
    """The shards that hold documents ``[skip, skip + limit)``, each with its own window.

    Shards wholly outside the window are left out and the rest renumbered from 0; when no
    document is in the window, one empty shard remains (a source always has a task, whose
    output proves the input empty).

    Args:
        shards: The shards of the whole input, in order.
        skip: Global number of documents to leave out.
        limit: Global number of documents to read (None: all after ``skip``).
        count_rows: ``count_rows(shard, stop)``: the shard's documents, or any number
            ``>= stop`` when it has at least ``stop``.
    """
    end = None if limit is None else skip + limit
    kept: list[InputShard] = []
    start = 0  # global position of the shard's first document
    for shard in shards:
        if end is not None and start >= end:
            break
        if start >= skip and end is None:
            kept.append(WindowedShard(len(kept), shard.pieces, shard.nbytes))
            continue
        # Count only as far as the window needs: to its end, or past the skip point.
        stop = (end if end is not None else skip + 1) - start
        n = count_rows(shard, stop)
        local_skip = max(0, skip - start)
        if n > local_skip:
            # All the shard's documents past the skip point, up to the window's end.
            local_limit = None if end is None else min(n, end - start) - local_skip
            kept.append(WindowedShard(len(kept), shard.pieces, shard.nbytes, local_skip, local_limit))
        start += n
    if not kept:
        return [WindowedShard(0, (), 0, 0, 0)]
    return kept


def take_window(tables: Iterable[pa.Table], skip: int, limit: int | None) -> Iterator[pa.Table]:
    """Rows ``[skip, skip + limit)`` of a stream of tables; stops reading at the end."""
    if limit == 0:
        return
    seen = 0
    for table in tables:
        lo, hi = seen, seen + table.num_rows
        seen = hi
        if hi <= skip:
            continue
        a = max(skip, lo) - lo
        b = table.num_rows if limit is None else min(hi, skip + limit) - lo
        if b > a:
            yield table.slice(a, b - a)
        if limit is not None and hi >= skip + limit:
            return


def coalesce(tables: Iterable[pa.Table], size: int, max_bytes: int | None = None) -> Iterator[pa.Table]:
    """Merge small tables (a text reader yields one row per file) into batches of about
    ``size`` rows, or fewer that reach ``max_bytes`` (Arrow bytes); larger tables pass
    through as they are."""
    pending: list[pa.Table] = []
    held = held_bytes = 0
    for table in tables:
        if not table.num_rows:
            continue
        nbytes = table.nbytes if max_bytes else 0
        if not pending and (table.num_rows >= size or (max_bytes and nbytes >= max_bytes)):
            yield table
            continue
        pending.append(table)
        held += table.num_rows
        held_bytes += nbytes
        if held >= size or (max_bytes and held_bytes >= max_bytes):
            yield _concat(pending)
            pending, held, held_bytes = [], 0, 0
    if pending:
        yield _concat(pending)


def _concat(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")
