"""Three branches after a common prefix: one DAG vs three separate pipelines.

Shows that (a) the prefix is computed once (stats: the reader's rows equal the corpus size,
once) and (b) the DAG's wall time is close to the ideal ``prefix time + branch work /
workers``, and compares it with running the three branches as three pipelines that each redo
the prefix. Run: ``.venv/bin/python bench/branches.py [--shards N] [--workers W]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import shardflow as sf  # noqa: E402
from bench.common import command_line, corpus_files, timed  # noqa: E402
from shardflow.steps import filter_rows, map_rows, read_jsonl, write_jsonl  # noqa: E402

WORD = re.compile(r"\w+")


def annotate(d):
    """The prefix's work: word and line statistics per document."""
    words = WORD.findall(d["text"])
    return {**d, "n_words": len(words), "n_lines": d["text"].count("\n") + 1,
            "mean_word": sum(map(len, words)) / max(len(words), 1)}


def branch_steps(i: int):
    """Three different branches: a long-doc filter, a short-doc filter, a tagger."""
    if i == 0:
        return [filter_rows(lambda d: d["n_words"] > 300, name="long_docs")]
    if i == 1:
        return [filter_rows(lambda d: d["n_words"] <= 300, name="short_docs")]
    return [map_rows(lambda d: {**d, "code_like": d["text"].count("{") > 5}, name="tag_code")]


def build(files, out, branches):
    with sf.Pipeline("branches") as p:
        prefix = read_jsonl(files) >> map_rows(annotate, name="annotate")
        for i in branches:
            node = prefix
            for step in branch_steps(i):
                node = node >> step
            node >> write_jsonl(f"{out}/b{i}", name=f"write_b{i}")
    return p


def prefix_only(files, out):
    with sf.Pipeline("prefix") as p:
        read_jsonl(files) >> map_rows(annotate, name="annotate") >> write_jsonl(f"{out}/prefix", name="w", compression=None)
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shards", type=int, default=3, help="en_docs shard files to read (9 = all)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    files = corpus_files("en_docs", args.shards)
    tmp = tempfile.mkdtemp(prefix="bench-branches-")
    tasks = args.workers * 4
    times: dict[str, float] = {}
    try:
        with timed(times, "dag"):
            dag = build(files, f"{tmp}/dag", [0, 1, 2]).run(workdir=f"{tmp}/run-dag", tasks=tasks, workers=args.workers)
        with timed(times, "prefix_alone"):
            prefix_only(files, f"{tmp}/prefix").run(workdir=f"{tmp}/run-prefix", tasks=tasks, workers=args.workers)
        with timed(times, "separate"):
            for i in range(3):
                build(files, f"{tmp}/sep{i}", [i]).run(workdir=f"{tmp}/run-sep{i}", tasks=tasks, workers=args.workers)
        # the ideal: the prefix run alone, then the branches' measured task time spread
        # over the workers
        prefix_stage = [sp for sp in dag_plan_stages(f"{tmp}/run-dag") if sp["id"] == "read_jsonl"][0]
        branch_work = task_seconds(f"{tmp}/run-dag", exclude="read_jsonl")
        prefix_wall = times["prefix_alone"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    docs = dag.stats["read_jsonl"].rows_out
    ideal = prefix_wall + branch_work / args.workers
    print(f"corpus: {len(files)} en_docs files, {docs:,} docs; workers={args.workers}, tasks={tasks}")
    print(f"prefix computed once: read_jsonl rows_out={docs:,}, annotate rows_in={dag.stats['annotate'].rows_in:,}, "
          f"prefix tasks={dag.stats['read_jsonl'].tasks} (stage {prefix_stage['id']})")
    print(f"{'run':<38}{'wall s':>9}")
    print(f"{'3-branch DAG (prefix once)':<38}{times['dag']:>9.1f}")
    print(f"{'3 separate pipelines (prefix 3x)':<38}{times['separate']:>9.1f}")
    print(f"{'ideal: prefix + branch work/workers':<38}{ideal:>9.1f}   (prefix {prefix_wall:.1f} s, branch work {branch_work:.1f} s)")
    print(f"DAG / ideal = {times['dag'] / ideal:.3f}   (target <= 1.15)")
    print(f"separate / DAG = {times['separate'] / times['dag']:.2f}x")
    print(f"reproduce: {command_line()}")


def _events(workdir):
    import orjson

    with open(os.path.join(workdir, "events.jsonl"), "rb") as f:
        return [orjson.loads(line) for line in f]


def dag_plan_stages(workdir):
    import orjson

    with open(os.path.join(workdir, "run.json"), "rb") as f:
        return orjson.loads(f.read())["plan"]["stages"]


def task_seconds(workdir, exclude):
    return sum(e["seconds"] for e in _events(workdir) if e["event"] == "task_done" and not e["task"].startswith(exclude + "/"))


if __name__ == "__main__":
    main()
