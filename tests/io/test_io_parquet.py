"""ParquetWriter and read_parquet: heterogeneous batches into one file, atomically."""

import os

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shardflow.io import BadInputError, ParquetWriter, Piece, SchemaMismatchError, read_parquet

BATCHES = [
    pa.Table.from_pylist([{"id": "1", "text": "a", "meta": {"url": "u1"}, "score": None}]),
    pa.Table.from_pylist(
        [{"id": "2", "text": "b", "meta": {"lang": "en", "n": {"k": 1}}, "score": 0.5}]
    ),
    pa.Table.from_pylist([{"id": "3", "text": "c", "extra": [1, 2]}]),
    pa.Table.from_pylist(
        [{"id": "4", "text": "d", "meta": {"url": "u4", "n": {"j": "x"}}, "score": 2}]
    ),
]


def _rows(path, **kw):
    return [r for t in read_parquet(Piece(str(path)), **kw) for r in t.to_pylist()]


def _strip_nones(value):
    if isinstance(value, dict):
        return {k: _strip_nones(v) for k, v in value.items() if v is not None}
    return value


@pytest.mark.parametrize("row_group_size", [1, 2, 100])
def test_heterogeneous_batches_round_trip(tmp_path, row_group_size):
    # row_group_size 1 writes before later batches widen the schema: the file is rewritten.
    path = tmp_path / "out" / "p.parquet"
    with ParquetWriter(str(path), row_group_size=row_group_size) as w:
        for t in BATCHES:
            w.write(t)
    rows = _rows(path)
    expected = [r for t in BATCHES for r in t.to_pylist()]
    assert [_strip_nones(r) for r in rows] == [_strip_nones(r) for r in expected]
    schema = pq.read_schema(str(path))
    assert schema.names == ["id", "text", "meta", "score", "extra"]
    assert schema.field("score").type == pa.float64()
    assert pq.ParquetFile(str(path)).metadata.num_rows == 4
    assert os.listdir(path.parent) == ["p.parquet"]  # the rewrite left no temporaries


def test_columns_and_batch_size(tmp_path):
    path = tmp_path / "p.parquet"
    with ParquetWriter(str(path)) as w:
        w.write(pa.table({"id": [str(i) for i in range(25)], "text": ["t"] * 25}))
    tables = list(read_parquet(Piece(str(path)), batch_size=10, columns=["id"]))
    assert [t.num_rows for t in tables] == [10, 10, 5]
    assert tables[0].column_names == ["id"]


def test_incompatible_column_names_the_column_and_leaves_nothing(tmp_path):
    path = tmp_path / "p.parquet"
    with pytest.raises(SchemaMismatchError) as e:
        with ParquetWriter(str(path), row_group_size=1) as w:
            w.write(pa.table({"id": ["1"], "meta": [{"a": 1}]}))
            w.write(pa.table({"id": ["2"], "meta": ["a string"]}))
    assert e.value.column == "meta"
    assert os.listdir(tmp_path) == []


def test_abort_leaves_nothing(tmp_path):
    w = ParquetWriter(str(tmp_path / "p.parquet"), row_group_size=1)
    w.write(BATCHES[0])
    w.write(BATCHES[1])
    w.abort()
    assert os.listdir(tmp_path) == []


def test_empty_writer_gives_a_readable_empty_file(tmp_path):
    path = tmp_path / "e.parquet"
    info = ParquetWriter(str(path)).close()
    assert info.size > 0 and list(read_parquet(Piece(str(path)))) == []
    with ParquetWriter(str(tmp_path / "s.parquet")) as w:
        w.write(pa.table({"id": pa.array([], pa.string())}))
    assert pq.read_schema(str(tmp_path / "s.parquet")).names == ["id"]


def test_corrupt_file_and_partial_piece_are_errors(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(BadInputError) as e:
        _rows(path)
    assert e.value.reason == "corrupt_parquet" and str(path) in str(e.value)
    with pytest.raises(ValueError, match="read whole"):
        list(read_parquet(Piece(str(path), 0, 10)))


def test_rewrite_on_a_remote_filesystem():
    with ParquetWriter("memory://pq-test/out/p.parquet", row_group_size=1) as w:
        for t in BATCHES:
            w.write(t)
    assert [r["id"] for r in _rows("memory://pq-test/out/p.parquet")] == ["1", "2", "3", "4"]
    listing = fsspec.filesystem("memory").ls("/pq-test/out", detail=False)
    assert listing == ["/pq-test/out/p.parquet"]
