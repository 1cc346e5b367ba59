"""Exact dedup as three stages (digests -> drop list -> filter), against the single global step
it replaced: the same documents out, in the same order, with the documents never gathered.

The oracle is the old implementation itself (:class:`OldExactDedup`, kept here verbatim but
for names): one global step that reads every document and keeps the first of each
normalised text.
"""

from __future__ import annotations

import glob
import gzip
import os
import random
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import shardflow as sf
from shardflow.io import read_ipc
from shardflow.run.push import SEQ
from shardflow.steps import exact_dedup, map_rows, minhash_dedup, read_jsonl, write_jsonl
from shardflow.steps.dedup.exact import text_digests
from shardflow.steps.dedup.nfkc import _unstable_texts, nfkc
from shardflow.steps.dedup.normalize import normalize_text, text_column
from tests.helpers import read_all
from tests.steps.test_dedup import exact_case, load_sample, respell, write_shards
from tests.unit.test_plan import compile_


class OldExactDedup(sf.GlobalStep):
    """The implementation before the three stages (one global step over whole documents)."""

    default_name = "old_exact_dedup"

    def process_all(self, batches: Iterator[pa.Table]) -> Iterator[pa.Table]:
        seen: set[bytes] = set()
        for batch in batches:
            texts = normalize_text(text_column(batch, "text", self.name))
            keep = np.zeros(batch.num_rows, dtype=bool)
            for i, digest in enumerate(text_digests(texts).to_pylist()):
                if digest not in seen:
                    seen.add(digest)
                    keep[i] = True
            dropped = batch.num_rows - int(keep.sum())
            if dropped:
                self.stats.drop("exact_duplicate", dropped)
                batch = batch.filter(pa.array(keep))
            yield batch


def jsonl_bytes(files: list[str]) -> bytes:
    """The output's lines, decompressed and concatenated in file order."""
    return b"".join(gzip.decompress(open(f, "rb").read()) for f in sorted(files))


def dedup_run(pattern: str, root: Path, dedup, workers: int, tasks: int | None = None):
    with sf.Pipeline("exact") as p:
        read_jsonl(pattern) >> dedup() >> write_jsonl(str(root / "out"), name="out")
    return p.run(workdir=str(root / "run"), workers=workers, tasks=tasks, progress=False)


def many_duplicates(docs: list[dict], shards: int, seed: int) -> list[list[dict]]:
    """Every document two to four times, respelled, scattered over shards in random order."""
    rng = random.Random(seed)
    rows = []
    for i, d in enumerate(docs):
        rows.append(d)
        rows += [dict(d, id=f"{d['id']}-copy{k}", text=respell(d["text"])) for k in range(rng.randint(1, 3))]
    rows.append({"id": "empty", "text": ""})
    rows.append({"id": "only-punctuation", "text": " ... !!"})  # normalises to "" too
    rng.shuffle(rows)
    cut = sorted(rng.sample(range(1, len(rows)), shards - 1))
    return [rows[a:b] for a, b in zip([0] + cut, cut + [len(rows)])]


@pytest.mark.parametrize("case", ["sample", "cross_shard", "many"])
def test_the_same_documents_in_the_same_order_as_the_old_global_step(case, tmp_path):
    docs = load_sample()
    shards = {"sample": [docs[:30], docs[30:]], "cross_shard": exact_case(docs)[0],
              "many": many_duplicates(docs, shards=5, seed=11)}[case]
    pattern = write_shards(tmp_path / "in", shards)
    old = dedup_run(pattern, tmp_path / "old", OldExactDedup, workers=2)
    new = dedup_run(pattern, tmp_path / "new", exact_dedup, workers=2)
    assert jsonl_bytes(new.outputs["out"]) == jsonl_bytes(old.outputs["out"])
    assert new.stats["exact_dedup"].dropped == old.stats["old_exact_dedup"].dropped
    if case == "many":
        assert new.stats["exact_dedup"].dropped["exact_duplicate"] > len(docs)
    # the old step re-cut its output into equal parts; the filter keeps the input's shards
    # (a shard left empty writes no file)
    assert {os.path.basename(f) for f in new.outputs["out"]} <= {f"{i:05d}.jsonl.gz" for i in range(len(shards))}


def test_one_and_two_workers_write_the_same_bytes(tmp_path):
    pattern = write_shards(tmp_path / "in", many_duplicates(load_sample(), shards=4, seed=3))
    one = dedup_run(pattern, tmp_path / "w1", exact_dedup, workers=1)
    two = dedup_run(pattern, tmp_path / "w2", exact_dedup, workers=2)
    assert [open(f, "rb").read() for f in sorted(one.outputs["out"])] == \
        [open(f, "rb").read() for f in sorted(two.outputs["out"])]


