"""The last stage of a dedup: drop, shard by shard, the rows a global step listed.

A dedup's global step sees only keys (``shard``, ``row``, a digest or band hashes) and
decides which rows to drop; it outputs them as a *drop list*, a broadcast side input that
every shard of the filter reads whole before its documents (see
:class:`~shardflow.graph.step.GlobalStep`). The filter numbers its documents as the first
stage did (rows of its shard, in order) and drops the listed ones.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from shardflow.graph.step import Filter

SHARD, ROW = "shard", "row"  # the keys a dedup's first stage gives each document
DUP_SHARD, DUP_ROW = "dup_shard", "dup_row"
# The drop list always holds this row first, so the filter can tell "no duplicates" (the header
# alone) from "not wired to a drop list" (which would keep every duplicate without a word).
_HEADER = (-1, -1)


def keys_in_input_order(batches: Iterable[pa.Table], values: Callable[[pa.Table], np.ndarray],
                        empty: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather ``(shard, row, values(batch))`` of every document, sorted into input order.

    Args:
        batches: What a dedup's first stage emitted: ``shard`` and ``row`` columns, and
            whatever ``values`` reads (a digest, band hashes).
        values: One numpy row per document of a batch.
        empty: The values of no documents (for an empty input).
    """
    shards, rows, vals = [], [], []
    for batch in batches:
        shards.append(batch.column(SHARD).to_numpy())
        rows.append(batch.column(ROW).to_numpy())
        vals.append(values(batch))
    if not shards:
        return np.empty(0, np.int32), np.empty(0, np.int64), empty
    shard, row, value = np.concatenate(shards), np.concatenate(rows), np.concatenate(vals)
    order = np.lexsort((row, shard))  # the global step sees shards in any order
    return shard[order], row[order], value[order]


def drop_list(shards: np.ndarray, rows: np.ndarray) -> pa.Table:
    """The broadcast table of the rows to drop: ``(dup_shard, dup_row)``, header first."""
    return pa.table({
        DUP_SHARD: pa.array(np.concatenate([[_HEADER[0]], shards]).astype(np.int32)),
        DUP_ROW: pa.array(np.concatenate([[_HEADER[1]], rows]).astype(np.int64)),
    })


class DropRows(Filter):
    """Drop the rows of a broadcast drop list; count them under :attr:`reason`.

    Rows are numbered per shard in the order this step receives them, which is the order
    the dedup's first stage numbered them in (both read the same upstream shards). The
    numbering goes by ``stats.rows_in``, which a task resumed after a committed part gets
    back from its progress record, so it continues where the part ended.

    Subclasses set :attr:`reason` and :attr:`wiring` (how to wire it, for the error raised
    when documents come without a drop list). ``rejected=`` writes the dropped rows.
    """

    reason: ClassVar[str] = "duplicate"
    wiring: ClassVar[str] = "[global_step, docs] >> filter"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if self.options.batch_size:
            raise ValueError(
                f"{self.name}: batch_size would merge the drop list into the documents; leave it unset"
            )
        self._lists: list[np.ndarray] = []
        self._drop: np.ndarray | None = None

    def process(self, batch: pa.Table) -> pa.Table | None:
        if batch.column_names == [DUP_SHARD, DUP_ROW]:
            # The side input is not data: take it back out of the rows this step received.
            self.stats.rows_in -= batch.num_rows
            mine = batch.filter(pc.equal(batch.column(DUP_SHARD), self.shard or 0))
            # Rebind, not append: the empty list is shared with the other tasks' copies.
            self._lists = self._lists + [mine.column(DUP_ROW).to_numpy()]
            return None
        return super().process(batch)

    def filter_batch(self, batch: pa.Table) -> tuple[pa.Array, pa.Array]:
        if self._drop is None:
            if not self._lists:
                raise RuntimeError(
                    f"step {self.name!r} got documents but no drop list: wire it as {self.wiring}"
                )
            self._drop = np.sort(np.concatenate(self._lists))
        n = batch.num_rows
        first = self.stats.rows_in - n  # rows_in already counts this batch
        lo, hi = np.searchsorted(self._drop, [first, first + n])
        keep = np.ones(n, dtype=bool)
        keep[self._drop[lo:hi] - first] = False
        return pa.array(keep), pa.repeat(pa.scalar(self.reason), n)


def split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A dedup's step options, split for its first step, its global step and its filter.

    All three share the options (``cpus``, ``memory``, ``time``, ...), except that
    ``batch_size`` goes to the first step only (the filter must get the drop list and the
    documents as they come), and ``checkpoint`` and ``fuse`` to the filter only (they
    concern the dedup's output).
    """
    shared = {k: v for k, v in options.items() if k not in ("batch_size", "checkpoint", "fuse")}
    first = {**shared, **{k: v for k, v in options.items() if k == "batch_size"}}
    last = {**shared, **{k: v for k, v in options.items() if k in ("checkpoint", "fuse")}}
    return first, shared, last


class DedupArgs(BaseModel):
    """A dedup's own arguments in a recipe (the options every step takes are checked apart)."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(default="text", description="The text column.")
