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


def kill_run_when(args: list[str], env: dict, ready, timeout: float = 60.0) -> None:
    """Start a run (``args``) in its own process group and SIGKILL the whole group — the
    driver and its workers, at once — as soon as ``ready()`` is true."""
    import os
    import signal
    import subprocess
    import time

    proc = subprocess.Popen(args, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, f"not ready to be killed within {timeout} s"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