def test_the_global_step_reads_24_bytes_per_document_and_no_text(tmp_path):
    shards = many_duplicates(load_sample(), shards=3, seed=5)
    pattern = write_shards(tmp_path / "in", shards)
    result = dedup_run(pattern, tmp_path / "r", exact_dedup, workers=2)
    # What the global stage reads is what the digests' exit committed (the engine adds the
    # batch numbers, SEQ, and drops them again before the step sees the batches).
    files = glob.glob(str(tmp_path / "r" / "run" / "stages" / "*" / "data" / "exact_dedup_digests" / "*.arrow"))
    tables = [t.drop_columns([SEQ]) for f in files for t in read_ipc(f)]
    assert len(files) == len(shards)
    assert {tuple(t.column_names) for t in tables} == {("shard", "row", "digest")}
    rows = sum(t.num_rows for t in tables)
    assert rows == sum(map(len, shards)) == result.stats["exact_dedup_duplicates"].rows_in
    assert sum(t.nbytes for t in tables) == 24 * rows
    counters = result.stats["exact_dedup_duplicates"].counters
    assert counters["duplicates"] == result.stats["exact_dedup"].dropped["exact_duplicate"]


def test_rejected_rows_are_written_with_their_reason(tmp_path):
    shards, expected = exact_case(load_sample())
    pattern = write_shards(tmp_path / "in", shards)
    with sf.Pipeline("rejected") as p:
        read_jsonl(pattern) >> exact_dedup(rejected=str(tmp_path / "dups")) >> write_jsonl(str(tmp_path / "out"))
    result = p.run(workdir=str(tmp_path / "run"), workers=2, progress=False)
    dropped = read_all(sorted(glob.glob(str(tmp_path / "dups" / "*.jsonl.gz"))))
    kept = read_all(result.outputs["write_jsonl"])
    assert [r["id"] for r in kept] == expected
    assert sorted(r["id"] for r in dropped) == sorted(d["id"] for s in shards for d in s if d["id"] not in expected)
    assert {r["reject_reason"] for r in dropped} == {"exact_duplicate"}


def test_composites_wire_like_steps_in_fan_in_and_fan_out(tmp_path):
    docs = load_sample()
    a = write_shards(tmp_path / "a", [docs[:20]])
    b = write_shards(tmp_path / "b", [[dict(d, id=f"b-{d['id']}") for d in docs[10:25]]])
    with sf.Pipeline("wiring") as p:
        unique = [read_jsonl(a, name="a"), read_jsonl(b, name="b")] >> exact_dedup(name="dd")
        ids = map_rows(lambda r: {"id": r["id"]}, name="ids")
        unique >> [write_jsonl(str(tmp_path / "o1"), name="o1"), ids]
        ids >> write_jsonl(str(tmp_path / "o2"), name="o2")
    result = p.run(workdir=str(tmp_path / "run"), workers=2, progress=False)
    want = [d["id"] for d in docs[:20]] + [f"b-{d['id']}" for d in docs[20:25]]
    assert [r["id"] for r in read_all(result.outputs["o1"])] == want
    assert [r["id"] for r in read_all(result.outputs["o2"])] == want
    assert set(result.stats) >= {"dd_digests", "dd_duplicates", "dd"}


def test_plan_three_stages_the_drop_list_broadcast_to_every_filter_shard():
    with sf.Pipeline("plan") as p:
        read_jsonl("/in/*.jsonl") >> exact_dedup() >> write_jsonl("/out/a")
    plan = compile_(p, n=3, tasks=5)
    # the documents are checkpointed once; the digests and the filter read them shard by shard
    assert plan.stages["read_jsonl"].stage.exits == ("read_jsonl",)
    assert plan.stages["exact_dedup_digests"].n_tasks == 3
    assert plan.stages["exact_dedup_duplicates"].n_tasks == 1
    assert plan.stages["exact_dedup_duplicates"].n_parts == 1
    assert plan.stages["exact_dedup"].n_tasks == 3
    for shard in range(3):
        refs = plan.tasks[sf.plan.TaskId("exact_dedup", shard)].inputs
        assert [(r.task.stage, r.task.shard) for r in refs] == [("exact_dedup_duplicates", 0), ("read_jsonl", shard)]


def test_out_shards_is_refused_with_the_reason():
    with sf.Pipeline("p"), pytest.raises(TypeError, match="keeps the input's shards"):
        exact_dedup(out_shards=3)


