"""An exact dedup whose filter stage is slow (SHARDFLOW_TEST_SLOW seconds a batch), for kill tests.

Run as a script: ``python dedup_pipeline.py INPUT OUT WORKDIR WORKERS PART_ROWS`` (PART_ROWS 0:
one part per task).
"""

from __future__ import annotations

import os
import sys
import time

import shardflow as sf
from shardflow.steps import exact_dedup, map_batches, read_jsonl, write_jsonl


def slow(table):
    # The delay is read at run time, so it does not change the stage key.
    time.sleep(float(os.environ.get("SHARDFLOW_TEST_SLOW", "0")))
    return table


def build(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("dedup_kill") as p:
        docs = read_jsonl(inp, batch_size=10)
        docs >> exact_dedup() >> map_batches(slow, name="slow") >> write_jsonl(out, name="w")
    return p


if __name__ == "__main__":
    inp, out, workdir, workers, part_rows = sys.argv[1:6]
    build(inp, out).run(workdir=workdir, workers=int(workers), part_rows=int(part_rows) or None, progress=False)
