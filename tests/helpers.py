"""Test helpers: read outputs back, compare rows, hash files (local paths or fsspec URLs)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard


def strip_nones(value):
    """Drop None values recursively: Arrow fills keys a record lacked with null."""
    if isinstance(value, dict):
        return {k: strip_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nones(v) for v in value]
    return value


def read_rows(path: str, storage_options: dict | None = None) -> list[dict]:
    """Rows of one output file (jsonl, .gz, .zst, parquet)."""
    with fsspec.open(path, "rb", **(storage_options or {})) as f:
        raw = f.read()
    if path.endswith(".parquet"):
        return pq.read_table(pa.BufferReader(raw)).to_pylist()
    if path.endswith(".gz"):
        data = gzip.decompress(raw)
    elif path.endswith(".zst"):
        data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
    else:
        data = raw
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def read_all(paths: list[str], storage_options: dict | None = None) -> list[dict]:
    rows = []
    for p in paths:
        rows += read_rows(p, storage_options)
    return [strip_nones(r) for r in rows]


def file_digests(paths: list[str], root: str) -> dict[str, str]:
    """Content hash of each file, keyed by its path relative to ``root``."""
    out = {}
    for p in paths:
        with fsspec.open(p, "rb") as f:
            out[p[len(root):]] = hashlib.sha256(f.read()).hexdigest()
    return out
