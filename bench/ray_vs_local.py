"""The shared-corpus passthrough on local Ray vs the local executor, side by side.

    .venv/bin/python bench/ray_vs_local.py [--corpus /work/corpus/en_docs] [--workers 2] [--repeat 1]

The same pipeline (read_jsonl -> write_jsonl, gzip) runs on ``LocalExecutor(workers=N)`` and
on ``RayExecutor(workers=N)`` over a single-node Ray started here on 127.0.0.2 (its start is
timed apart). Prints each wall time, the ratio Ray / local, checks that both wrote the same
bytes, and prints the command. Not a test: timings vary with the machine's load.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shlex
import shutil
import sys
import tempfile
import time

import shardflow as sf
from shardflow.steps import read_jsonl, write_jsonl


def passthrough(files: list[str], out: str) -> sf.Pipeline:
    with sf.Pipeline("passthrough") as p:
        read_jsonl(files) >> write_jsonl(out, name="w")
    return p


def digest(paths: list[str]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        with open(path, "rb") as f:
            h.update(os.path.basename(path).encode() + hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def run(files: list[str], tmp: str, name: str, executor) -> tuple[float, str, int]:
    t0 = time.perf_counter()
    result = passthrough(files, f"{tmp}/{name}/out").run(workdir=f"{tmp}/{name}/run", executor=executor)
    seconds = time.perf_counter() - t0
    return seconds, digest(result.outputs["w"]), result.stats["w"].rows_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/corpus/en_docs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, alternating; the best is kept")
    args = ap.parse_args()
    files = sorted(glob.glob(f"{args.corpus}/*.jsonl.gz"))
    if not files:
        sys.exit(f"no *.jsonl.gz in {args.corpus}: build it with /work/shared/data/make_bench_corpus.sh")
    size = sum(os.path.getsize(f) for f in files)

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a private, loopback-only instance
    ray_tmp = tempfile.mkdtemp(prefix="sfray", dir="/tmp")
    os.environ["RAY_TMPDIR"] = ray_tmp
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), _node_ip_address="127.0.0.2", include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - t0

    tmp = tempfile.mkdtemp(prefix="bench-ray-")
    best: dict[str, float] = {}
    digests: dict[str, str] = {}
    try:
        for i in range(args.repeat):
            for name, make in (("local", sf.LocalExecutor), ("ray", sf.RayExecutor)):
                seconds, digests[name], docs = run(files, tmp, f"{name}-{i}", make(workers=args.workers))
                best[name] = min(best.get(name, float("inf")), seconds)
                print(f"  run {i + 1} {name:5s}: {seconds:6.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)

    print(f"{args.corpus}: {docs:,} docs, {size / 1e6:.0f} MB gzip in {len(files)} files, workers={args.workers}, {os.cpu_count()} cores")
    print(f"local executor : {best['local']:6.1f} s  ({docs / best['local']:,.0f} docs/s)")
    print(f"ray executor   : {best['ray']:6.1f} s  ({docs / best['ray']:,.0f} docs/s), + {ray_start:.1f} s to start local Ray")
    print(f"ratio ray/local: {best['ray'] / best['local']:.2f} (with Ray's start: {(best['ray'] + ray_start) / best['local']:.2f})")
    print(f"same output bytes: {digests['local'] == digests['ray']}")
    print(f"reproduce: {shlex.join([sys.executable, *sys.argv])}")


if __name__ == "__main__":
    main()
