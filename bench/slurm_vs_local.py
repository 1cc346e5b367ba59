"""Slurm vs local: wall time of the shared-corpus passthrough, same parallelism, one run.

read_jsonl -> write_jsonl (gzip) over the corpus, first with the local executor
(``--workers`` processes), then on a single-node Slurm cluster on loopback whose node has
``--workers`` CPUs (started here with tests/slurm/cluster.py; root and Debian's slurm
packages needed), each element one task. Both must write the same bytes. Prints both wall
times, the ratio and the command.

Run: ``.venv/bin/python bench/slurm_vs_local.py [--corpus en_docs] [--workers 2] [--tasks N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import shardflow as sf  # noqa: E402
from bench.common import command_line, corpus_files  # noqa: E402
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
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, in alternating order; medians are shown")
    args = ap.parse_args()
    reason = ensure_packages()
    if reason:
        sys.exit(reason)
    files = corpus_files(args.corpus)
    size = sum(os.path.getsize(f) for f in files)
    tmp = tempfile.mkdtemp(prefix="bench-slurm-")
    os.chmod(tmp, 0o755)  # munged (user munge) reaches its socket folder inside
    times: dict[str, list[float]] = {"local": [], "slurm": []}
    for f in files:  # warm the page cache, so that neither run pays the first read from disk
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    try:
        with LoopbackCluster(f"{tmp}/cluster", cpus=args.workers) as cluster:
            os.environ["SLURM_CONF"] = str(cluster.conf)
            results = {}
            for i in range(args.repeat):
                # Alternate which goes first: the shared machine's load drifts.
                for kind in ("local", "slurm") if i % 2 == 0 else ("slurm", "local"):
                    if kind == "local":
                        executor = sf.LocalExecutor(workers=args.workers)
                    else:
                        executor = sf.SlurmExecutor(poll_interval=0.5, chdir=ROOT)
                    run_dir = f"{tmp}/{kind}-{i}"
                    t0 = time.perf_counter()
                    results[kind] = passthrough(files, f"{run_dir}/out").run(
                        workdir=f"{run_dir}/run", tasks=args.tasks, executor=executor, progress=False)
                    times[kind].append(time.perf_counter() - t0)
        lres, sres = results["local"], results["slurm"]
        same = digests(lres.outputs) == digests(sres.outputs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    local_s, slurm_s = statistics.median(times["local"]), statistics.median(times["slurm"])
    docs = lres.stats["w"].rows_out
    n_tasks = len(lres.outputs["w"])
    print(f"{args.corpus}: {docs:,} docs, {size / 1e6:.0f} MB compressed, {n_tasks} tasks, parallelism {args.workers}")
    runs = lambda kind: ", ".join(f"{t:.1f}" for t in times[kind])  # noqa: E731
    print(f"local  wall {local_s:6.1f} s  ({docs / local_s:,.0f} docs/s; runs: {runs('local')})")
    print(f"slurm  wall {slurm_s:6.1f} s  ({docs / slurm_s:,.0f} docs/s; runs: {runs('slurm')})")
    print(f"slurm / local = {slurm_s / local_s:.2f}; identical output bytes: {same}")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
