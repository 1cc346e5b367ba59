"""Slurm vs local: wall time of the shared-corpus passthrough, same parallelism, one run.

read_jsonl -> write_jsonl (gzip) over the corpus, first with the local executor
(``--workers`` processes), then on a single-node Slurm cluster on loopback whose node has
``--workers`` CPUs (started here with tests/slurm/cluster.py; root and Debian's slurm
packages needed), each element one task. Both must write the same bytes. Prints both wall
times, the ratio and the command.

Run: ``.venv/bin/python bench/slurm_vs_local.py [--corpus en_docs] [--workers 2] [--tasks N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import shardflow as sf  # noqa: E402
from bench.common import command_line, corpus_files, timed  # noqa: E402
from shardflow.steps import read_jsonl, write_jsonl  # noqa: E402
from tests.slurm.cluster import LoopbackCluster, ensure_packages  # noqa: E402


def passthrough(files: list[str], out: str) -> sf.Pipeline:
    with sf.Pipeline("passthrough") as p:
        read_jsonl(files) >> write_jsonl(out, name="w")
    return p


def digests(outputs: dict[str, list[str]]) -> list[str]:
    return [hashlib.sha256(open(f, "rb").read()).hexdigest() for f in outputs["w"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default="en_docs", choices=["en_docs", "en_dict", "en_man"])
    ap.add_argument("--workers", type=int, default=2, help="local processes = CPUs of the Slurm node")
    ap.add_argument("--tasks", type=int, default=None, help="shards (default: one per file)")
    args = ap.parse_args()
    reason = ensure_packages()
    if reason:
        sys.exit(reason)
    files = corpus_files(args.corpus)
    size = sum(os.path.getsize(f) for f in files)
    tmp = tempfile.mkdtemp(prefix="bench-slurm-")
    os.chmod(tmp, 0o755)  # munged (user munge) reaches its socket folder inside
    times: dict[str, float] = {}
    for f in files:  # warm the page cache, so that neither run pays the first read from disk
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    try:
        local = passthrough(files, f"{tmp}/local-out")
        with timed(times, "local"):
            lres = local.run(workdir=f"{tmp}/local-run", tasks=args.tasks, executor=sf.LocalExecutor(workers=args.workers))
        with LoopbackCluster(f"{tmp}/cluster", cpus=args.workers) as cluster:
            os.environ["SLURM_CONF"] = str(cluster.conf)
            slurm = passthrough(files, f"{tmp}/slurm-out")
            executor = sf.SlurmExecutor(poll_interval=0.5, chdir=ROOT)
            with timed(times, "slurm"):
                sres = slurm.run(workdir=f"{tmp}/slurm-run", tasks=args.tasks, executor=executor)
        same = digests(lres.outputs) == digests(sres.outputs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    docs = lres.stats["w"].rows_out
    n_tasks = len(lres.outputs["w"])
    print(f"{args.corpus}: {docs:,} docs, {size / 1e6:.0f} MB compressed, {n_tasks} tasks, parallelism {args.workers}")
    print(f"local  wall {times['local']:6.1f} s  ({docs / times['local']:,.0f} docs/s)")
    print(f"slurm  wall {times['slurm']:6.1f} s  ({docs / times['slurm']:,.0f} docs/s)")
    print(f"slurm / local = {times['slurm'] / times['local']:.2f}; identical output bytes: {same}")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
