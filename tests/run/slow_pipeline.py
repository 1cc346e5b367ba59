"""A pipeline whose tasks take a while (SHARDFLOW_TEST_SLOW seconds per batch), for kill tests.

Run as a script: ``python slow_pipeline.py INPUT OUT WORKDIR TASKS WORKERS``.
"""

from __future__ import annotations

import os
import sys
import time

import shardflow as sf
from shardflow.steps import filter_rows, map_batches, read_jsonl, write_jsonl, write_parquet


def slow(table):
    # The delay is read at run time, so it does not change the stage key.
    time.sleep(float(os.environ.get("SHARDFLOW_TEST_SLOW", "0")))
    return table


def output_files(outputs: dict[str, list[str]]) -> list[str]:
    """Every file of a result's outputs, sorted."""
    return sorted(f for files in outputs.values() for f in files)


def build(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("slow") as p:
        docs = read_jsonl(inp, batch_size=50) >> map_batches(slow, name="slow")
        kept = docs >> filter_rows(lambda d: len(d["text"]) > 60, name="kept")
        kept >> write_jsonl(f"{out}/a", name="a")
        kept >> map_batches(slow, name="slow_b") >> write_parquet(f"{out}/b", name="b")
    return p


if __name__ == "__main__":
    inp, out, workdir, tasks, workers = sys.argv[1:6]
    try:
        result = build(inp, out).run(workdir=workdir, tasks=int(tasks), workers=int(workers))
    except sf.RunFailed as exc:
        print(exc, file=sys.stderr)
        sys.exit(130 if "interrupted" in str(exc) else 1)
    print("ran", result.ran, "reused", result.reused)
