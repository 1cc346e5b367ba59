"""Cost of the per-step length histograms, side by side with its anchor: reading the same data.

    python bench/length_histogram.py [FILE ...]   (default: /work/corpus/en_docs/shard-0000[0-1].jsonl.gz)

Every step adds a histogram of its output's ``text`` lengths to its stats. This reads the
files once with the engine's JSONL reader (the anchor: what any pipeline pays first), then
computes the histogram over the same batches, and prints both times and their ratio.
"""

from __future__ import annotations

import glob
import shlex
import sys
import time

from shardflow.steps import read_jsonl
from shardflow.run.stream import length_histogram


def main(paths: list[str]) -> None:
    reader = read_jsonl(paths)
    t0 = time.perf_counter()
    tables = [t for shard in reader.list_shards(None) for t in reader.read(shard)]
    read_s = time.perf_counter() - t0
    rows = sum(t.num_rows for t in tables)
    t0 = time.perf_counter()
    for t in tables:
        length_histogram(t)
    hist_s = time.perf_counter() - t0
    print(f"{len(paths)} files, {rows:,} rows, {len(tables)} batches")
    print(f"read (anchor):      {read_s:8.3f} s")
    print(f"length histogram:   {hist_s:8.3f} s  ({hist_s / read_s:.1%} of reading; once per step output)")
    print("reproduce: " + shlex.join([sys.executable, *sys.argv]))


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(glob.glob("/work/corpus/en_docs/shard-0000[0-1].jsonl.gz")))
