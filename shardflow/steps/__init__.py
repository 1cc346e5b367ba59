"""The step library: readers, writers and row/batch transforms."""

from shardflow.steps.adapters import DatatroveStep, from_datatrove
from shardflow.steps.counts import CountText, count_text
from shardflow.steps.extract import ExtractHtml, extract_html
from shardflow.steps.dedup import (
    ExactDedup,
    MinhashClusters,
    MinhashDedup,
    MinhashFilter,
    MinhashSignatures,
    exact_dedup,
    minhash_clusters,
    minhash_dedup,
    minhash_filter,
    minhash_signatures,
)
from shardflow.steps.join import Join, join
from shardflow.steps.jsonl import JsonlReader, JsonlSink, read_jsonl, write_jsonl
from shardflow.steps.langid import LanguageId, language_id
from shardflow.steps.parquet import ParquetReader, ParquetSink, read_parquet, write_parquet
from shardflow.steps.pii import RedactPii, redact_pii
from shardflow.steps.readers import (
    CsvReader,
    HfDatasetReader,
    TextFilesReader,
    WarcReader,
    read_csv,
    read_hf_dataset,
    read_text_files,
    read_warc,
)
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
from shardflow.steps.tokens import CountTokens, count_tokens

__all__ = [
    "Join",
    "join",
    "ConvergeBatches",
    "RouteBatches",
    "converge",
    "route_batches",
    "CountText",
    "CountTokens",
    "CsvReader",
    "DatatroveStep",
    "ExtractHtml",
    "ExactDedup",
    "LanguageId",
    "MinhashClusters",
    "MinhashDedup",
    "MinhashFilter",
    "MinhashSignatures",
    "exact_dedup",
    "language_id",
    "minhash_clusters",
    "minhash_dedup",
    "minhash_filter",
    "minhash_signatures",
    "FilterRows",
    "HfDatasetReader",
    "JsonlReader",
    "JsonlSink",
    "MapBatches",
    "MapRows",
    "ParquetReader",
    "ParquetSink",
    "RedactPii",
    "TextFilesReader",
    "WarcReader",
    "count_text",
    "count_tokens",
    "extract_html",
    "filter_rows",
    "from_datatrove",
    "map_batches",
    "map_rows",
    "read_csv",
    "read_hf_dataset",
    "read_jsonl",
    "read_parquet",
    "read_text_files",
    "read_warc",
    "redact_pii",
    "write_jsonl",
    "write_parquet",
]

# The quality filters (steps/filters/): datatrove's heuristics, same decisions, much faster.
from shardflow.steps.filters import (  # noqa: E402
    C4BadWords,
    C4Quality,
    FineWebQuality,
    GopherQuality,
    GopherRepetition,
    RegexFilter,
    Sampler,
    TextLength,
    URLFilter,
    c4_badwords,
    c4_quality,
    fineweb_quality,
    gopher_quality,
    gopher_repetition,
    regex_filter,
    sampler,
    text_length,
    url_filter,
)
from shardflow.steps import filters as _filters  # noqa: E402

__all__ += _filters.__all__
