"""What both sides of bench/suite.py share: case constants and reading back the kept ids.

Standard library only: it is imported by the shardflow runner and by the datatrove runner,
which lives in its own virtual environment.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os

NOOP_TASKS = 10_000
"""Tasks of the scheduler-overhead case, each of which does nothing."""


def kept_ids(data_dir: str, dest: str) -> str:
    """Write the ids of every document under ``data_dir`` (JSONL, plain or .gz) to ``dest``,
    one per line, sorted; return ``dest``. Runs after the clock stops."""
    ids = []
    for path in glob.glob(os.path.join(data_dir, "**", "*.jsonl*"), recursive=True):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            ids += [json.loads(line)["id"] for line in f if line.strip()]
    with open(dest, "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(ids)) + "\n")
    return dest


def runner_arguments(doc: str) -> argparse.ArgumentParser:
    """The arguments every runner of bench/suite.py takes: the case, input, output, workers."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("case")
    ap.add_argument("--input", default="", help="folder of .jsonl.gz files")
    ap.add_argument("--out", required=True, help="scratch folder for outputs and run state")
    ap.add_argument("--workers", type=int, required=True)
    return ap
