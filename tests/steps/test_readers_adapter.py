"""The ``adapter`` option of every reader: it sees the raw record (no ``text`` needed) and
builds the row; what it rejects is a bad record named by file and line / row, or counted."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shardflow as sf
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
from tests.helpers import read_all
from tests.steps.test_readers import _save_to_disk, _warc, read_step

# Records without a "text" field: the text is built from title and body.
RECORDS = [
    {"uid": "u1", "title": "Alpha", "body": "first body", "lang": "en"},
    {"uid": "u2", "title": "Beta", "body": "second body", "lang": "fr"},
    {"uid": "u3", "title": "Gamma", "lang": "de"},  # no body: the adapter raises KeyError
    {"uid": "u4", "title": "Delta", "body": "fourth body", "lang": "en"},
    {"uid": "u5", "title": "Draft", "body": "not for training", "lang": "en"},  # the adapter drops it
]


def title_and_body(record):
    """A datatrove-style adapter: it gets the raw record and returns text, id and metadata."""
    if record["title"] == "Draft":
        return None
    return {"text": record["title"] + "\n" + record["body"], "id": record["uid"], "metadata": {"lang": record["lang"]}}


EXPECTED = [
    {"id": "u1", "text": "Alpha\nfirst body", "metadata": {"lang": "en"}},
    {"id": "u2", "text": "Beta\nsecond body", "metadata": {"lang": "fr"}},
    {"id": "u4", "text": "Delta\nfourth body", "metadata": {"lang": "en"}},
]


def _jsonl(path, records):
    with gzip.open(path, "wt") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def test_jsonl_adapter_builds_text_from_records_without_text_key(tmp_path):
    _jsonl(tmp_path / "docs.jsonl.gz", RECORDS)
    path = str(tmp_path / "docs.jsonl.gz")
    rows, stats = read_step(read_jsonl(path, adapter=title_and_body, on_error="skip"))
    assert rows == EXPECTED
    assert stats.dropped == Counter({"adapter_error": 1, "adapter_dropped": 1})

    with pytest.raises(BadInputError) as e:
        read_step(read_jsonl(path, adapter=title_and_body))
    assert e.value.path == path and e.value.line == 3 and e.value.reason == "adapter_error"
    assert "the adapter raised KeyError: 'body'" in str(e.value) and isinstance(e.value.__cause__, KeyError)


def test_jsonl_adapter_rows_without_text_are_named_by_line_and_ids_fall_back(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        '{"id": "keep-me", "t": "one"}\n'
        '{"t": "two"}\n'
        '{"t": 3}\n'
        '[1, 2]\n'
    )
    path = str(tmp_path / "a.jsonl")

    def adapt(record):
        return {"text": record["t"], "n": len(record)}  # no id: the raw id, else the generated one

    rows, stats = read_step(read_jsonl(path, adapter=adapt, on_error="skip"))
    assert rows == [{"text": "one", "n": 2, "id": "keep-me"}, {"text": "two", "n": 1, "id": "a.jsonl:2"}]
    assert stats.dropped == Counter({"adapter_no_text": 1, "not_object": 1})
    with pytest.raises(BadInputError, match=r"a\.jsonl:3: the adapter returned a dict with 'text' int.*adapter_no_text"):
        read_step(read_jsonl(path, adapter=adapt))


def test_parquet_csv_and_hf_adapters_see_raw_rows_and_name_the_bad_row(tmp_path):
    table = pa.Table.from_pylist([{**r, "body": r.get("body")} for r in RECORDS])
    pq.write_table(table, tmp_path / "docs.parquet", row_group_size=2)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, ["uid", "title", "body", "lang"])
    writer.writeheader()
    writer.writerows(RECORDS)
    (tmp_path / "docs.csv").write_text(buf.getvalue())
    _save_to_disk(str(tmp_path / "ds"), [table.slice(0, 3), table.slice(3)])

    def strict(record):  # parquet and HF keep the missing body as None, CSV as ""
        if not record["body"]:
            raise ValueError("empty body")
        return title_and_body(record)

    readers = [
        (read_parquet, str(tmp_path / "docs.parquet")),
        (read_csv, str(tmp_path / "docs.csv")),
        (read_hf_dataset, str(tmp_path / "ds")),
    ]
    for reader, path in readers:
        rows, stats = read_step(reader(path, adapter=strict, on_error="skip"))
        assert rows == EXPECTED, reader
        assert stats.dropped == Counter({"adapter_error": 1, "adapter_dropped": 1}), reader
        with pytest.raises(BadInputError, match=r"row 3 of the file: the adapter raised ValueError: empty body on the "
                                                r"record.*adapter_error"):
            read_step(reader(path, adapter=strict))


def test_text_files_and_warc_adapters_get_the_document_the_reader_built(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Title A\nbody a")
    (tmp_path / "docs" / "b.txt").write_text("no title line")

    def first_line_title(doc):
        title, _, body = doc["text"].partition("\n")
        if not body:
            raise ValueError("no body")
        return {"text": body, "title": title}  # no id: the reader's id is kept

    rows, stats = read_step(read_text_files(str(tmp_path / "docs"), adapter=first_line_title, on_error="skip"))
    assert rows == [{"text": "body a", "title": "Title A", "id": "a.txt"}]
    assert stats.dropped == Counter({"adapter_error": 1})
    with pytest.raises(BadInputError, match=r"b\.txt: document 1 of the file: the adapter raised ValueError: no body "
                                            r"on the record with id 'b\.txt'"):
        read_step(read_text_files(str(tmp_path / "docs"), adapter=first_line_title))

    _warc(tmp_path / "c.warc.gz", [
        (f"<urn:uuid:{i}>", "response", f"https://x.example/{i}", "text/html", f"<p>{i}</p>".encode()) for i in range(3)
    ])
    rows, _ = read_step(read_warc(str(tmp_path / "c.warc.gz"), adapter=lambda d: {"text": d["url"] + " " + d["text"]}))
    assert rows == [{"text": f"https://x.example/{i} <p>{i}</p>", "id": f"<urn:uuid:{i}>"} for i in range(3)]


def test_adapter_runs_in_pipeline_workers_and_limit_counts_adapted_records(tmp_path):
    for i in range(2):
        _jsonl(tmp_path / f"part-{i}.jsonl.gz", RECORDS)
    with sf.Pipeline("adapted") as p:
        read_jsonl(str(tmp_path / "*.jsonl.gz"), adapter=title_and_body, on_error="skip", limit=5) >> write_jsonl(
            str(tmp_path / "out"), name="w")
    result = p.run(workdir=str(tmp_path / "run"), tasks=2, workers=2)
    assert [r["id"] for r in read_all(result.outputs["w"])] == ["u1", "u2", "u4", "u1", "u2"]


def test_jsonl_adapter_is_applied_to_records_that_already_have_a_text(tmp_path):
    # Plain records that any fast path would read as they are: the adapter must still see each.
    (tmp_path / "p.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": f"doc {i}"}) + "\n" for i in range(50)))
    rows, _ = read_step(read_jsonl(str(tmp_path / "p.jsonl"), adapter=lambda r: {**r, "text": r["text"].upper()}))
    assert rows == [{"id": f"d{i}", "text": f"DOC {i}"} for i in range(50)]
