"""The step library: readers, writers and row/batch transforms."""

from shardflow.steps.jsonl import JsonlReader, JsonlSink, read_jsonl, write_jsonl
from shardflow.steps.parquet import ParquetReader, ParquetSink, read_parquet, write_parquet
from shardflow.steps.rows import FilterRows, MapBatches, MapRows, filter_rows, map_batches, map_rows

__all__ = [
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
