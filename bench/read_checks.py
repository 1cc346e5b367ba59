"""Cost of the reader's shard checks (column types across batches and files, repeated ids):
``read_jsonl`` over the shared corpus with the checks (as the ``read_jsonl`` step reads)
and without them (the anchor), alternated in one process, best of ``--repeat``.

Run: ``.venv/bin/python bench/read_checks.py [--corpus en_docs] [--shards 4] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import command_line, corpus_files  # noqa: E402
from shardflow.io import Piece, ShardLedger, read_jsonl  # noqa: E402


def _read(files: list[str], checked: bool) -> tuple[float, int]:
    t0 = time.perf_counter()
    rows = 0
    ledger = ShardLedger() if checked else None
    for path in files:
        for table in read_jsonl(Piece(path), ledger=ledger):
            rows += table.num_rows
    return time.perf_counter() - t0, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default="en_docs", choices=["en_docs", "en_dict", "en_man"])
    ap.add_argument("--shards", type=int, default=4, help="corpus files to read")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = corpus_files(args.corpus, args.shards)
    best = {False: float("inf"), True: float("inf")}
    for _ in range(args.repeat):
        for checked in (False, True):
            seconds, rows = _read(files, checked)
            best[checked] = min(best[checked], seconds)
    print(f"{args.corpus}: {rows:,} docs in {len(files)} files, best of {args.repeat}")
    print(f"without checks (anchor): {best[False]:.2f} s, {rows / best[False]:,.0f} docs/s")
    print(f"with shard checks:       {best[True]:.2f} s, {rows / best[True]:,.0f} docs/s")
    print(f"ratio checked/anchor: {best[True] / best[False]:.3f}")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
