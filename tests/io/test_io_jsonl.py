"""read_jsonl and JsonlWriter: round trips, odd but valid input, batches, ids, lifecycle."""

import gzip
import os

import orjson
import pyarrow as pa
import pytest
import zstandard

from shardflow.io import JsonlWriter, Piece, read_jsonl

RECORDS = [
    {"id": "a", "text": "first", "meta": {"url": "http://a", "tags": ["x", "y"]}},
    {"id": "b", "text": "second", "meta": {"lang": "fr", "n": {"deep": 1}}},
    {"id": "c", "text": "third", "meta": {"url": "http://c", "n": {"other": 2.5}}},
    {"id": "d", "text": "", "meta": None, "late": "only here"},
]


def _read(path, **kw):
    return [row for t in read_jsonl(Piece(str(path)), **kw) for row in t.to_pylist()]


def _strip_nones(value):
    """Drops None-valued keys: a key missing in one record may come back as None."""
    if isinstance(value, dict):
        return {k: _strip_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nones(v) for v in value]
    return value


def _write_lines(path, lines, compress=None):
    data = b"".join(lines)
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("ext", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_round_trip_nested_heterogeneous_metadata(tmp_path, ext):
    src = tmp_path / f"in{ext}"
    compress = {".jsonl": None, ".jsonl.gz": "gzip", ".jsonl.zst": "zstd"}[ext]
    _write_lines(src, [orjson.dumps(r) + b"\n" for r in RECORDS], compress)
    rows = _read(src)
    assert [_strip_nones(r) for r in rows] == [_strip_nones(r) for r in RECORDS]
    assert rows[3]["late"] == "only here"  # a column first seen in a later record survives

    out = tmp_path / "out" / f"copy{ext}"
    with JsonlWriter(str(out)) as w:
        for t in read_jsonl(Piece(str(src)), batch_size=2):  # two batches, two schemas
            w.write(t)
    assert w.rows == 4
    again = _read(out)
    assert [_strip_nones(r) for r in again] == [_strip_nones(r) for r in RECORDS]
    if compress == "gzip":
        assert gzip.decompress(out.read_bytes()).count(b"\n") == 4
    elif compress == "zstd":
        assert out.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # zstd magic


def test_writer_output_bytes_keep_column_order_and_nulls(tmp_path):
    table = pa.table({"text": ["t", "u"], "id": ["1", None], "m": [{"a": 1}, None]})
    path = tmp_path / "o.jsonl"
    with JsonlWriter(str(path)) as w:
        w.write(table)
        w.write(table.to_batches()[0])
    expected = b'{"text":"t","id":"1","m":{"a":1}}\n{"text":"u","id":null,"m":null}\n'
    assert path.read_bytes() == expected * 2


def test_close_returns_the_committed_file(tmp_path):
    w = JsonlWriter(str(tmp_path / "a.jsonl.gz"))
    w.write(pa.table({"id": ["1"], "text": ["x"]}))
    info = w.close()
    assert info.path == str(tmp_path / "a.jsonl.gz")
    assert info.size == os.path.getsize(info.path) > 0
    assert w.close() == info  # idempotent
    with pytest.raises(RuntimeError, match="committed"):
        w.write(pa.table({"id": ["2"], "text": ["y"]}))


def test_empty_writer_gives_a_valid_empty_file(tmp_path):
    for name in ["e.jsonl", "e.jsonl.gz", "e.jsonl.zst"]:
        with JsonlWriter(str(tmp_path / name)):
            pass
        assert (tmp_path / name).exists()
        assert list(read_jsonl(Piece(str(tmp_path / name)))) == []


def test_abort_and_exception_leave_nothing_visible(tmp_path):
    w = JsonlWriter(str(tmp_path / "a.jsonl.gz"))
    w.write(pa.table({"id": ["1"], "text": ["x" * 100_000]}))
    w.abort()
    w.abort()
    with pytest.raises(RuntimeError, match="aborted"):
        w.close()
    with pytest.raises(ZeroDivisionError):
        with JsonlWriter(str(tmp_path / "b.jsonl")) as w2:
            w2.write(pa.table({"id": ["1"], "text": ["x"]}))
            1 / 0
    assert os.listdir(tmp_path) == []


def test_unknown_compression_creates_nothing(tmp_path):
    with pytest.raises(ValueError, match="lzma"):
        JsonlWriter(str(tmp_path / "x.jsonl"), compression="lzma")
    assert os.listdir(tmp_path) == []


def test_bom_crlf_and_blank_lines(tmp_path):
    path = _write_lines(
        tmp_path / "odd.jsonl",
        [
            b'\xef\xbb\xbf{"text":"a"}\r\n',
            b"\r\n",
            b"\n",
            b"   \n",
            b'{"text":"b"}\r\n',
            b'{"text":"c"}',
        ],
    )
    rows = _read(path)
    assert [r["text"] for r in rows] == ["a", "b", "c"]
    assert [r["id"] for r in rows] == ["odd.jsonl:1", "odd.jsonl:5", "odd.jsonl:6"]


def test_empty_and_blank_only_files_give_no_batches(tmp_path):
    (tmp_path / "e.jsonl").write_bytes(b"")
    (tmp_path / "b.jsonl").write_bytes(b"\n\n \n")
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(b""))
    for name in ["e.jsonl", "b.jsonl", "e.jsonl.gz"]:
        assert list(read_jsonl(Piece(str(tmp_path / name)))) == []


