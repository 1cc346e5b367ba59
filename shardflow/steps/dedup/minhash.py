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

:class:`MinhashDedup` (``minhash_dedup``) wires the three: ``docs >> minhash_dedup() >> sink``. The defaults (5-word shingles, 14 bands of 8 rows, seed
1) are datatrove's: a pair with Jaccard similarity 0.8 of its shingle sets is caught with
probability ``1 - (1 - 0.8**8)**14`` = 0.92, one at 0.5 with 0.05.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import Field

from shardflow.graph.composite import Composite
from shardflow.graph.step import GlobalStep, Step, Transform
from shardflow.steps.dedup import hashing
from shardflow.steps.dedup.components import bucket_edges, component_roots
from shardflow.steps.dedup.droplist import (
    ROW,
    SHARD,
    DedupArgs,
    DropRows,
    drop_list,
    keys_in_input_order,
    split_options,
)
from shardflow.steps.dedup.normalize import normalize_text, text_column

BANDS = "bands"


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

    def setup(self) -> None:
        self._a, self._b = hashing.permutations(self.bands * self.rows, self.seed)

    def process(self, batch: pa.Table) -> pa.Table:
        texts = normalize_text(text_column(batch, self.column, self.name))
        words, word_counts = hashing.word_hashes(texts)
        shingles, counts = hashing.shingle_hashes(words, word_counts, self.ngram)
        sigs = hashing.signatures(shingles, counts, self._a, self._b)
        has_words = np.flatnonzero(counts)
        self.stats.count("no_words", batch.num_rows - len(has_words))
        # rows_in counts this batch already, and a task resumed after a committed part gets
        # it back from its progress record: the numbering goes on where the part ended.
        rows = self.stats.rows_in - batch.num_rows + has_words
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
        shard, row, band_hashes = keys_in_input_order(batches, _band_hashes, np.empty((0, 0), np.uint64))
        roots = component_roots(len(shard), *bucket_edges(band_hashes))
        dropped = np.flatnonzero(roots != np.arange(len(roots)))
        self.stats.count("documents", len(roots))
        self.stats.count("clusters", len(np.unique(roots[dropped])))
        self.stats.count("duplicates", len(dropped))
        return drop_list(shard[dropped], row[dropped])


def _band_hashes(batch: pa.Table) -> np.ndarray:
    flat = batch.column(BANDS).combine_chunks()
    return flat.values.to_numpy().reshape(len(flat), -1)


class MinhashFilter(DropRows):
    """Drop the rows :class:`MinhashClusters` listed; count them under ``minhash_duplicate``.

    Its inputs are the drop list (a broadcast side input, which the engine reads first) and
    the documents, in the same shards as :class:`MinhashSignatures` saw them.
    """

    default_name = "minhash_filter"
    reason = "minhash_duplicate"
    wiring = "[clusters, docs] >> filter, or use minhash_dedup(docs, ...)"


class MinhashDedupArgs(DedupArgs):
    """The arguments of ``minhash_dedup`` in a recipe (besides the options every step takes)."""

    ngram: int = Field(default=5, ge=1, description="Words per shingle.")
    bands: int = Field(default=14, ge=1, description="Number of LSH bands.")
    rows: int = Field(default=8, ge=1, description="Signature values per band.")
    seed: int = Field(default=1, description="Seed of the MinHash permutations.")


class MinhashDedup(Composite):
    """MinHash near-duplicate removal: signatures -> clusters -> filter, as one step to wire.

    ``docs >> minhash_dedup(ngram=5) >> sink``, or ``kept = minhash_dedup(docs, ngram=5)``.
    The three steps are named ``<name>_signatures``, ``<name>_clusters`` and
    ``<name>_filter`` (default ``minhash_...``); the filter's stats count the drops under
    ``minhash_duplicate``.

    Args:
        docs: The step to deduplicate; None to connect it later with ``>>``.
        column: The text column.
        ngram: Words per shingle.
        bands: Number of LSH bands.
        rows: Signature values per band.
        seed: Seed of the MinHash permutations.
        name: Prefix of the three steps' names.
        rejected: A directory to write the dropped rows to (see :class:`~shardflow.Filter`).
        **options: Step options (``cpus``, ``memory``, ...) for all three steps;
            ``batch_size`` applies to the signatures, ``checkpoint`` and ``fuse`` to the filter.

    Example:
        ``kept = minhash_dedup(docs, ngram=5, bands=14, rows=8); kept >> write_jsonl("out")``
    """

    args_model = MinhashDedupArgs

    def __init__(self, docs: Step | None = None, *, column: str = "text", ngram: int = 5, bands: int = 14,
                 rows: int = 8, seed: int = 1, name: str | None = None, rejected: str | None = None,
                 **options: Any) -> None:
        first, middle, last = split_options(options)

        def named(part: str) -> str | None:
            return f"{name}_{part}" if name else None

        self.signatures = MinhashSignatures(column=column, ngram=ngram, bands=bands, rows=rows, seed=seed,
                                            name=named("signatures"), **first)
        self.clusters = MinhashClusters(name=named("clusters"), **middle)
        self.output = MinhashFilter(name=named("filter"), rejected=rejected, **last)
        self.signatures >> self.clusters >> self.output
        if docs is not None:
            docs >> self

    def attach(self, upstream: Step) -> None:
        upstream >> self.signatures
        upstream >> self.output
