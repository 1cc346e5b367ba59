"""Deduplication steps: exact (normalised text hash) and near-duplicate (MinHash + LSH).

Both are composites of three stages (keys shard by shard -> a global decision on the keys
alone -> a shard-parallel filter), wired with one ``>>``: ``docs >> exact_dedup() >> sink``.
"""

from shardflow.steps.dedup.exact import ExactDedup, ExactDedupFilter, ExactDigests, ExactDuplicates
from shardflow.steps.dedup.minhash import MinhashClusters, MinhashDedup, MinhashFilter, MinhashSignatures

exact_dedup = ExactDedup
minhash_dedup = MinhashDedup
minhash_signatures = MinhashSignatures
minhash_clusters = MinhashClusters
minhash_filter = MinhashFilter

__all__ = [
    "ExactDedup",
    "ExactDedupFilter",
    "ExactDigests",
    "ExactDuplicates",
    "MinhashClusters",
    "MinhashDedup",
    "MinhashFilter",
    "MinhashSignatures",
    "exact_dedup",
    "minhash_clusters",
    "minhash_dedup",
    "minhash_filter",
    "minhash_signatures",
]
