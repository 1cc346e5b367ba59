"""File sinks: names from templates with columns, size-limited rollover, atomic parts."""

from __future__ import annotations

import hashlib
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shardflow as sf
from shardflow.steps import read_jsonl, write_jsonl, write_parquet
from shardflow.steps.writers import FileSetWriter, OutputNames
from tests.helpers import file_digests, read_all, read_rows

LANGS = ["en", "fr", "de", "en", "en", "fr", None, "de/ch"]


@pytest.fixture()
def docs(tmp_path):
    """96 documents in 2 files; each has a language (one null, one with a slash)."""
    root = tmp_path / "in"
    root.mkdir()
    n = 0
    for f in range(2):
        with open(root / f"p{f}.jsonl", "w") as out:
            for _ in range(48):
                words = [hashlib.sha256(f"{n}-{k}".encode()).hexdigest()[:8] for k in range(12 + n % 9)]
                text = f"document {n} " + " ".join(words)  # little redundancy: compressed sizes grow
                out.write(json.dumps({"id": f"d{n:03d}", "text": text, "language": LANGS[n % len(LANGS)]}) + "\n")
                n += 1
    return str(root)


def _relative(paths, root):
    return sorted(os.path.relpath(p, root) for p in paths)


def test_partitioned_names_use_column_values_and_keep_row_order(docs, tmp_path):
    out = str(tmp_path / "out")
    with sf.Pipeline("parts") as p:
        read_jsonl(docs) >> write_jsonl(out, filename="{language}/{shard:05d}.jsonl.gz", name="w")
    result = p.run(workdir=str(tmp_path / "run"), workers=1)
    assert _relative(result.outputs["w"], out) == [
        f"{lang}/{shard:05d}.jsonl.gz" for lang in ["__null__", "de", "de_ch", "en", "fr"] for shard in (0, 1)
    ]
    for shard in (0, 1):
        originals = [r for r in read_all([f"{docs}/p{shard}.jsonl"])]
        for lang, folder in [("en", "en"), ("de/ch", "de_ch"), (None, "__null__")]:
            got = read_rows(f"{out}/{folder}/{shard:05d}.jsonl.gz")
            assert got == [r | {"language": lang} for r in originals if r.get("language") == lang]


def test_rollover_at_the_size_limit_keeps_every_row_exactly_once(docs, tmp_path):
    out = str(tmp_path / "out")
    limit = 3000
    with sf.Pipeline("roll") as p:
        read_jsonl(docs) >> write_jsonl(out, compression=None, max_file_size=limit, name="w")
    result = p.run(workdir=str(tmp_path / "run"), workers=1)
    names = _relative(result.outputs["w"], out)
    assert names[:3] == ["00000-000.jsonl", "00000-001.jsonl", "00000-002.jsonl"]
    assert {n.split("-")[0] for n in names} == {"00000", "00001"}
    for shard in ("00000", "00001"):
        parts = sorted(n for n in names if n.startswith(shard))
        assert parts == [f"{shard}-{i:03d}.jsonl" for i in range(len(parts))]  # numbered without gaps
        for name in parts:
            data = open(f"{out}/{name}", "rb").read()
            last_line = data[data.rstrip(b"\n").rfind(b"\n") + 1:]
            assert len(data) - len(last_line) < limit, f"{name} went on past the limit"
            if name != parts[-1]:
                assert len(data) >= limit, f"{name} was closed before reaching the limit"
    rows = read_all(result.outputs["w"])
    assert sorted(r["id"] for r in rows) == [f"d{i:03d}" for i in range(96)]
    assert [r["id"] for r in rows] == [f"d{i:03d}" for i in range(96)]  # parts in order hold the input order


def test_partitions_roll_over_separately_and_output_is_worker_independent(docs, tmp_path):
    digests = []
    for workers in (1, 2):
        out = str(tmp_path / f"out{workers}")
        with sf.Pipeline("both") as p:
            read_jsonl(docs) >> write_jsonl(out, compression="zstd", filename="lang={language}/{shard:05d}.jsonl.zst",
                                            max_file_size=300, level=1, name="w")
        result = p.run(workdir=str(tmp_path / f"run{workers}"), tasks=4, workers=workers)
        rows = read_all(result.outputs["w"])
        assert sorted(r["id"] for r in rows) == [f"d{i:03d}" for i in range(96)]
        names = _relative(result.outputs["w"], out)
        assert "lang=en/00000-000.jsonl.zst" in names and "lang=en/00000-001.jsonl.zst" in names
        for name in names:
            expected = name.split("/")[0].removeprefix("lang=")
            assert {str(r.get("language")).replace("/", "_").replace("None", "__null__")
                    for r in read_rows(f"{out}/{name}")} == {expected}
        digests.append(file_digests(result.outputs["w"], out))
    assert digests[0] == digests[1]


def test_parquet_rollover_and_partition(docs, tmp_path):
    out = str(tmp_path / "out")
    with sf.Pipeline("pq") as p:
        read_jsonl(docs) >> write_parquet(out, filename="{language}/{shard:05d}.parquet", max_file_size=1500,
                                          row_group_size=5, name="w")
    result = p.run(workdir=str(tmp_path / "run"), workers=1)
    names = _relative(result.outputs["w"], out)
    assert "en/00000-000.parquet" in names and "en/00000-001.parquet" in names
    rows = [r for f in result.outputs["w"] for r in pq.read_table(f).to_pylist()]
    assert sorted(r["id"] for r in rows) == [f"d{i:03d}" for i in range(96)]


def test_abort_leaves_no_file_even_after_a_rollover(tmp_path):
    names = OutputNames("{shard:05d}.jsonl", ".jsonl", rollover=True)
    from shardflow.io import JsonlWriter

    writer = FileSetWriter(str(tmp_path), names, 3, lambda path: JsonlWriter(path, compression=None), max_file_size=100)
    writer.write(pa.table({"id": [str(i) for i in range(20)], "text": ["x" * 40] * 20}))
    assert any(n.startswith("00003-000") for n in os.listdir(tmp_path)), "a part was committed by the rollover"
    writer.abort()
    assert os.listdir(tmp_path) == []


def test_template_errors_name_the_problem(docs, tmp_path):
    with pytest.raises(ValueError, match=r"no \{shard\} field"):
        write_jsonl(str(tmp_path / "o"), filename="{language}.jsonl.gz")
    with pytest.raises(ValueError, match=r"must end with '.jsonl.zst'"):
        write_jsonl(str(tmp_path / "o"), compression="zstd", filename="{shard:05d}.jsonl.gz")
    with pytest.raises(ValueError, match="plain column name"):
        write_parquet(str(tmp_path / "o"), filename="{meta.lang}/{shard}.parquet")
    names = OutputNames("{lang}/{shard:05d}.jsonl", ".jsonl")
    with pytest.raises(KeyError, match=r"uses column\(s\) \['lang'\].*columns: \['id', 'text'\]"):
        names.split(pa.table({"id": ["1"], "text": ["t"]}))
    assert names.render(("..",), 7) == "__dot__/00007.jsonl"
