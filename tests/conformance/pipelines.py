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
from shardflow.steps import (
    converge,
    filter_rows,
    map_batches,
    map_rows,
    read_jsonl,
    route_batches,
    write_jsonl,
    write_parquet,
)

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


def is_long(d: dict) -> bool:
    return len(d["text"]) > 150


class PoisonFilter(sf.Filter):
    """Fails on every shard while its poison file exists (the test removes it to 'fix' the bug).

    The poison path is part of the step's config, so removing the file keeps the stage key.
    """

    def __init__(self, poison: str, **options):
        super().__init__(**options)
        self.poison = poison

    def filter(self, row):
        if os.path.exists(self.poison):
            raise RuntimeError(f"poisoned document {row['id']}")
        return True


def check_batch_size(table):
    """Rebatching: every batch this step sees has exactly 25 rows, except a shard's last."""
    table = table.append_column("batch_rows", pa.array([table.num_rows] * table.num_rows))
    return table


@dataclass
class Case:
    """A conformance pipeline: how to build it, and what each leaf must contain.

    Attributes:
        name: The case's name.
        build: (input root, output root, poison file) -> pipeline.
        oracle: Input documents by set -> rows of each leaf, in order.
        tasks: Shards per source.
        failing: Leaves that fail while the poison file exists (their branch's policy is
            ``policy``); empty for cases that must succeed.
        policy: The failing branch's ``on_failure``.
    """

    name: str
    build: Callable[..., sf.Pipeline]
    oracle: Callable[[dict[str, list[dict]]], dict[str, list[dict]]]
    tasks: int = 5
    failing: tuple[str, ...] = ()
    policy: str = "fail_fast"


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
    """A global step between two shard-parallel stages."""
    with sf.Pipeline("global") as p:
        docs = read_jsonl(f"{inp}/main") >> map_rows(with_length)
        docs >> SortById(out_shards=3, name="sort") >> filter_rows(long_enough) >> write_jsonl(f"{out}/sorted", name="out")
    return p


def _nested(inp: str, out: str) -> sf.Pipeline:
    """Branches that branch again; one branch point checkpointed, one fused."""
    with sf.Pipeline("nested") as p:
        kept = read_jsonl(f"{inp}/main") >> filter_rows(long_enough, name="kept")
        kept >> write_jsonl(f"{out}/a", name="a")
        sized = kept >> map_rows(with_length, name="sized", fuse=True)
        sized >> filter_rows(is_long, name="long") >> write_jsonl(f"{out}/b1", name="b1")
        sized >> write_parquet(f"{out}/b2", name="b2")
    return p


def _fused(inp: str, out: str) -> sf.Pipeline:
    """fuse=True: both branches stream from one pass, no checkpoint."""
    with sf.Pipeline("fused") as p:
        kept = read_jsonl(f"{inp}/main") >> filter_rows(long_enough, name="kept", fuse=True)
        kept >> write_jsonl(f"{out}/a", name="a")
        kept >> map_rows(with_length) >> write_parquet(f"{out}/b", name="b")
    return p


def _routed(inp: str, out: str) -> sf.Pipeline:
    """Each batch goes to one of three replicas; converge restores the original order."""
    with sf.Pipeline("routed") as p:
        routed = read_jsonl(f"{inp}/main", batch_size=16) >> route_batches(lambda b, seq: [seq % 3], name="router")
        replicas = [routed >> map_rows(with_length, name=f"replica_{i}") for i in range(3)]
        replicas >> converge() >> write_jsonl(f"{out}/merged", name="out")
    return p


def _rebatched(inp: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("rebatched") as p:
        read_jsonl(f"{inp}/main", batch_size=7) >> map_batches(check_batch_size, batch_size=25, name="sized") >> write_jsonl(f"{out}/r", name="out")
    return p


def _failing(policy: str):
    def build(inp: str, out: str, poison: str) -> sf.Pipeline:
        with sf.Pipeline(f"failing_{policy}") as p:
            kept = read_jsonl(f"{inp}/main") >> filter_rows(long_enough, name="kept")
            kept >> map_rows(with_length, name="good") >> write_jsonl(f"{out}/good", name="good_out")
            kept >> PoisonFilter(poison, name="poisoned", on_failure=policy) >> write_jsonl(f"{out}/bad", name="bad_out")
        return p
    return build





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
    Case("global", _global, lambda s: {"out": [with_length(d) for d in sorted(s["main"], key=lambda d: d["id"], reverse=True) if long_enough(d)]}),
    Case(
        "nested",
        _nested,
        lambda s: {
            "a": [d for d in s["main"] if long_enough(d)],
            "b1": [with_length(d) for d in s["main"] if long_enough(d) and is_long(d)],
            "b2": [with_length(d) for d in s["main"] if long_enough(d)],
        },
    ),
    Case(
        "fused",
        _fused,
        lambda s: {"a": [d for d in s["main"] if long_enough(d)], "b": [with_length(d) for d in s["main"] if long_enough(d)]},
    ),
    Case("routed", _routed, lambda s: {"out": [with_length(d) for d in s["main"]]}),
    Case("rebatched", _rebatched, lambda s: {"out": list(s["main"])}),
    *[
        Case(
            f"failing_{policy}",
            _failing(policy),
            lambda s: {"good_out": [with_length(d) for d in s["main"] if long_enough(d)], "bad_out": [d for d in s["main"] if long_enough(d)]},
            failing=("bad_out",),
            policy=policy,
        )
        for policy in ("fail_fast", "continue")
    ],
    Case("empty", _empty, lambda s: {"out": []}),
]

#: Cases whose leaf order is a concatenation across inputs, compared as multisets.
UNORDERED = {"fan_in"}

#: Columns a case adds whose values depend on sharding; checked by the case's own test.
SHARDING_COLUMNS = {"rebatched": ("batch_rows",)}
