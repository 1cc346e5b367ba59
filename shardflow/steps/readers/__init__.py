"""Readers beyond JSONL and Parquet: CSV, plain text files, WARC / WET, saved HF datasets."""

from shardflow.steps.readers.csv import CsvReader, read_csv
from shardflow.steps.readers.hf import HfDatasetReader, read_hf_dataset
from shardflow.steps.readers.text import TextFilesReader, read_text_files
from shardflow.steps.readers.warc import WarcReader, read_warc

__all__ = [
    "CsvReader",
    "HfDatasetReader",
    "TextFilesReader",
    "WarcReader",
    "read_csv",
    "read_hf_dataset",
    "read_text_files",
    "read_warc",
]
