"""Passthrough throughput: read_jsonl -> write_jsonl (gzip) over the shared corpus.

Run: ``.venv/bin/python bench/passthrough.py [--corpus en_docs] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shardflow as sf  # noqa: E402
from bench.common import command_line, corpus_files, timed  # noqa: E402
from shardflow.steps import read_jsonl, write_jsonl  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default="en_docs", choices=["en_docs", "en_dict", "en_man"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=None, help="shards (default: one per file)")
    ap.add_argument("--level", type=int, default=None, help="gzip level of the output (default 6)")
    args = ap.parse_args()
    files = corpus_files(args.corpus)
    size = sum(os.path.getsize(f) for f in files)
    tmp = tempfile.mkdtemp(prefix="bench-pass-")
    times: dict[str, float] = {}
    try:
        with sf.Pipeline("passthrough") as p:
            read_jsonl(files) >> write_jsonl(f"{tmp}/out", level=args.level, name="w")
        with timed(times, "run"):
            result = p.run(workdir=f"{tmp}/run", tasks=args.tasks, workers=args.workers)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    docs = result.stats["w"].rows_out
    print(f"{args.corpus}: {docs:,} docs, {size / 1e6:.0f} MB compressed in {len(files)} files, workers={args.workers}")
    print(f"wall {times['run']:.1f} s: {docs / times['run']:,.0f} docs/s, {size / 1e6 / times['run']:.1f} MB/s (compressed input)")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
