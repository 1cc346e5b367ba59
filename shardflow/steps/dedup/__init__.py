"""Deduplication steps: exact (normalised text hash) and near-duplicate (MinHash + LSH)."""

from shardflow.steps.dedup.exact import ExactDedup
from shardflow.steps.dedup.minhash import MinhashClusters, MinhashFilter, MinhashSignatures, minhash_dedup

exact_dedup = ExactDedup
minhash_signatures = MinhashSignatures
minhash_clusters = MinhashClusters
minhash_filter = MinhashFilter

__all__ = [
    "ExactDedup",
    "MinhashClusters",
    "MinhashFilter",
    "MinhashSignatures",
    "exact_dedup",
    "minhash_clusters",
    "minhash_dedup",
    "minhash_filter",
    "minhash_signatures",
]
