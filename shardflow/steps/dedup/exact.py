"""Exact deduplication: keep the first document of each group with the same normalised text."""

from __future__ import annotations

import hashlib
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from shardflow.graph.step import GlobalStep
from shardflow.steps.dedup.normalize import normalize_text, text_column


def text_digests(texts: pa.Array) -> list[bytes]:
    """The 128-bit BLAKE2b digest of each normalised text (hashed from the Arrow buffer)."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset:texts.offset + len(texts) + 1]
    data = memoryview(texts.buffers()[2] or b"")
    blake = hashlib.blake2b
    return [blake(data[lo:hi], digest_size=16).digest() for lo, hi in zip(offsets[:-1].tolist(), offsets[1:].tolist())]


class ExactDedup(GlobalStep):
    """Drop documents whose normalised text already appeared earlier in the input.

    Texts are normalised as :mod:`~shardflow.steps.dedup.normalize` says (NFKC, lower case,
    punctuation, symbols and whitespace runs -> one space), then hashed with 128-bit BLAKE2b.
    Input order is shard order, then row order, so the document kept is the first one
    whatever the number of workers. Dropped rows are counted under ``exact_duplicate``.

    Memory: 16 bytes per distinct text, plus the kept documents themselves (a global step
    returns its whole output).

    Args:
        column: The text column.
        out_shards: Shards of the output (None: the run's ``tasks``).

    Example:
        ``unique = docs >> exact_dedup()``
    """

    default_name = "exact_dedup"

    def __init__(self, *, column: str = "text", **options: Any) -> None:
        super().__init__(**options)
        self.column = column

    def process_all(self, batches: Iterator[pa.Table]) -> Iterator[pa.Table]:
        seen: set[bytes] = set()
        for batch in batches:
            texts = normalize_text(text_column(batch, self.column, self.name))
            keep = np.zeros(batch.num_rows, dtype=bool)
            for i, digest in enumerate(text_digests(texts)):
                if digest not in seen:
                    seen.add(digest)
                    keep[i] = True
            dropped = batch.num_rows - int(keep.sum())
            if dropped:
                self.stats.drop("exact_duplicate", dropped)
                batch = batch.filter(pa.array(keep))
            yield batch