def test_two_dedups_in_one_pipeline_get_numbered_names(tmp_path):
    pattern = write_shards(tmp_path / "in", [load_sample()[:10]])
    with sf.Pipeline("two") as p:
        minhash_dedup(read_jsonl(pattern) >> exact_dedup() >> exact_dedup()) >> write_jsonl(str(tmp_path / "o"))
    result = p.run(workdir=str(tmp_path / "run"), workers=1, progress=False)
    assert {"exact_dedup", "exact_dedup_1", "exact_dedup_digests_1", "minhash_filter"} <= set(result.stats)
    assert result.stats["write_jsonl"].rows_out == 10


def test_digests_are_blake2b_128_of_each_normalised_text_even_in_a_slice():
    import hashlib

    texts = pa.array(["skip me", "", "hello world", "héllo wörld"], pa.large_string()).slice(1)
    want = [hashlib.blake2b(t.encode(), digest_size=16).digest() for t in ["", "hello world", "héllo wörld"]]
    assert text_digests(texts).to_pylist() == want


# -- the NFKC shortcut --------------------------------------------------------------------
def test_nfkc_shortcut_equals_the_normaliser_on_mixed_text():
    rng = np.random.default_rng(1)
    # ASCII, characters left alone, ones NFKC changes, combining marks, composition seconds,
    # Hangul jamo, astral characters, and the expanded ones
    pool = (list("abcXYZ 09.,\t\n") + list("é·¶’©—–中文ñ") + ["\u00a0", "\u2026", "\u2122", "\u00b5", "ﬁ", "Ａ"]
            + ["\u0301", "\u0308", "\u0338", "\u1161", "\u11a8", "\u1100", "\uac00", "\U0001d400", "\U0001f600"]
            + ["\u0bbe", "\u0b95", "\u212b", "\u2126", "\u3099", "\u304b"])
    texts = ["".join(rng.choice(pool, size=int(rng.integers(0, 12)))) for _ in range(20_000)]
    texts += ["e\u0301", "\u1100\u1161\u11a8", "A\u030a", "plain ascii", ""]
    arr = pa.array(texts, pa.large_string())
    assert nfkc(arr).to_pylist() == pc.utf8_normalize(arr, "NFKC").to_pylist()
    plain = pa.array(["plain text, ’quoted’ · ¶ © — é 🔬", "x\u00a0y", "e\u0301", "ⓘ"], pa.large_string())
    assert _unstable_texts(plain).tolist() == [False, True, True, True]
    sliced = arr.slice(7, 5000)  # an array that starts inside its buffers
    assert nfkc(sliced).to_pylist() == pc.utf8_normalize(sliced, "NFKC").to_pylist()


def reference_normalize(texts: pa.Array) -> pa.Array:
    """The normalisation as its docstring defines it, in four plain Arrow kernels."""
    texts = pc.utf8_lower(pc.utf8_normalize(pc.fill_null(texts, ""), "NFKC"))
    return pc.utf8_trim(pc.replace_substring_regex(texts, r"[\p{P}\p{S}\s]+", " "), " ")


def test_normalize_equals_its_definition_on_code_points_from_every_plane():
    rng = np.random.default_rng(2)
    codes = rng.integers(0x80, 0x110000, size=40_000)
    codes = codes[(codes < 0xD800) | (codes >= 0xE000)]  # no surrogates in UTF-8
    ascii_part = np.array([ord(c) for c in "aB c.,!  \t\n"])
    picks = np.where(rng.random(len(codes)) < 0.6, rng.choice(ascii_part, size=len(codes)), codes)
    cuts = np.sort(rng.choice(len(picks), size=3000, replace=False))
    texts = ["".join(map(chr, piece)) for piece in np.split(picks, cuts)] + [None, "", "  "]
    arr = pa.array(texts, pa.large_string())
    assert normalize_text(arr).to_pylist() == reference_normalize(arr).to_pylist()


def test_no_character_outside_the_bmp_composes_with_a_second_in_the_bmp_or_the_emoji_blocks():
    # _nfkc_changes scans the BMP only for composition seconds; this is why that suffices.
    import unicodedata

    for cp in range(0x10000, 0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second = int(parts[1], 16)
            assert second >= 0x10000 and not 0x1F000 <= second < 0x1FB00, hex(cp)


def test_pipeline_error_names_the_missing_input():
    with sf.Pipeline("dangling") as p:
        exact_dedup()
    with pytest.raises(sf.PipelineError, match="exact_dedup_digests' has no input"):
        p.plan(tasks=1)


if __name__ == "__main__":  # pragma: no cover
    os.sys.exit(pytest.main([__file__, "-q"]))