def test_batches_hold_at_most_batch_size_rows(tmp_path):
    path = _write_lines(tmp_path / "n.jsonl", [b'{"text":"%d"}\n' % i for i in range(25)])
    tables = list(read_jsonl(Piece(str(path)), batch_size=10))
    assert [t.num_rows for t in tables] == [10, 10, 5]
    assert [r["text"] for t in tables for r in t.to_pylist()] == [str(i) for i in range(25)]


def test_batches_end_at_batch_bytes_and_every_line_is_read_once(tmp_path):
    lines = [orjson.dumps({"text": "x" * (i % 7) * 100, "n": i}) + b"\n" for i in range(300)]
    path = _write_lines(tmp_path / "b.jsonl.gz", lines, "gzip")
    tables = list(read_jsonl(Piece(str(path)), batch_size=1000, batch_bytes=5_000))
    assert [r["n"] for t in tables for r in t.to_pylist()] == list(range(300))
    at = 0
    for t in tables[:-1]:  # a batch ends at the line that reaches the cap, not before
        held = sum(len(lines[i]) - 1 for i in range(at, at + t.num_rows))
        assert held >= 5_000 and held - (len(lines[at + t.num_rows - 1]) - 1) < 5_000
        at += t.num_rows
    assert len(tables) > 10  # the cap, not the rows, cut them
    one_each = list(read_jsonl(Piece(str(path)), batch_size=1000, batch_bytes=1))
    assert [t.num_rows for t in one_each] == [1] * 300


def test_keys_renamed_and_ids_normalised(tmp_path):
    path = _write_lines(
        tmp_path / "k.jsonl",
        [
            b'{"doc_id": 7, "content": "a"}\n',
            b'{"content": "b"}\n',
            b'{"doc_id": "s", "content": "c"}\n',
        ],
    )
    rows = _read(path, text_key="content", id_key="doc_id")
    assert rows == [
        {"id": "7", "text": "a"},
        {"id": "k.jsonl:2", "text": "b"},
        {"id": "s", "text": "c"},
    ]
    t = next(read_jsonl(Piece(str(path)), text_key="content", id_key="doc_id"))
    assert t.schema.field("id").type == pa.string()


def test_compressed_file_cannot_be_read_by_range(tmp_path):
    path = _write_lines(tmp_path / "a.jsonl.gz", [b'{"text":"a"}\n'], "gzip")
    with pytest.raises(ValueError, match="byte range"):
        list(read_jsonl(Piece(str(path), 0, 5)))


def test_writer_bytes_are_orjson_of_each_row_whatever_the_columns(tmp_path):
    rows = [
        {"id": "a", "50% off": 1.5, "text": 'quote " and \\ and \n', "meta": {"k": [1, None], "m": None}},
        {"id": "b", "50% off": None, "text": "é ✓ 𝄞", "meta": None},
        {"id": "c", "50% off": float("nan"), "text": "", "meta": {"k": [], "m": "x"}},
    ]
    cases = [
        pa.Table.from_pylist(rows),
        pa.table({}).append_column("x", pa.array([], pa.int64())),  # no rows
        pa.table({"a": [1, 2], "b": ["x", "y"]}).rename_columns(["a", "a"]),  # repeated name
    ]
    for i, table in enumerate(cases):
        path = tmp_path / f"{i}.jsonl"
        with JsonlWriter(str(path)) as w:
            w.write(table)
        expected = b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in table.to_pylist())
        assert path.read_bytes() == expected
    with pytest.raises(TypeError, match="binary"):
        with JsonlWriter(str(tmp_path / "bin.jsonl")) as w:
            w.write(pa.table({"b": pa.array([b"\x00"], pa.binary())}))
