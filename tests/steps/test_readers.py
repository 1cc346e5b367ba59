"""Readers on realistic files built here: exact documents, ids, paths, errors, limit/skip."""

from __future__ import annotations

import gzip
import io
import json
import os
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shardflow as sf
from shardflow.graph.stats import StepStats
from shardflow.io import BadInputError
from shardflow.steps import (
    read_csv,
    read_hf_dataset,
    read_jsonl,
    read_parquet,
    read_text_files,
    read_warc,
    write_jsonl,
)
from tests.helpers import file_digests, read_all


def read_step(reader, tasks=None):
    """Plan and read a reader without an executor: (rows, stats)."""
    reader.stats = None  # plan time has no stats
    shards = reader.list_shards(tasks)
    reader.stats = StepStats()
    rows = []
    for shard in shards:
        for table in reader.read(shard):
            rows += table.to_pylist()
    return rows, reader.stats


# -- CSV ---------------------------------------------------------------------------------------

CSV = (
    '\ufeffdoc_id,body,lang,score\n'
    'a1,"First line\nsecond line, with a comma",en,0.5\n'
    'a2,"She said ""hi"" and left",en,1\n'
    ',"no id here",fr,\n'
    'a4,plain,de,007\n'
)


def test_csv_reads_quoted_fields_with_newlines_and_generates_missing_ids(tmp_path):
    (tmp_path / "in").mkdir()
    with gzip.open(tmp_path / "in" / "part.csv.gz", "wt", encoding="utf-8", newline="") as f:
        f.write(CSV)
    rows, stats = read_step(read_csv(str(tmp_path / "in"), text_key="body", id_key="doc_id", path_column="source_path"))
    path = str(tmp_path / "in" / "part.csv.gz")
    assert rows == [
        {"id": "a1", "text": "First line\nsecond line, with a comma", "lang": "en", "score": "0.5", "source_path": path},
        {"id": "a2", "text": 'She said "hi" and left', "lang": "en", "score": "1", "source_path": path},
        {"id": "part.csv.gz:2", "text": "no id here", "lang": "fr", "score": "", "source_path": path},
        {"id": "a4", "text": "plain", "lang": "de", "score": "007", "source_path": path},  # strings: "007" stays
    ]
    typed, _ = read_step(read_csv(path, text_key="body", id_key="doc_id", column_types={"score": "float64"}))
    assert [r["score"] for r in typed] == [0.5, 1.0, None, 7.0]


