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
