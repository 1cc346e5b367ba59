"""A one-task pipeline that commits in parts; each batch it processes is logged to a file.

The log file is named by SHARDFLOW_TEST_LOG at run time, so it is not part of the stage key.
Run as a script: ``python parts_pipeline.py INPUT OUT WORKDIR PART_ROWS``.
"""

from __future__ import annotations

import os
import sys
import time

import shardflow as sf
from shardflow.steps import map_batches, read_jsonl, write_jsonl


def logged(table):
    time.sleep(float(os.environ.get("SHARDFLOW_TEST_SLOW", "0")))
    log = os.environ.get("SHARDFLOW_TEST_LOG")
    if log:
        with open(log, "a") as f:  # what this attempt really processed
            f.write(f"{table.num_rows}\n")
    return table


def build(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("parts") as p:
        read_jsonl(inp, batch_size=25) >> map_batches(logged, name="work") >> write_jsonl(out, name="w")
    return p


if __name__ == "__main__":
    inp, out, workdir, part_rows = sys.argv[1:5]
    build(inp, out).run(workdir=workdir, tasks=1, workers=1, part_rows=int(part_rows))
