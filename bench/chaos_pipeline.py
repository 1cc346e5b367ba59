"""The chaos test's pipeline: a common prefix, three branches, one of them through a global step.

Run as a script (the chaos driver does): ``python bench/chaos_pipeline.py INPUTS OUT WORKDIR``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shardflow as sf  # noqa: E402
from shardflow.steps import filter_rows, map_batches, map_rows, read_jsonl, write_jsonl, write_parquet  # noqa: E402


def annotate(table: pa.Table) -> pa.Table:
    # SHARDFLOW_CHAOS_SLOW (seconds per batch, read at run time so it is not part of the stage
    # key) stretches short CI runs so the killer has something to kill.
    time.sleep(float(os.environ.get("SHARDFLOW_CHAOS_SLOW", "0")))
    return table.append_column("n_chars", pc.utf8_length(table["text"]))


class FirstOfEachText(sf.GlobalStep):
    """Global exact dedup: keep the first document (in input order) of each distinct text."""

    def process_all(self, batches):
        seen: set[bytes] = set()
        for table in batches:
            keep = []
            for text in table.column("text").to_pylist():
                key = hashlib.blake2b(text.encode(), digest_size=16).digest()
                keep.append(key not in seen)
                seen.add(key)
            dropped = len(keep) - sum(keep)
            if dropped:
                self.stats.drop("duplicate_text", dropped)
            yield table.filter(pa.array(keep))


def build(inputs: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("chaos") as p:
        docs = read_jsonl(inputs, batch_size=500) >> map_batches(annotate, name="annotate")
        docs >> filter_rows(lambda d: d["n_chars"] > 200, name="long") >> write_jsonl(f"{out}/long", name="long_out")
        docs >> map_rows(lambda d: {"id": d["id"], "n_chars": d["n_chars"], "text": d["text"][:100]}, name="heads") \
            >> write_parquet(f"{out}/heads", name="heads_out")
        docs >> FirstOfEachText(name="dedup", out_shards=4) >> write_jsonl(f"{out}/dedup", name="dedup_out")
    return p


RUN = {"tasks": 8, "workers": 2, "part_rows": 1000}

if __name__ == "__main__":
    inputs, out, workdir = sys.argv[1:4]
    try:
        build(inputs, out).run(workdir=workdir, max_retries=2, **RUN)
    except sf.RunFailed as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
