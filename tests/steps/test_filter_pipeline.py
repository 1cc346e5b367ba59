"""The filters inside a real pipeline: stats by reason, rejected side outputs, worker counts."""

from __future__ import annotations

import glob
import gzip
import json
from collections import Counter

import shardflow as sf
from shardflow.steps import (
    c4_quality,
    fineweb_quality,
    gopher_quality,
    gopher_repetition,
    read_jsonl,
    sampler,
    write_jsonl,
)
from tests.helpers import read_all
from tests.steps import filter_docs as D

NAMES = [n for n in dir(D) if n.isupper() and isinstance(getattr(D, n), str)]


def write_inputs(root) -> list[dict]:
    docs = [{"id": f"{name.lower()}-{k}", "text": getattr(D, name)} for k in range(2) for name in NAMES]
    half = len(docs) // 2
    for i, part in enumerate((docs[:half], docs[half:])):
        with gzip.open(root / f"part-{i}.jsonl.gz", "wt") as f:
            f.writelines(json.dumps(d) + "\n" for d in part)
    return docs


def test_quality_chain_counts_every_drop_under_its_reason_and_writes_rejects(tmp_path):
    docs = write_inputs(tmp_path)
    out, rej = tmp_path / "out", tmp_path / "rejected"
    with sf.Pipeline("quality") as p:
        (
            read_jsonl(str(tmp_path / "part-*.jsonl.gz"))
            >> gopher_repetition(rejected=str(rej / "repetition"))
            >> gopher_quality(rejected=str(rej / "quality"))
            >> c4_quality()
            >> fineweb_quality()
            >> write_jsonl(str(out), name="kept")
        )
    result = p.run(workdir=str(tmp_path / "run"), tasks=2, workers=1)
    assert result.ok, result.failures

    # The oracle: the same steps' own judgement, applied in order, document by document.
    steps = [gopher_repetition(), gopher_quality(), c4_quality(), fineweb_quality()]
    expected = {s.name: Counter() for s in steps}
    kept = {}
    for doc in docs:
        text = doc["text"]
        for step in steps:
            reason, cleaned = step.clean(text) if hasattr(step, "clean") else (step.judge(text), text)
            if reason:
                expected[step.name][reason] += 1
                break
            text = cleaned
        else:
            kept[doc["id"]] = text
    for step in steps:
        assert dict(result.stats[step.name].dropped) == dict(expected[step.name]), step.name
    assert sum(sum(c.values()) for c in expected.values()) + len(kept) == len(docs)
    assert {r["id"]: r["text"] for r in read_all(result.outputs["kept"])} == kept

    rejected = read_all(sorted(glob.glob(str(rej / "repetition" / "*.jsonl.gz"))))
    assert Counter(r["reject_reason"] for r in rejected) == expected["gopher_repetition"]
    by_id = {d["id"]: d["text"] for d in docs}
    assert all(r["text"] == by_id[r["id"]] for r in rejected)  # rejected rows as they came
    assert len(read_all(glob.glob(str(rej / "quality" / "*.jsonl.gz")))) == sum(expected["gopher_quality"].values())


def test_sampler_keeps_the_same_documents_with_any_number_of_workers(tmp_path):
    docs = write_inputs(tmp_path)
    outputs = {}
    for workers in (1, 2):
        with sf.Pipeline("sample") as p:
            read_jsonl(str(tmp_path / "part-*.jsonl.gz")) >> sampler(rate=0.5, seed=11) >> write_jsonl(
                str(tmp_path / f"out{workers}"), name="kept"
            )
        result = p.run(workdir=str(tmp_path / f"run{workers}"), tasks=4, workers=workers)
        assert result.ok, result.failures
        outputs[workers] = [r["id"] for r in read_all(sorted(result.outputs["kept"]))]
        assert result.stats["sampler"].dropped == {"sampled_out": len(docs) - len(outputs[workers])}
    assert outputs[1] == outputs[2]
    step = sampler(rate=0.5, seed=11)
    assert sorted(outputs[1]) == sorted(d["id"] for d in docs if step.keeps(d["id"]))
    assert 0 < len(outputs[1]) < len(docs)