def test_csv_bad_row_raises_naming_the_file_or_is_counted(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('id,text\n1,"ok"\n2,too,many,fields\n3,"fine"\n')
    with pytest.raises(BadInputError) as e:
        read_step(read_csv(str(path)))
    assert str(path) in str(e.value) and "csv_bad_row" in str(e.value) and "2,too,many,fields" in str(e.value)
    rows, stats = read_step(read_csv(str(path), on_error="skip"))
    assert [r["text"] for r in rows] == ["ok", "fine"]
    assert stats.dropped == Counter({"csv_bad_row": 1})


# -- text files --------------------------------------------------------------------------------

def test_text_files_one_document_per_file_with_relative_ids(tmp_path):
    root = tmp_path / "docs"
    (root / "guide").mkdir(parents=True)
    (root / "guide" / "install.txt").write_text("Install with pip.\n\nThen run it.\n")
    (root / "readme.txt").write_text("\ufeffRead me first.")
    (root / "empty.txt").write_text("")
    with gzip.open(root / "guide" / "faq.txt.gz", "wt") as f:
        f.write("Q: why?\nA: because.")
    (root / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    reader = read_text_files(str(root / "**" / "*.txt*"), path_column="path", on_error="skip")
    rows, stats = read_step(reader)
    assert rows == [
        {"id": "guide/faq.txt.gz", "text": "Q: why?\nA: because.", "path": str(root / "guide" / "faq.txt.gz")},
        {"id": "guide/install.txt", "text": "Install with pip.\n\nThen run it.\n", "path": str(root / "guide" / "install.txt")},
        {"id": "readme.txt", "text": "Read me first.", "path": str(root / "readme.txt")},
    ]
    assert stats.dropped == Counter({"empty_file": 1, "decode_error": 1})
    with pytest.raises(BadInputError, match="latin1.txt.*not valid utf-8"):
        read_step(read_text_files(str(root / "latin1.txt")))
    rows, _ = read_step(read_text_files(str(root / "latin1.txt"), encoding="latin-1"))
    assert rows == [{"id": "latin1.txt", "text": "café"}]


# -- WARC / WET --------------------------------------------------------------------------------

def _warc(path, records, gzip_it=True):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gzip_it)
        for rec_id, kind, url, content_type, payload in records:
            headers = {"WARC-Record-ID": rec_id, "WARC-Date": "2024-03-01T10:00:00Z"}
            http = None
            if kind == "response":
                http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            elif kind == "conversion":
                headers["Content-Type"] = content_type
            writer.write_record(writer.create_warc_record(
                url, kind, payload=io.BytesIO(payload), http_headers=http, warc_headers_dict=headers,
                warc_content_type=content_type if kind == "conversion" else None,
            ))


PAGE = "<html><head><title>Ünïcode</title></head><body><p>Grüße aus Köln</p></body></html>"


def test_warc_reads_html_responses_with_url_date_and_skips_other_records(tmp_path):
    _warc(tmp_path / "crawl-0.warc.gz", [
        ("<urn:uuid:0001>", "request", "https://a.example/", "application/http", b"GET / HTTP/1.1\r\n\r\n"),
        ("<urn:uuid:0002>", "response", "https://a.example/", "text/html; charset=utf-8", PAGE.encode()),
        ("<urn:uuid:0003>", "response", "https://a.example/logo.png", "image/png", b"\x89PNG\r\n"),
        ("<urn:uuid:0004>", "response", "https://b.example/fr", "text/html; charset=iso-8859-1",
         "<html><body>Déjà vu</body></html>".encode("latin-1")),
        ("<urn:uuid:0005>", "response", "https://c.example/", "text/html", b"<html>\xff\xfe bad</html>"),
    ])
    _warc(tmp_path / "crawl-1.warc.wet.gz", [
        ("<urn:uuid:0006>", "conversion", "https://a.example/", "text/plain", "Grüße aus Köln".encode()),
    ])
    rows, stats = read_step(read_warc(str(tmp_path / "*.gz")))
    assert rows == [
        {"id": "<urn:uuid:0002>", "text": PAGE, "url": "https://a.example/", "date": "2024-03-01T10:00:00Z"},
        {"id": "<urn:uuid:0004>", "text": "<html><body>Déjà vu</body></html>", "url": "https://b.example/fr",
         "date": "2024-03-01T10:00:00Z"},
        {"id": "<urn:uuid:0006>", "text": "Grüße aus Köln", "url": "https://a.example/", "date": "2024-03-01T10:00:00Z"},
    ]
    assert stats.dropped == Counter({"undecodable": 1})
    assert stats.counters == Counter({"warc_skipped:request": 1, "warc_skipped:image/png": 1})


def test_warc_damaged_file_raises_or_keeps_records_before_the_damage(tmp_path):
    _warc(tmp_path / "ok.warc", [
        (f"<urn:uuid:{i:04d}>", "response", f"https://x.example/{i}", "text/html", f"<p>page {i}</p>".encode())
        for i in range(3)
    ], gzip_it=False)
    data = (tmp_path / "ok.warc").read_bytes()
    cut = data.index(b"WARC/1.0", data.index(b"WARC/1.0", 10) + 10)  # start of the third record
    (tmp_path / "cut.warc").write_bytes(data[:cut] + b"<html>a stray page, not a WARC record</html>\r\n\r\n")
    with pytest.raises(BadInputError, match="cut.warc.*corrupt_warc"):
        read_step(read_warc(str(tmp_path / "cut.warc")))
    rows, stats = read_step(read_warc(str(tmp_path / "cut.warc"), on_error="skip"))
    assert [r["text"] for r in rows] == ["<p>page 0</p>", "<p>page 1</p>"]
    assert stats.dropped == Counter({"corrupt_warc": 1})


# -- saved Hugging Face datasets ----------------------------------------------------------------

def _save_to_disk(folder, tables):
    """What datasets' save_to_disk writes: Arrow IPC stream files, state.json, dataset_info.json."""
    os.makedirs(folder)
    names = [f"data-{i:05d}-of-{len(tables):05d}.arrow" for i in range(len(tables))]
    for name, table in zip(names, tables):
        with pa.OSFile(os.path.join(folder, name), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table, max_chunksize=2)
    state = {"_data_files": [{"filename": n} for n in names], "_fingerprint": "0f1e2d", "_format_type": None,
             "_split": "train"}
    with open(os.path.join(folder, "state.json"), "w") as f:
        json.dump(state, f)
    with open(os.path.join(folder, "dataset_info.json"), "w") as f:
        json.dump({"features": {}}, f)


def test_hf_dataset_dir_and_dataset_dict_split(tmp_path):
    t0 = pa.table({"content": ["alpha", "beta", "gamma"], "meta": [{"n": 1}, {"n": 2}, {"n": 3}]})
    t1 = pa.table({"content": ["delta", "epsilon"], "meta": [{"n": 4}, {"n": 5}]})
    _save_to_disk(str(tmp_path / "ds" / "train"), [t0, t1])
    _save_to_disk(str(tmp_path / "ds" / "test"), [pa.table({"content": ["zeta"], "meta": [{"n": 6}]})])
    (tmp_path / "ds" / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    rows, _ = read_step(read_hf_dataset(str(tmp_path / "ds"), split="train", text_key="content"), tasks=2)
    assert rows == [
        {"id": "data-00000-of-00002.arrow:0", "text": "alpha", "meta": {"n": 1}},
        {"id": "data-00000-of-00002.arrow:1", "text": "beta", "meta": {"n": 2}},
        {"id": "data-00000-of-00002.arrow:2", "text": "gamma", "meta": {"n": 3}},
        {"id": "data-00001-of-00002.arrow:0", "text": "delta", "meta": {"n": 4}},
        {"id": "data-00001-of-00002.arrow:1", "text": "epsilon", "meta": {"n": 5}},
    ]
    rows, _ = read_step(read_hf_dataset(str(tmp_path / "ds" / "test"), text_key="content", limit=5))
    assert rows == [{"id": "data-00000-of-00001.arrow:0", "text": "zeta", "meta": {"n": 6}}]
    with pytest.raises(ValueError, match=r"splits \['train', 'test'\]; pass split="):
        read_hf_dataset(str(tmp_path / "ds"), text_key="content").list_shards(None)
    with pytest.raises(FileNotFoundError, match="no state.json"):
        read_hf_dataset(str(tmp_path)).list_shards(None)


# -- common options: adapter, parquet ids, global limit / skip -----------------------------------

def test_adapter_reshapes_records_and_its_drops_are_counted(tmp_path):
    pq.write_table(pa.table({"body": ["keep me", "drop me", "and me"], "title": ["A", "B", "C"]}), tmp_path / "x.parquet")

    def adapt(row):  # the raw record: the file's own field names
        if row["body"].startswith("drop"):
            return None
        return {"text": f"{row['title']}: {row['body']}", "title": row["title"]}

    rows, stats = read_step(read_parquet(str(tmp_path / "x.parquet"), adapter=adapt))
    assert rows == [{"id": "x.parquet:0", "text": "A: keep me", "title": "A"}, {"id": "x.parquet:2", "text": "C: and me", "title": "C"}]
    assert stats.dropped == Counter({"adapter_dropped": 1})
    with pytest.raises(BadInputError, match="row 1 of the file: the adapter returned a dict with 'text' NoneType.*adapter_no_text"):
        read_step(read_parquet(str(tmp_path / "x.parquet"), adapter=lambda r: {"body": r["body"]}))
    with pytest.raises(ValueError, match="text_key='body' has no effect with adapter="):
        read_parquet(str(tmp_path / "x.parquet"), text_key="body", adapter=adapt)


@pytest.fixture()
def numbered_jsonl(tmp_path):
    """35 documents d00..d34 in 5 files of different sizes (2, 9, 7, 12, 5 lines)."""
    root = tmp_path / "num"
    root.mkdir()
    n = 0
    for f, count in enumerate([2, 9, 7, 12, 5]):
        with open(root / f"part-{f}.jsonl", "w") as out:
            for _ in range(count):
                out.write(json.dumps({"id": f"d{n:02d}", "text": "x" * (n % 7 + 1)}) + "\n")
                n += 1
    return str(root)


@pytest.mark.parametrize("skip,limit", [(0, 5), (3, 10), (10, None), (0, 0), (34, 10), (40, 3), (1, 34)])
def test_limit_and_skip_are_global_whatever_the_number_of_tasks(numbered_jsonl, skip, limit):
    expected = [f"d{i:02d}" for i in range(35)][skip: None if limit is None else skip + limit]
    for tasks in (1, 3, 8, 20):
        rows, _ = read_step(read_jsonl(numbered_jsonl, skip=skip, limit=limit, batch_size=4), tasks=tasks)
        assert [r["id"] for r in rows] == expected, f"tasks={tasks}"


def test_limit_skip_pipeline_gives_the_same_bytes_with_one_or_two_workers(numbered_jsonl, tmp_path):
    digests = []
    for workers in (1, 2):
        out = str(tmp_path / f"out{workers}")
        with sf.Pipeline("window") as p:
            read_jsonl(numbered_jsonl, skip=4, limit=20, path_column="source") >> write_jsonl(out, name="w")
        result = p.run(workdir=str(tmp_path / f"run{workers}"), tasks=4, workers=workers)
        rows = read_all(result.outputs["w"])
        assert [r["id"] for r in rows] == [f"d{i:02d}" for i in range(4, 24)]
        assert rows[0]["source"] == os.path.join(numbered_jsonl, "part-1.jsonl")
        digests.append(file_digests(result.outputs["w"], out))
    assert digests[0] == digests[1] and len(digests[0]) >= 2


def test_reader_batches_stop_at_batch_bytes_and_small_files_are_merged_up_to_it(numbered_jsonl):
    def sizes(**kw):
        reader = read_jsonl(numbered_jsonl, **kw)
        reader.stats = StepStats()
        shard = reader.list_shards(1)[0]  # one shard of the five files: merging happens
        return [t.num_rows for t in reader.read(shard)]

    assert sizes(batch_size=1000, batch_bytes=None) == [35]  # files merged into one batch
    capped = sizes(batch_size=1000, batch_bytes=200)
    assert sum(capped) == 35 and 1 < len(capped) < 35  # merged, but only up to the cap
    assert sizes(batch_size=1000, batch_bytes=1) == [1] * 35  # every row reaches it alone
