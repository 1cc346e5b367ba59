"""Named pipelines for the executor conformance suite, each with a plain-Python oracle.

Every executor must produce, for each pipeline, exactly the rows the oracle computes from
the same input documents; and every executor must write the same bytes.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from dataclasses import dataclass
from typing import Callable

import pyarrow as pa

import shardflow as sf
from shardflow.steps import filter_rows, map_rows, read_jsonl, write_jsonl, write_parquet

WORDS = "data pipeline shard arrow parquet token model filter branch merge global text web crawl".split()


def make_docs(n: int, seed: int, prefix: str) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))
        meta = {"source": prefix, "rank": i}
        if i % 3 == 0:
            meta["tags"] = {"lang": "en", "score": round(rng.random(), 3)}
        docs.append({"id": f"{prefix}-{i:04d}", "text": text, "metadata": meta})
    return docs


def write_inputs(root: str) -> dict[str, list[dict]]:
    """Write the suite's input files under ``root``; return the documents of each input set."""
    sets = {"main": [], "other": [], "empty": []}
    os.makedirs(os.path.join(root, "main"))
    for f in range(4):
        docs = make_docs(150 + 20 * f, seed=f, prefix=f"m{f}")
        sets["main"] += docs
        path = os.path.join(root, "main", f"part-{f}.jsonl" + (".gz" if f % 2 else ""))
        opener = gzip.open if f % 2 else open
        with opener(path, "wt", encoding="utf-8") as out:
            out.writelines(json.dumps(d) + "\n" for d in docs)
    os.makedirs(os.path.join(root, "other"))
    sets["other"] = make_docs(90, seed=99, prefix="o")
    with open(os.path.join(root, "other", "o.jsonl"), "w", encoding="utf-8") as out:
        out.writelines(json.dumps(d) + "\n" for d in sets["other"])
    os.makedirs(os.path.join(root, "empty"))
    open(os.path.join(root, "empty", "nothing.jsonl"), "w").close()
    return sets


class SortById(sf.GlobalStep):
    """Global: sort every document by id, descending, and re-shard."""

    def process_all(self, batches):
        tables = list(batches)
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="permissive").sort_by([("id", "descending")])


def long_enough(d: dict) -> bool:
    return len(d["text"]) > 60


def with_length(d: dict) -> dict:
    return {**d, "n_chars": len(d["text"])}


@dataclass
class Case:
    """A conformance pipeline: how to build it, and what each leaf must contain."""

    name: str
    build: Callable[[str, str], sf.Pipeline]  # (input root, output root) -> pipeline
    oracle: Callable[[dict[str, list[dict]]], dict[str, list[dict]]]  # leaf -> rows, in order
    tasks: int = 5


def _linear(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("linear") as p:
        read_jsonl(f"{inp}/main") >> filter_rows(long_enough) >> map_rows(with_length) >> write_jsonl(f"{out}/linear", name="out")
    return p


def _fan_out(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("fan_out") as p:
        kept = read_jsonl(f"{inp}/main") >> filter_rows(long_enough, name="kept")
        kept >> write_jsonl(f"{out}/a", name="a")
        kept >> map_rows(with_length) >> write_parquet(f"{out}/b", name="b")
    return p


def _fan_in(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("fan_in") as p:
        a = read_jsonl(f"{inp}/main", name="main")
        b = read_jsonl(f"{inp}/other", name="other")
        [a, b] >> map_rows(with_length) >> write_jsonl(f"{out}/ab", name="out")
    return p


def _global(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("global") as p:
        read_jsonl(f"{inp}/main") >> SortById(out_shards=3, name="sort") >> filter_rows(long_enough) >> write_jsonl(f"{out}/sorted", name="out")
    return p


def _empty(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("empty") as p:
        read_jsonl(f"{inp}/empty") >> filter_rows(long_enough) >> write_jsonl(f"{out}/empty", name="out")
    return p


CASES = [
    Case("linear", _linear, lambda s: {"out": [with_length(d) for d in s["main"] if long_enough(d)]}),
    Case(
        "fan_out",
        _fan_out,
        lambda s: {
            "a": [d for d in s["main"] if long_enough(d)],
            "b": [with_length(d) for d in s["main"] if long_enough(d)],
        },
    ),
    Case("fan_in", _fan_in, lambda s: {"out": [with_length(d) for d in s["main"] + s["other"]]}),
    Case("global", _global, lambda s: {"out": [d for d in sorted(s["main"], key=lambda d: d["id"], reverse=True) if long_enough(d)]}),
    Case("empty", _empty, lambda s: {"out": []}),
]

#: Cases whose leaf order is a concatenation across inputs, compared as multisets.
UNORDERED = {"fan_in"}
