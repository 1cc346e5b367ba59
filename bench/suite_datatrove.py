"""The datatrove 0.10.1 side of bench/suite.py: one case, one run, one JSON line on stdout.

Runs in bench/.venv-datatrove (``bash bench/setup_datatrove.sh``), never in shardflow's.
Usage: ``bench/.venv-datatrove/bin/python bench/suite_datatrove.py CASE --input DIR --out DIR
--workers N``. Each case is datatrove's own way of doing the work of the shardflow case of
the same name (bench/suite_shardflow.py): its readers, writers, filters and dedup stages,
``LocalPipelineExecutor`` with the same workers and one task per input file. The clock runs
from building the executors to the end of the last ``run()``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.base import PipelineStep  # noqa: E402
from datatrove.pipeline.filters import LambdaFilter  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from bench.suite_cases import NOOP_TASKS, kept_ids, runner_arguments  # noqa: E402

WORD = re.compile(r"\w+")


class Annotate(PipelineStep):
    """The DAG prefix's work of bench/branches.py (word and line statistics), as metadata."""

    name = "annotate"

    def run(self, data, rank=0, world_size=1):
        for doc in data:
            words = WORD.findall(doc.text)
            doc.metadata.update(n_words=len(words), n_lines=doc.text.count("\n") + 1,
                                mean_word=sum(map(len, words)) / max(len(words), 1))
            yield doc


class TagCode(PipelineStep):
    """Branch 3 of bench/branches.py: a flag for code-like documents."""

    name = "tag_code"

    def run(self, data, rank=0, world_size=1):
        for doc in data:
            doc.metadata["code_like"] = doc.text.count("{") > 5
            yield doc


def noop(data, rank: int = 0, world_size: int = 1):
    """A task that does nothing."""
    return iter(())


def executors(case: str, inp: str, out: str, workers: int, tasks: int) -> list[LocalPipelineExecutor]:
    """The executors that do the case, in order (each one's run() waits for its tasks)."""

    def reader():
        return JsonlReader(inp, glob_pattern="*.jsonl.gz")

    def local(pipeline, name, n=tasks, w=workers):
        return LocalPipelineExecutor(pipeline, tasks=n, workers=min(w, n), logging_dir=f"{out}/logs/{name}")

    plain = dict(compression=None, output_filename="${rank}.jsonl")
    if case == "passthrough":
        return [local([reader(), JsonlWriter(f"{out}/data")], "pass")]
    if case == "noop":
        return [local([noop], "noop", n=NOOP_TASKS)]
    if case == "filters":
        from datatrove.pipeline.filters import (
            C4QualityFilter,
            FineWebQualityFilter,
            GopherQualityFilter,
            GopherRepetitionFilter,
        )

        chain = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
        return [local([reader(), *chain, JsonlWriter(f"{out}/data", **plain)], "filters")]
    if case == "exact_dedup":
        from datatrove.pipeline.dedup.exact_dedup import (
            ExactDedupConfig,
            ExactDedupFilter,
            ExactDedupSignature,
            ExactFindDedups,
        )

        config = ExactDedupConfig(content_getter=lambda doc: doc.text)
        return [
            local([reader(), ExactDedupSignature(f"{out}/sigs", config=config)], "sigs"),
            local([ExactFindDedups(f"{out}/sigs", f"{out}/dups", config=config)], "find", n=1),
            local([reader(), ExactDedupFilter(f"{out}/dups", config=config), JsonlWriter(f"{out}/data", **plain)], "filter"),
        ]
    if case == "minhash_dedup":
        return minhash(reader, local, out, plain)
    if case == "dag":
        branches = [
            [LambdaFilter(lambda d: d.metadata["n_words"] > 300)],
            [LambdaFilter(lambda d: d.metadata["n_words"] <= 300)],
            [TagCode()],
        ]
        return [local([reader(), Annotate(), *b, JsonlWriter(f"{out}/b{i}", **plain)], f"b{i}")
                for i, b in enumerate(branches)]
    raise SystemExit(f"unknown case {case!r}")


def minhash(reader, local, out: str, plain: dict) -> list[LocalPipelineExecutor]:
    """datatrove's four MinHash stages with its default config (5-grams, 14 bands x 8),
    words split on whitespace as in bench/minhash_datatrove.py (which says why)."""
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )

    from bench.minhash_datatrove import SplitTokenizer

    config = MinhashConfig()
    return [
        local([reader(), MinhashDedupSignature(f"{out}/sigs", config=config, language=SplitTokenizer())], "sigs"),
        local([MinhashDedupBuckets(f"{out}/sigs", f"{out}/buckets", config=config)], "buckets", n=config.num_buckets),
        local([MinhashDedupCluster(f"{out}/buckets", f"{out}/remove", config=config)], "cluster", n=1),
        local([reader(), MinhashDedupFilter(f"{out}/remove"), JsonlWriter(f"{out}/data", **plain)], "filter"),
    ]


def main() -> None:
    args = runner_arguments(__doc__).parse_args()
    files = [f for f in os.listdir(args.input) if f.endswith(".jsonl.gz")] if args.input else []
    t0 = time.perf_counter()
    for executor in executors(args.case, args.input, args.out, args.workers, max(len(files), 1)):
        executor.run()
    report = {"seconds": time.perf_counter() - t0}
    if args.case == "noop":
        report["docs"] = NOOP_TASKS
    if args.case in ("filters", "exact_dedup", "minhash_dedup"):
        report["kept"] = kept_ids(f"{args.out}/data", f"{args.out}/kept_ids.txt")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
