"""The anchor of bench/suite.py: a bare single-process loop, no framework.

For each input file in order: read it line by line with gzip, ``orjson.loads`` each line,
``orjson.dumps`` it back and write it to a gzip file at ``--level``. This is the least any
engine can do for a JSONL passthrough in Python; an engine with ``W`` workers is compared
with ``W`` times its docs/s. ``--codec zlib-ng`` runs the same loop with the gzip codec
shardflow uses (``zlib_ng.gzip_ng``), to separate the codec from the framework.
``--procs W`` runs W such loops at once, taking files from a shared queue: the least a
W-worker engine can do, measured rather than multiplied (on a shared machine, W processes
need not get W times the CPU of one).

Usage: ``.venv/bin/python bench/suite_bare.py --input DIR --out DIR [--level 6] [--codec stdlib]
[--procs 1]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import time

import orjson


def copy(src: str, dest: str, level: int, codec: str) -> int:
    """The loop itself, over one file; returns the number of documents."""
    if codec == "zlib-ng":
        from zlib_ng import gzip_ng as gz
    else:
        gz = gzip
    docs = 0
    loads, dumps, newline = orjson.loads, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    with gz.open(src, "rb") as fin, gz.open(dest, "wb", compresslevel=level) as fout:
        for line in fin:
            fout.write(dumps(loads(line), option=newline))
            docs += 1
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--level", type=int, default=6)
    ap.add_argument("--codec", choices=["stdlib", "zlib-ng"], default="stdlib")
    ap.add_argument("--procs", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    names = sorted(f for f in os.listdir(args.input) if f.endswith(".jsonl.gz"))
    jobs = [(os.path.join(args.input, n), os.path.join(args.out, n), args.level, args.codec) for n in names]
    t0 = time.perf_counter()
    if args.procs == 1:
        docs = sum(copy(*job) for job in jobs)
    else:
        with multiprocessing.get_context("spawn").Pool(args.procs) as pool:
            docs = sum(pool.starmap(copy, jobs, chunksize=1))
    print(json.dumps({"seconds": time.perf_counter() - t0, "docs": docs}))


if __name__ == "__main__":
    main()
