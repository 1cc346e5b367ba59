"""Near-duplicate removal with MinHash and LSH, as three stages of one DAG.

::

    docs ──> minhash_signatures ──> minhash_clusters ──┐ (broadcast: every shard reads it)
      └───────────────────────────────────────────────> minhash_filter ──> kept documents

1. :class:`MinhashSignatures` (shard-parallel) hashes each document's word n-grams into a
   MinHash signature of ``bands * rows`` values and emits only ``(shard, row, band hashes)``:
   no text leaves this stage.
2. :class:`MinhashClusters` (global) joins documents that share a bucket in any band and
   labels each cluster by its first document in input order (smallest ``(shard, row)``). Its
   memory is ``8 * bands`` bytes per document, whatever their length. It outputs the
   ``(shard, row)`` of every document to drop, as a broadcast side input.
3. :class:`MinhashFilter` (shard-parallel, reading the same shards as step 1) drops those rows
   and counts them under ``minhash_duplicate``.

:func:`minhash_dedup` wires the three. The defaults (5-word shingles, 14 bands of 8 rows, seed
1) are datatrove's: a pair with Jaccard similarity 0.8 of its shingle sets is caught with
probability ``1 - (1 - 0.8**8)**14`` = 0.92, one at 0.5 with 0.05.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.graph.step import GlobalStep, Step, Transform
from shardflow.steps.dedup import hashing
from shardflow.steps.dedup.components import bucket_edges, component_roots
from shardflow.steps.dedup.normalize import normalize_text, text_column

SHARD, ROW, BANDS = "shard", "row", "bands"
DUP_SHARD, DUP_ROW = "dup_shard", "dup_row"
# The drop list always holds this row first, so the filter can tell "no duplicates" (the header
# alone) from "not wired to a drop list" (which would keep every duplicate without a word).
_HEADER = (-1, -1)


class MinhashSignatures(Transform):
    """Compute each document's LSH band hashes; emit ``(shard, row, bands)`` only.

    Args:
        column: The text column.
        ngram: Words per shingle.
        bands: Number of LSH bands.
        rows: Signature values per band (the signature has ``bands * rows`` values).
        seed: Seed of the MinHash permutations.
    """

    default_name = "minhash_signatures"

    def __init__(self, *, column: str = "text", ngram: int = 5, bands: int = 14, rows: int = 8,
                 seed: int = 1, **options: Any) -> None:
        super().__init__(**options)
        for label, value in (("ngram", ngram), ("bands", bands), ("rows", rows)):
            if value < 1:
                raise ValueError(f"{self.name}: {label}={value} must be at least 1")
        self.column, self.ngram, self.bands, self.rows, self.seed = column, ngram, bands, rows, seed
        self._next_row = 0

    def setup(self) -> None:
        self._a, self._b = hashing.permutations(self.bands * self.rows, self.seed)

    def process(self, batch: pa.Table) -> pa.Table:
        texts = normalize_text(text_column(batch, self.column, self.name))
        words, word_counts = hashing.word_hashes(texts)
        shingles, counts = hashing.shingle_hashes(words, word_counts, self.ngram)
        sigs = hashing.signatures(shingles, counts, self._a, self._b)
        has_words = np.flatnonzero(counts)
        self.stats.count("no_words", batch.num_rows - len(has_words))
        rows = self._next_row + has_words
        self._next_row += batch.num_rows
        bands = hashing.band_hashes(sigs, self.bands, self.rows)
        return pa.table({
            SHARD: pa.array(np.full(len(rows), self.shard or 0, dtype=np.int32)),
            ROW: pa.array(rows.astype(np.int64)),
            BANDS: pa.FixedSizeListArray.from_arrays(pa.array(bands.reshape(-1)), self.bands),
        })


class MinhashClusters(GlobalStep):
    """Cluster documents that share an LSH bucket; output the ``(shard, row)`` to drop.

    The first document of each cluster in input order (smallest shard, then row) is kept, so
    the choice does not depend on how many workers ran. Its output is broadcast: every shard
    of :class:`MinhashFilter` reads it whole.
    """

    default_name = "minhash_clusters"
    broadcast = True

    def process_all(self, batches) -> pa.Table:
        shards, rows, bands = [], [], []
        for batch in batches:
            shards.append(batch.column(SHARD).to_numpy())
            rows.append(batch.column(ROW).to_numpy())
            flat = batch.column(BANDS).combine_chunks()
            bands.append(flat.values.to_numpy().reshape(len(flat), -1))
        shard = np.concatenate(shards) if shards else np.empty(0, np.int32)
        row = np.concatenate(rows) if rows else np.empty(0, np.int64)
        order = np.lexsort((row, shard))  # number documents in input order
        shard, row = shard[order], row[order]
        band_hashes = np.concatenate(bands)[order] if bands else np.empty((0, 0), np.uint64)
        roots = component_roots(len(shard), *bucket_edges(band_hashes))
        dropped = np.flatnonzero(roots != np.arange(len(roots)))
        self.stats.count("documents", len(roots))
        self.stats.count("clusters", len(np.unique(roots[dropped])))
        self.stats.count("duplicates", len(dropped))
        return pa.table({
            DUP_SHARD: pa.array(np.concatenate([[_HEADER[0]], shard[dropped]]).astype(np.int32)),
            DUP_ROW: pa.array(np.concatenate([[_HEADER[1]], row[dropped]]).astype(np.int64)),
        })


class MinhashFilter(Transform):
    """Drop the rows :class:`MinhashClusters` listed; count them under ``minhash_duplicate``.

    Its inputs are the drop list (a broadcast side input, which the engine reads first) and
    the documents, in the same shards as :class:`MinhashSignatures` saw them.
    """

    default_name = "minhash_filter"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if self.options.batch_size:
            raise ValueError(
                f"{self.name}: batch_size would merge the drop list into the documents; leave it unset"
            )
        self._lists: list[np.ndarray] = []
        self._drop: np.ndarray | None = None
        self._next_row = 0

    def process(self, batch: pa.Table) -> pa.Table | None:
        if batch.column_names == [DUP_SHARD, DUP_ROW]:
            # The side input is not data: take it back out of the rows this step received.
            self.stats.rows_in -= batch.num_rows
            mine = batch.filter(pc.equal(batch.column(DUP_SHARD), self.shard or 0))
            # Rebind, not append: the empty list is shared with the other tasks' copies.
            self._lists = self._lists + [mine.column(DUP_ROW).to_numpy()]
            return None
        if self._drop is None:
            if not self._lists:
                raise RuntimeError(
                    f"step {self.name!r} got documents but no drop list: wire it as "
                    f"[clusters, docs] >> {self.name}, or use minhash_dedup(docs, ...)"
                )
            self._drop = np.concatenate(self._lists)
        positions = np.arange(self._next_row, self._next_row + batch.num_rows)
        self._next_row += batch.num_rows
        drop = np.isin(positions, self._drop)
        n_drop = int(drop.sum())
        if not n_drop:
            return batch
        self.stats.drop("minhash_duplicate", n_drop)
        return batch.filter(pa.array(~drop))


def minhash_dedup(docs: Step, *, column: str = "text", ngram: int = 5, bands: int = 14,
                  rows: int = 8, seed: int = 1, name: str = "minhash", **options: Any) -> Step:
    """Wire MinHash near-duplicate removal after ``docs``; return the step of kept documents.

    Call it inside ``with Pipeline(...)``. The three steps are named ``<name>_signatures``,
    ``<name>_clusters`` and ``<name>_filter``; ``options`` (cpus, memory, ...) go to all three.

    Example:
        ``kept = minhash_dedup(docs, ngram=5, bands=14, rows=8); kept >> write_jsonl("out")``
    """
    signatures = MinhashSignatures(column=column, ngram=ngram, bands=bands, rows=rows, seed=seed,
                                   name=f"{name}_signatures", **options)
    options.pop("batch_size", None)  # the signatures' batching only; see MinhashFilter
    clusters = MinhashClusters(name=f"{name}_clusters", **options)
    kept = MinhashFilter(name=f"{name}_filter", **options)
    docs >> signatures >> clusters
    [clusters, docs] >> kept
    return kept
