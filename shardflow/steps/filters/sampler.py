"""Sampler: keep a fixed share of documents, decided by seed and document id alone."""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

import pyarrow as pa

from shardflow.graph.step import Filter
from shardflow.steps.filters.base import require_column

_SCALE = float(2**64)


def unit_hash(seed: int, key: str) -> float:
    """A number in [0, 1) from ``seed`` and ``key``, the same on every machine and run."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8, salt=seed.to_bytes(8, "little", signed=True)).digest()
    return int.from_bytes(digest, "little") / _SCALE


class Sampler(Filter):
    """Keep about ``rate`` of the documents, chosen by a hash of ``seed`` and the id column.

    Unlike datatrove's SamplerFilter (a random stream, so the kept set depends on how
    documents are split among workers), the decision for a document depends only on its id
    and the seed: any number of tasks or workers keeps the same documents, and a rerun too.
    Reason: ``sampled_out``.

    Args:
        rate: Share of documents to keep, in [0, 1].
        seed: Changes which documents are kept.
        id_column: The column identifying a document.

    Example:
        ``docs >> sampler(rate=0.1, seed=42)``
    """

    default_name = "sampler"

    def __init__(self, rate: float = 0.5, seed: int = 0, id_column: str = "id", **options: Any) -> None:
        super().__init__(**options)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"sampler(rate={rate}): the rate to keep must be between 0 and 1")
        self.rate = float(rate)
        self.seed = int(seed)
        self.id_column = id_column

    def keeps(self, doc_id: Any) -> bool:
        """Whether the document with id ``doc_id`` is kept."""
        return unit_hash(self.seed, str(doc_id)) < self.rate

    def filter(self, row: dict[str, Any]) -> bool | tuple[bool, str]:
        return True if self.keeps(row[self.id_column]) else (False, "sampled_out")

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        keep = list(map(self.keeps, require_column(self, batch, self.id_column, "id_column").to_pylist()))
        return keep, [None if k else "sampled_out" for k in keep]


sampler = Sampler
