"""A three-branch pipeline over small generated documents, for the report tests.

Branches: ``long`` (a filter), ``count`` (a mapper), ``flaky`` (fails on the documents of
input file 1 when ``fail=True``, under ``on_failure="continue"``). ``SHARDFLOW_TEST_SLOW``
seconds of sleep per batch make tasks slow enough to watch (read at run time, so it does
not change stage keys).

Run as a script: ``python pipelines.py INPUT_DIR OUT WORKDIR FAIL(0|1)``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

import shardflow as sf
from shardflow.steps import filter_rows, map_batches, map_rows, read_jsonl, write_jsonl, write_parquet

WORDS = "data pipeline shard arrow parquet token model filter branch merge global text web crawl".split()


def write_docs(root: str, files: int = 4, per_file: int = 120) -> None:
    """Write ``files`` JSONL files of documents of varied lengths under ``root``."""
    os.makedirs(root, exist_ok=True)
    rng = random.Random(7)
    for f in range(files):
        with open(os.path.join(root, f"part-{f}.jsonl"), "w", encoding="utf-8") as out:
            for i in range(per_file):
                text = " ".join(rng.choice(WORDS) for _ in range(int(rng.lognormvariate(3.0, 1.0)) + 1))
                out.write(json.dumps({"id": f"f{f}-{i:04d}", "text": text}) + "\n")


def slow(table):
    time.sleep(float(os.environ.get("SHARDFLOW_TEST_SLOW", "0")))
    return table


def explode(table):
    bad = [i for i in table.column("id").to_pylist() if i.startswith("f1-")]
    if bad:
        raise ValueError(f"bad document {bad[0]}")
    return table


def build(inp: str, out: str, fail: bool = False) -> sf.Pipeline:
    with sf.Pipeline("three_branches") as p:
        docs = read_jsonl(os.path.join(inp, "*.jsonl"), batch_size=40) >> map_batches(slow, name="slow")
        clean = docs >> filter_rows(lambda d: len(d["text"]) >= 20, name="clean")
        clean >> filter_rows(lambda d: len(d["text"]) > 150, name="long") >> write_jsonl(f"{out}/long", name="long_out")
        clean >> map_rows(lambda d: {**d, "n": len(d["text"])}, name="count") >> write_parquet(f"{out}/count", name="count_out")
        flaky = clean >> map_batches(explode if fail else slow, name="flaky", on_failure="continue")
        flaky >> write_jsonl(f"{out}/flaky", name="flaky_out")
    return p


if __name__ == "__main__":
    inp, out, workdir, fail = sys.argv[1:5]
    try:
        build(inp, out, fail == "1").run(workdir=workdir, workers=2)
    except sf.RunFailed as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
