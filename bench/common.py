"""Shared helpers of the benchmarks: the corpus location, timing, reporting."""

from __future__ import annotations

import glob
import os
import shlex
import sys
import time
from contextlib import contextmanager

CORPUS = os.environ.get("SHARDFLOW_CORPUS", "/work/corpus")
MAKE_CORPUS = "bash ../shared/data/make_bench_corpus.sh /work/corpus"


def corpus_files(name: str, shards: int | None = None) -> list[str]:
    """Shard files of one corpus (en_docs, en_dict, en_man); explain how to build it if absent."""
    files = sorted(glob.glob(os.path.join(CORPUS, name, "shard-*.jsonl.gz")))
    if not files:
        sys.exit(f"no corpus at {CORPUS}/{name}: build it with `{MAKE_CORPUS}` or set SHARDFLOW_CORPUS")
    return files[:shards] if shards else files


@contextmanager
def timed(results: dict, key: str):
    t0 = time.perf_counter()
    yield
    results[key] = time.perf_counter() - t0


def command_line() -> str:
    """The command that reproduces this benchmark run."""
    return shlex.join([".venv/bin/python", *sys.argv])
