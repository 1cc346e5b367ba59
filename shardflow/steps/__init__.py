"""The step library: readers, writers and row/batch transforms."""

from shardflow.steps.dedup import (
    ExactDedup,
    MinhashClusters,
    MinhashFilter,
    MinhashSignatures,
    exact_dedup,
    minhash_clusters,
    minhash_dedup,
    minhash_filter,
    minhash_signatures,
)
from shardflow.steps.jsonl import JsonlReader, JsonlSink, read_jsonl, write_jsonl
from shardflow.steps.langid import LanguageId, language_id
from shardflow.steps.parquet import ParquetReader, ParquetSink, read_parquet, write_parquet
from shardflow.steps.rows import (
    ConvergeBatches,
    FilterRows,
    MapBatches,
    MapRows,
    RouteBatches,
    converge,
    filter_rows,
    map_batches,
    map_rows,
    route_batches,
)

__all__ = [
    "ConvergeBatches",
    "RouteBatches",
    "converge",
    "route_batches",
    "ExactDedup",
    "LanguageId",
    "MinhashClusters",
    "MinhashFilter",
    "MinhashSignatures",
    "exact_dedup",
    "language_id",
    "minhash_clusters",
    "minhash_dedup",
    "minhash_filter",
    "minhash_signatures",
    "FilterRows",
    "JsonlReader",
    "JsonlSink",
    "MapBatches",
    "MapRows",
    "ParquetReader",
    "ParquetSink",
    "filter_rows",
    "map_batches",
    "map_rows",
    "read_jsonl",
    "read_parquet",
    "write_jsonl",
    "write_parquet",
]
