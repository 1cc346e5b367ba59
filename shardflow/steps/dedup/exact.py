"""Exact deduplication: keep the first document of each group with the same normalised text.

Three stages, so that the documents never gather in one process::

    docs ──> exact_dedup_digests ──> exact_dedup_duplicates ──┐ (broadcast drop list)
      └──────────────────────────────────────────────────────> exact_dedup ──> kept documents

1. :class:`ExactDigests` (shard-parallel) normalises each text (see
   :mod:`~shardflow.steps.dedup.normalize`) and hashes it with 128-bit BLAKE2b; it emits only
   ``(shard, row, digest)``: 24 bytes per document, no text.
2. :class:`ExactDuplicates` (global) keeps the first document of each digest in input order
   (smallest ``(shard, row)``, whatever the number of workers) and lists the others as the
   drop list. It reads 24 bytes per document and needs about 100 with its sorts, whatever
   the documents' length.
3. :class:`ExactDedupFilter` (shard-parallel) drops the listed rows and counts them under
   ``exact_duplicate``.

:class:`ExactDedup` (``exact_dedup``) wires the three: ``docs >> exact_dedup() >> sink``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pyarrow as pa

from shardflow.graph.composite import Composite
from shardflow.graph.step import GlobalStep, Step, Transform
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
from shardflow.steps.dedup.utf8 import buffers

DIGEST = "digest"
_DIGEST_TYPE = pa.binary(16)
_MAX_ROW = np.iinfo(np.int32).max


def text_digests(texts: pa.Array) -> pa.FixedSizeBinaryArray:
    """The 128-bit BLAKE2b digest of each text (hashed straight from the Arrow buffer)."""
    offsets, data = buffers(texts)
    data = memoryview(data)
    blake = hashlib.blake2b
    joined = b"".join(
        [blake(data[lo:hi], digest_size=16).digest() for lo, hi in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    )
    return pa.FixedSizeBinaryArray.from_buffers(_DIGEST_TYPE, len(texts), [None, pa.py_buffer(joined)])


class ExactDigests(Transform):
    """Digest each document's normalised text; emit ``(shard, row, digest)`` only.

    Args:
        column: The text column.
    """

    default_name = "exact_dedup_digests"

    def __init__(self, *, column: str = "text", **options: Any) -> None:
        super().__init__(**options)
        self.column = column

    def process(self, batch: pa.Table) -> pa.Table:
        n = batch.num_rows
        first = self.stats.rows_in - n  # rows_in counts this batch; restored on a resumed part
        if first + n > _MAX_ROW:
            raise ValueError(
                f"step {self.name!r}: shard {self.shard} has more than {_MAX_ROW} rows; "
                "split the input into more shards (run(tasks=...))"
            )
        texts = normalize_text(text_column(batch, self.column, self.name))
        return pa.table({
            SHARD: pa.repeat(pa.scalar(self.shard or 0, pa.int32()), n),
            ROW: pa.array(np.arange(first, first + n, dtype=np.int32)),
            DIGEST: text_digests(texts),
        })


class ExactDuplicates(GlobalStep):
    """From every document's digest, list the ``(shard, row)`` of all but the first of each text.

    "First" is in input order (smallest shard, then row), so the choice does not depend on
    how many workers ran. Its output is broadcast: every shard of the filter reads it whole.
    """

    default_name = "exact_dedup_duplicates"
    broadcast = True

    def process_all(self, batches) -> pa.Table:
        shard, row, digest = keys_in_input_order(batches, _digest_words, np.empty((0, 2), np.uint64))
        # Group equal digests, each group in input order; all but a group's first are dropped.
        by_digest = np.lexsort((np.arange(len(digest)), digest[:, 1], digest[:, 0]))
        ordered = digest[by_digest]
        repeat = np.zeros(len(ordered), dtype=bool)
        repeat[1:] = (ordered[1:] == ordered[:-1]).all(axis=1)
        dropped = np.sort(by_digest[repeat])
        self.stats.count("documents", len(digest))
        self.stats.count("distinct", len(digest) - len(dropped))
        self.stats.count("duplicates", len(dropped))
        return drop_list(shard[dropped], row[dropped])


def _digest_words(batch: pa.Table) -> np.ndarray:
    """The digests of a batch as ``(rows, 2)`` uint64, straight from the Arrow buffer."""
    flat = batch.column(DIGEST).combine_chunks()
    words = np.frombuffer(flat.buffers()[1], dtype=np.uint64)
    return words[2 * flat.offset:2 * (flat.offset + len(flat))].reshape(-1, 2)


class ExactDedupFilter(DropRows):
    """Drop the rows :class:`ExactDuplicates` listed; count them under ``exact_duplicate``."""

    default_name = "exact_dedup"
    reason = "exact_duplicate"
    wiring = "docs >> exact_dedup() (or [exact_dedup_duplicates, docs] >> filter)"


class ExactDedup(Composite):
    """Drop documents whose normalised text already appeared earlier in the input.

    Texts are normalised as :mod:`~shardflow.steps.dedup.normalize` says (NFKC, lower case,
    punctuation, symbols and whitespace runs -> one space), then hashed with 128-bit BLAKE2b.
    Input order is shard order, then row order, so the document kept is the first one
    whatever the number of workers. The output keeps the input's shards, minus the dropped
    rows, which are counted under ``exact_duplicate`` in the stats of the step ``name``.

    Memory: the documents stay in their shards; the one global stage holds 24 bytes per
    document (shard, row, digest) and its sort.

    Args:
        column: The text column.
        name: Name of the filter (the step whose stats show the drops; default
            ``exact_dedup``); the other two steps are ``<name>_digests`` and
            ``<name>_duplicates``.
        rejected: A directory to write the dropped rows to (see :class:`~shardflow.Filter`).
        **options: Step options (``cpus``, ``memory``, ``time``, ``retries``, ...) for all
            three steps; ``batch_size`` applies to the digests, ``checkpoint`` and ``fuse``
            to the filter.

    Example:
        ``unique = docs >> exact_dedup(); unique >> write_jsonl("out/unique")``
    """

    args_model = DedupArgs

    def __init__(self, *, column: str = "text", name: str | None = None, rejected: str | None = None,
                 **options: Any) -> None:
        if "out_shards" in options:
            raise TypeError(
                "exact_dedup() takes no out_shards: its output keeps the input's shards "
                "(set run(tasks=...) or the reader's shards instead)"
            )
        first, middle, last = split_options(options)
        self.digests = ExactDigests(column=column, name=f"{name}_digests" if name else None, **first)
        self.duplicates = ExactDuplicates(name=f"{name}_duplicates" if name else None, **middle)
        self.output = ExactDedupFilter(name=name, rejected=rejected, **last)
        self.digests >> self.duplicates >> self.output

    def attach(self, upstream: Step) -> None:
        upstream >> self.digests
        upstream >> self.output

