"""Exact and MinHash dedup, run through real pipelines on real documentation pages.

The documents are 55 English pages from 19 Debian documentation packages
(tests/data/en_docs_sample.jsonl, cut from the shared corpus; no two share more than 30% of
their 5-word shingles). Duplicates are made from them in the test: exact copies that differ in
case, punctuation and spacing, and edited copies (about one word in 150 replaced, one word
dropped, a line added: Jaccard 0.8-0.95 with the original).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import shardflow as sf
from shardflow.graph.stats import StepStats
from shardflow.steps import exact_dedup, minhash_dedup, read_jsonl, write_jsonl
from shardflow.steps.dedup.components import bucket_edges, component_roots
from shardflow.steps.dedup.minhash import MinhashFilter
from shardflow.steps.dedup.normalize import normalize_text
from tests.helpers import file_digests, read_all
from tests.unit.test_plan import compile_

SAMPLE = Path(__file__).parent.parent / "data" / "en_docs_sample.jsonl"


def load_sample() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines()]


def write_shards(root: Path, shards: list[list[dict]]) -> str:
    root.mkdir(parents=True)
    for i, docs in enumerate(shards):
        with open(root / f"part-{i}.jsonl", "w") as out:
            out.writelines(json.dumps(d) + "\n" for d in docs)
    return str(root / "*.jsonl")


def respell(text: str) -> str:
    """Same normalised text: upper case, doubled spaces, punctuation changed."""
    return re.sub(r"\s+", "  ", text.upper()).replace(".", " ;").replace(",", "!") + " ..."


def edit(text: str, rng: random.Random) -> str:
    """A near-duplicate: ~1 word in 150 replaced, a word dropped, a line added (Jaccard ~0.85)."""
    words = text.split(" ")
    words = [rng.choice(["foo", "bar", "quux"]) if rng.random() < 1 / 150 else w for w in words]
    del words[len(words) // 2]
    return " ".join(words) + "\nEdited for the mirror."


def run(pipeline_fn, tmp_path: Path, workers: int):
    pipeline, out = pipeline_fn(tmp_path / f"w{workers}")
    result = pipeline.run(workdir=str(tmp_path / f"w{workers}" / "run"), workers=workers)
    files = result.outputs[next(iter(result.outputs))]
    return result, read_all(files), file_digests(files, out)


# -- units ------------------------------------------------------------------------------------
def test_normalize_removes_case_punctuation_symbols_and_spacing():
    got = normalize_text(pa.array(["Hello,  World!", "ﬁle\u00a0NAME\t(v2)", None, "  ¿Qué?  "]))
    assert got.to_pylist() == ["hello world", "file name v2", "", "qué"]


def test_separator_runs_replace_exactly_as_the_plain_pattern():
    from shardflow.steps.dedup.separators import SEPARATORS, separators_to_space

    rng = np.random.default_rng(7)
    alphabet = list("ab Z9 \t\n\r\f\v.,;-!?$+<=>^`|~()[]{}'\"") + ["\u00a0", "\u2014", "\u00bf", "\u20ac", "é", "\u3000",
                                                                  "\u00b7", "\u2019", "\U0001f600", "中"]
    texts = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 40)))) for _ in range(3000)]
    texts += ["", " ", "  ", "a b", "a  b", " a ", "a.b", "a. b", "a .b", "  ", " ", "", "x  "]
    arr = pa.array(texts, pa.large_string())
    plain = pc.replace_substring_regex(arr, SEPARATORS + "+", " ")
    assert separators_to_space(arr).to_pylist() == plain.to_pylist()
    sliced = arr.slice(5, 2000)  # an array that starts inside its buffers
    assert separators_to_space(sliced).to_pylist() == plain.slice(5, 2000).to_pylist()


def test_components_label_each_cluster_by_its_smallest_member():
    # docs 0-6; band 0 joins 1~4 and 4~6, band 1 joins 3~5; 0 and 2 are alone
    hashes = np.array([[10, 20], [11, 21], [12, 22], [13, 23], [11, 24], [14, 23], [11, 25]], np.uint64)
    roots = component_roots(7, *bucket_edges(hashes))
    assert roots.tolist() == [0, 1, 2, 3, 1, 3, 1]


# -- exact ------------------------------------------------------------------------------------
def exact_case(docs: list[dict]):
    """4 shards; duplicates within a shard, across shards, and of a later doc's text."""
    copies = [dict(docs[i], id=f"dup-{i}", text=respell(docs[i]["text"])) for i in range(6)]
    shards = [docs[0:14] + [copies[0]], [copies[1]] + docs[14:28], docs[28:42] + copies[2:4],
              [copies[4]] + docs[42:] + [copies[5], copies[0] | {"id": "dup-0b"}]]
    expected = [d["id"] for d in docs]  # every original comes before its copies
    return shards, expected


