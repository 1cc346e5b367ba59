"""The shardflow side of bench/suite.py: one case, one run, one JSON line on stdout.

Usage: ``.venv/bin/python bench/suite_shardflow.py CASE --input DIR --out DIR --workers N``
(bench/suite.py calls it; see there). The clock runs from building the pipeline to the end
of ``run()``: worker start-up, planning and commits count, the interpreter's start does not.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import time
from typing import Any, Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shardflow as sf  # noqa: E402
import shardflow.steps as steps  # noqa: E402
from bench.suite_cases import NOOP_TASKS, kept_ids, runner_arguments  # noqa: E402

FILTERS = ("gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality")


def missing(*names: str) -> list[str]:
    """The step names this checkout's ``shardflow.steps`` does not have yet."""
    return [n for n in names if not hasattr(steps, n)]


class NoopSource(sf.Source):
    """A source of ``n`` empty shards: each task starts, reads nothing and commits."""

    def __init__(self, n: int, **options: Any) -> None:
        super().__init__(**options)
        self.n = n

    def list_shards(self, n: int | None):
        from shardflow.io import InputShard

        return [InputShard(i, (), 0) for i in range(self.n)]

    def read(self, shard) -> Iterator:
        return iter(())


def build(case: str, files: list[str], out: str, level: int | None) -> tuple[sf.Pipeline, str]:
    """The case's pipeline and the name of the step whose rows_in counts the input."""
    with sf.Pipeline(case) as p:
        if case == "noop":
            NoopSource(NOOP_TASKS, name="noop")
            return p, "noop"
        docs = steps.read_jsonl(files, name="read")
        if case == "passthrough":
            docs >> steps.write_jsonl(f"{out}/data", level=level, name="write")
        elif case == "filters":
            node = docs
            for name in FILTERS:
                node = node >> getattr(steps, name)()
            node >> steps.write_jsonl(f"{out}/data", compression=None, name="write")
        elif case == "exact_dedup":
            docs >> steps.exact_dedup() >> steps.write_jsonl(f"{out}/data", compression=None, name="write")
        elif case == "minhash_dedup":
            steps.minhash_dedup(docs, ngram=5, bands=14, rows=8, seed=1) >> steps.write_jsonl(
                f"{out}/data", compression=None, name="write")
        elif case == "dag":
            from bench.branches import annotate, branch_steps

            prefix = docs >> steps.map_rows(annotate, name="annotate")
            for i in range(3):
                node = prefix
                for step in branch_steps(i):
                    node = node >> step
                node >> steps.write_jsonl(f"{out}/b{i}", compression=None, name=f"write_b{i}")
        else:
            raise SystemExit(f"unknown case {case!r}")
    return p, "read"


def main() -> None:
    ap = runner_arguments(__doc__)
    ap.add_argument("--tasks", type=int, default=None)
    ap.add_argument("--level", type=int, default=None)
    args = ap.parse_args()
    need = {"filters": FILTERS, "exact_dedup": ("exact_dedup",), "minhash_dedup": ("minhash_dedup",)}.get(args.case, ())
    if missing(*need):
        print(json.dumps({"pending": f"shardflow.steps lacks {', '.join(missing(*need))}"}))
        return
    files = sorted(glob.glob(os.path.join(args.input, "*.jsonl.gz")))
    t0 = time.perf_counter()
    pipeline, counted = build(args.case, files, args.out, args.level)
    result = pipeline.run(workdir=f"{args.out}/run", tasks=args.tasks, workers=args.workers)
    seconds = time.perf_counter() - t0
    stats = result.stats[counted]
    report = {"seconds": seconds, "docs": stats.rows_out if args.case != "noop" else NOOP_TASKS}
    if args.case in ("filters", "exact_dedup", "minhash_dedup"):
        report["kept"] = kept_ids(f"{args.out}/data", f"{args.out}/kept_ids.txt")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
