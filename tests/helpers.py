"""Test helpers: read outputs back, compare rows, hash files."""

from __future__ import annotations

import gzip
import hashlib
import json

import pyarrow.parquet as pq
import zstandard


def strip_nones(value):
    """Drop None values recursively: Arrow fills keys a record lacked with null."""
    if isinstance(value, dict):
        return {k: strip_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nones(v) for v in value]
    return value


def read_rows(path: str) -> list[dict]:
    """Rows of one output file (jsonl, .gz, .zst, parquet)."""
    if path.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    if path.endswith(".gz"):
        data = gzip.open(path, "rb").read()
    elif path.endswith(".zst"):
        data = zstandard.ZstdDecompressor().stream_reader(open(path, "rb")).read()
    else:
        data = open(path, "rb").read()
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def read_all(paths: list[str]) -> list[dict]:
    rows = []
    for p in paths:
        rows += read_rows(p)
    return [strip_nones(r) for r in rows]


def file_digests(paths: list[str], root: str) -> dict[str, str]:
    """Content hash of each file, keyed by its path relative to ``root``."""
    out = {}
    for p in paths:
        with open(p, "rb") as f:
            out[p[len(root):]] = hashlib.sha256(f.read()).hexdigest()
    return out
