"""The shared-corpus passthrough on local Ray vs the local executor, side by side.

Run: ``.venv/bin/python bench/ray_vs_local.py [--corpus en_docs] [--workers 2] [--repeat 3]``.

The pipeline of ``bench/passthrough.py`` (read_jsonl -> write_jsonl, gzip) runs on
``LocalExecutor(workers=N)`` and on ``RayExecutor(workers=N)`` over a single-node Ray started
here on 127.0.0.2 (its start-up is timed apart), alternating, best of ``--repeat`` each.
Prints both wall times, the ratio Ray / local, whether both wrote the same bytes, and the
command. Not a test: timings vary with the machine's load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shardflow as sf  # noqa: E402
from bench.common import command_line, corpus_files, timed  # noqa: E402
from shardflow.steps import read_jsonl, write_jsonl  # noqa: E402


def digest(paths: list[str]) -> str:
    """One hash over the output files' names and contents."""
    h = hashlib.sha256()
    for path in sorted(paths):
        with open(path, "rb") as f:
            h.update(os.path.basename(path).encode() + hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def start_local_ray() -> str:
    """A private single-node Ray on loopback; returns its temp dir (to remove afterwards)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # nothing but this process joins it
    os.environ["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="sfray", dir="/tmp")
    import ray

    ray.init(num_cpus=os.cpu_count(), _node_ip_address="127.0.0.2", include_dashboard=False, log_to_driver=False)
    return os.environ["RAY_TMPDIR"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="en_docs", choices=["en_docs", "en_dict", "en_man"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, alternating; the best is kept")
    args = ap.parse_args()
    files = corpus_files(args.corpus)
    size = sum(os.path.getsize(f) for f in files)

    times: dict[str, float] = {}
    with timed(times, "ray start"):
        ray_tmp = start_local_ray()
    tmp = tempfile.mkdtemp(prefix="bench-ray-")
    best: dict[str, float] = {}
    digests: dict[str, str] = {}
    try:
        for i in range(args.repeat):
            for name, make in (("local", sf.LocalExecutor), ("ray", sf.RayExecutor)):
                with sf.Pipeline("passthrough") as p:
                    read_jsonl(files) >> write_jsonl(f"{tmp}/{name}-{i}/out", name="w")
                with timed(times, name):
                    result = p.run(workdir=f"{tmp}/{name}-{i}/run", executor=make(workers=args.workers), progress=False)
                digests[name] = digest(result.outputs["w"])
                best[name] = min(best.get(name, float("inf")), times[name])
                print(f"  run {i + 1} {name:5s}: {times[name]:6.1f} s", flush=True)
    finally:
        import ray

        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(ray_tmp, ignore_errors=True)

    docs = result.stats["w"].rows_out
    ray_start = times["ray start"]
    print(f"{args.corpus}: {docs:,} docs, {size / 1e6:.0f} MB gzip in {len(files)} files, workers={args.workers}, {os.cpu_count()} cores")
    print(f"local executor : {best['local']:6.1f} s  ({docs / best['local']:,.0f} docs/s)")
    print(f"ray executor   : {best['ray']:6.1f} s  ({docs / best['ray']:,.0f} docs/s), + {ray_start:.1f} s to start local Ray")
    print(f"ratio ray/local: {best['ray'] / best['local']:.2f} (with Ray's start-up: {(best['ray'] + ray_start) / best['local']:.2f})")
    print(f"same output bytes: {digests['local'] == digests['ray']}")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
