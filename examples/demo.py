"""The demo pipeline: sample documents -> a long-document branch and a length-annotated branch.

Run it with ``shardflow run examples/demo.py`` or ``python examples/demo.py``.
"""

from __future__ import annotations

import os
import sys

import shardflow as sf
from shardflow.steps import filter_rows, map_rows, read_jsonl, write_jsonl, write_parquet

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("SHARDFLOW_DEMO_OUT", os.path.join(os.getcwd(), "out", "demo"))

with sf.Pipeline("demo") as pipeline:
    docs = read_jsonl(os.path.join(HERE, "data", "*.jsonl.gz"))
    long = docs >> filter_rows(lambda d: len(d["text"]) > 200, name="long_docs")
    long >> write_jsonl(os.path.join(OUT, "long"))
    docs >> map_rows(lambda d: {**d, "n_chars": len(d["text"])}, name="count_chars") >> write_parquet(
        os.path.join(OUT, "lengths")
    )

run_options = {"workdir": os.path.join(os.getcwd(), "runs", "demo"), "tasks": 6, "workers": 2}

if __name__ == "__main__":
    try:
        result = pipeline.run(**run_options)
    except sf.RunFailed as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print(result.stats)
    for leaf, files in result.outputs.items():
        print(f"{leaf}: {len(files)} files, e.g. {files[0] if files else '-'}")