def test_exact_dedup_keeps_first_occurrence_same_for_1_and_2_workers(tmp_path):
    shards, expected = exact_case(load_sample())
    pattern = write_shards(tmp_path / "in", shards)

    def build(root: Path):
        with sf.Pipeline("exact") as p:
            read_jsonl(pattern) >> exact_dedup() >> write_jsonl(str(root / "out"))
        return p, str(root / "out")

    r1, rows1, bytes1 = run(build, tmp_path, workers=1)
    r2, rows2, bytes2 = run(build, tmp_path, workers=2)
    assert [r["id"] for r in rows1] == expected
    assert bytes1 == bytes2 and len(bytes1) == len(shards)  # the input's shards, kept
    stats = r2.stats["exact_dedup"]
    assert dict(stats.dropped) == {"exact_duplicate": 7}
    assert stats.rows_in == stats.rows_out + 7 == sum(map(len, shards))


def test_exact_dedup_keeps_the_earlier_shard_when_the_copy_comes_first(tmp_path):
    docs = load_sample()[:6]
    early = dict(docs[5], id="early-copy", text=respell(docs[5]["text"]))
    pattern = write_shards(tmp_path / "in", [[early] + docs[:3], docs[3:]])

    def build(root: Path):
        with sf.Pipeline("exact2") as p:
            read_jsonl(pattern) >> exact_dedup() >> write_jsonl(str(root / "out"))
        return p, str(root / "out")

    _, rows, _ = run(build, tmp_path, workers=2)
    assert [r["id"] for r in rows] == ["early-copy"] + [d["id"] for d in docs[:5]]


# -- MinHash ----------------------------------------------------------------------------------
def minhash_case(docs: list[dict]):
    rng = random.Random(3)
    edited = [dict(docs[i], id=f"near-{i}", text=edit(docs[i]["text"], rng)) for i in range(0, 30, 2)]
    # One edited copy comes before its original (shard 0 < shard 3): it is the one kept.
    shards = [docs[:14] + edited[:5] + [edited[14]], docs[14:28] + edited[5:10],
              docs[28:40] + edited[10:14], docs[40:]]
    expected = [d["id"] for d in docs if d["id"] != docs[28]["id"]] + ["near-28"]
    return shards, edited, expected


def test_minhash_drops_edited_copies_keeps_unrelated_docs_and_first_survivor(tmp_path):
    docs = load_sample()
    shards, edited, expected = minhash_case(docs)
    pattern = write_shards(tmp_path / "in", shards)

    def build(root: Path):
        with sf.Pipeline("minhash") as p:
            kept = minhash_dedup(read_jsonl(pattern), ngram=5, bands=14, rows=8, seed=1)
            kept >> write_jsonl(str(root / "out"))
        return p, str(root / "out")

    r1, rows1, bytes1 = run(build, tmp_path, workers=1)
    r2, rows2, bytes2 = run(build, tmp_path, workers=2)
    assert sorted(r["id"] for r in rows1) == sorted(expected)
    assert bytes1 == bytes2
    assert [r["id"] for r in rows1] == [r["id"] for r in rows2]
    filt, clusters = r2.stats["minhash_filter"], r2.stats["minhash_clusters"]
    assert dict(filt.dropped) == {"minhash_duplicate": len(edited)}
    assert filt.rows_in == sum(map(len, shards)) == filt.rows_out + len(edited)
    assert clusters.counters["duplicates"] == len(edited) == clusters.counters["clusters"]
    # the texts never reach the global stage: it reads keys and band hashes only
    assert clusters.rows_in == sum(map(len, shards))


def test_minhash_keeps_everything_when_there_are_no_duplicates(tmp_path):
    pattern = write_shards(tmp_path / "in", [load_sample()[:20], load_sample()[20:]])

    def build(root: Path):
        with sf.Pipeline("nodup") as p:
            minhash_dedup(read_jsonl(pattern)) >> write_jsonl(str(root / "out"))
        return p, str(root / "out")

    result, rows, _ = run(build, tmp_path, workers=2)
    assert len(rows) == len(load_sample())
    assert not result.stats["minhash_filter"].dropped


def test_minhash_filter_refuses_documents_without_its_drop_list():
    step = MinhashFilter()
    step.stats = StepStats()
    with pytest.raises(RuntimeError, match="no drop list"):
        step.process(pa.table({"id": ["a"], "text": ["x"]}))


def test_plan_broadcasts_the_drop_list_to_every_filter_shard():
    with sf.Pipeline("plan") as p:
        minhash_dedup(read_jsonl("/in/*.jsonl")) >> write_jsonl("/out/a")
    plan = compile_(p, n=3, tasks=5)
    assert plan.stages["minhash_clusters"].n_parts == 1
    assert plan.stages["minhash_filter"].n_tasks == 3
    for shard in range(3):
        refs = plan.tasks[sf.plan.TaskId("minhash_filter", shard)].inputs
        assert [(r.task.stage, r.task.shard) for r in refs] == [("minhash_clusters", 0), ("read_jsonl", shard)]
