"""IpcWriter and read_ipc: batches come back exactly as written, schema changes included."""

import os

import pyarrow as pa
import pytest

from shardflow.io import BadInputError, IpcWriter, read_ipc

BATCHES = [
    pa.table({"id": ["1", "2"], "meta": [{"a": 1}, {"a": 2}]}),
    pa.table({"id": ["3"], "meta": [{"a": 3}]}),  # same schema: same stream
    pa.table({"id": ["4"], "meta": [{"b": "x"}], "n": pa.array([1], pa.int8())}),  # new schema
    pa.table({"id": ["5", "6"], "meta": [{"a": 4}, None]}),
]


@pytest.mark.parametrize("compression", [None, "lz4", "zstd"])
def test_round_trip_preserves_batches_and_types(tmp_path, compression):
    path = tmp_path / "stage" / "part.arrow"
    with IpcWriter(str(path), compression=compression) as w:
        for t in BATCHES:
            w.write(t)
    back = list(read_ipc(str(path)))
    assert len(back) == len(BATCHES)
    for got, want in zip(back, BATCHES):
        assert got.schema == want.schema
        assert got.equals(want)


def test_memory_filesystem(tmp_path):
    with IpcWriter("memory://ipc-test/p.arrow") as w:
        for t in BATCHES:
            w.write(t)
    assert [t.num_rows for t in read_ipc("memory://ipc-test/p.arrow")] == [2, 1, 1, 2]


def test_empty_writer_and_empty_tables(tmp_path):
    path = tmp_path / "e.arrow"
    with IpcWriter(str(path)) as w:
        w.write(pa.table({"id": pa.array([], pa.string())}))
    assert list(read_ipc(str(path))) == []


def test_truncated_file_is_reported(tmp_path):
    path = tmp_path / "p.arrow"
    with IpcWriter(str(path), compression=None) as w:
        w.write(pa.table({"text": ["x" * 10_000] * 10}))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError) as e:
        list(read_ipc(str(path)))
    assert e.value.reason == "corrupt_ipc" and str(path) in str(e.value)


def test_abort_and_bad_compression_leave_nothing(tmp_path):
    w = IpcWriter(str(tmp_path / "p.arrow"))
    w.write(BATCHES[0])
    w.abort()
    with pytest.raises(ValueError, match="snappy"):
        IpcWriter(str(tmp_path / "q.arrow"), compression="snappy")
    assert os.listdir(tmp_path) == []
