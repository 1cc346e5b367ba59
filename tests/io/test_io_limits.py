"""The reader's limits and shard checks at the io level: lines over max_line_bytes in any
tiling of a file, the shard ledger (types across batches and files, repeated ids), and the
errors for unreadable files and refused writes."""

import io
import random
from collections import Counter

import orjson
import pyarrow as pa
import pytest

from shardflow.io import BadInputError, JsonlWriter, Piece, ShardLedger, read_jsonl
from shardflow.io.lines import OversizedLine, owned_lines
from tests.io.test_io_shards import _lines_file


def test_oversized_lines_come_as_their_size_in_any_tiling_and_block_size():
    rng = random.Random(7)
    for _ in range(300):
        data, _ = _lines_file(rng, rng.randint(0, 30))
        limit = rng.choice([0, 5, 30, 300, 6000])
        expected = data.split(b"\n")
        if expected and expected[-1] == b"":
            expected.pop()
        expected = [(b"", len(x)) if len(x) > limit else (x, None) for x in expected]
        cuts = sorted(rng.sample(range(1, len(data)), min(rng.randint(0, 5), max(len(data) - 1, 0))))
        bounds = [0, *cuts, None]
        block = rng.choice([1, 3, 64, 1 << 20])
        got = []
        for start, end in zip(bounds, bounds[1:]):
            for lines in owned_lines(io.BytesIO(data), start, end, block, max_line_bytes=limit):
                got += [(b"", x.size) if type(x) is OversizedLine else (x, None) for x in lines]
        assert got == expected, (bounds, block, limit)


def test_a_line_over_the_limit_is_a_bad_record_with_its_line_number(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"text":"a"}\n{"text":"' + b"x" * 5000 + b'"}\n{"text":"c"}\n')
    with pytest.raises(BadInputError) as e:
        list(read_jsonl(Piece(str(path)), max_line_bytes=1000))
    assert (e.value.line, e.value.reason) == (2, "line_too_long")
    assert "5,011 bytes long, over max_line_bytes=1,000" in str(e.value)
    skipped = Counter()
    rows = [r for t in read_jsonl(Piece(str(path)), max_line_bytes=1000, on_error="skip",
                                  skipped=skipped) for r in t.to_pylist()]
    assert [r["text"] for r in rows] == ["a", "c"] and skipped == Counter(line_too_long=1)
    assert len(list(read_jsonl(Piece(str(path)), max_line_bytes=None))[0]) == 3


def test_the_ledger_keeps_a_fields_first_type_whatever_the_batch_size(tmp_path):
    lines = [{"text": "a", "m": "s"}, {"text": "b", "m": None}, {"text": "c", "m": {"k": 1}},
             {"text": "d", "m": "t"}, {"text": "e", "n": 1}, {"text": "f", "n": 2.5}]
    path = tmp_path / "m.jsonl"
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    for batch_size in (1, 2, 3, 10):
        skipped = Counter()
        rows = [r for t in read_jsonl(Piece(str(path)), batch_size=batch_size, on_error="skip",
                                      skipped=skipped, ledger=ShardLedger()) for r in t.to_pylist()]
        assert [r["text"] for r in rows] == ["a", "b", "d", "e", "f"], batch_size  # int -> float fits
        assert skipped == Counter(type_conflict=1)
        with pytest.raises(BadInputError) as e:
            list(read_jsonl(Piece(str(path)), batch_size=batch_size, ledger=ShardLedger()))
        assert (e.value.line, e.value.reason) == (3, "type_conflict")
        if batch_size < 3:  # across batches the error says where the field got its type
            assert f"{path}:1" in str(e.value)


def test_repeated_ids_are_counted_or_bad_records_within_a_shard(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(b'{"id":"x","text":"1"}\n{"id":"y","text":"2"}\n')
    b.write_bytes(b'{"id":"y","text":"3"}\n{"id":7,"text":"4"}\n{"id":"7","text":"5"}\n')
    ledger = ShardLedger()
    texts = [r["text"] for p in (a, b) for t in read_jsonl(Piece(str(p)), ledger=ledger)
             for r in t.to_pylist()]
    assert texts == ["1", "2", "3", "4", "5"] and ledger.duplicate_ids == 2  # "y", and 7 == "7"
    unique, skipped = ShardLedger(unique_ids=True), Counter()
    texts = [r["text"] for p in (a, b) for t in read_jsonl(
        Piece(str(p)), ledger=unique, on_error="skip", skipped=skipped) for r in t.to_pylist()]
    assert texts == ["1", "2", "4"] and skipped == Counter(duplicate_id=2)
    assert ShardLedger().repeated([None, None, "q"]) == []  # no id is no repeated id


def test_a_file_gone_since_planning_is_a_bad_file(tmp_path):
    path = str(tmp_path / "gone.jsonl")
    with pytest.raises(BadInputError) as e:
        list(read_jsonl(Piece(path)))
    assert (e.value.path, e.value.line, e.value.reason) == (path, None, "missing_file")
    skipped = Counter()
    assert list(read_jsonl(Piece(path), on_error="skip", skipped=skipped)) == []
    assert skipped == Counter(missing_file=1)


def test_a_refused_write_aborts_the_file_and_names_it(tmp_path):
    class FullDisk(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            raise OSError(28, "No space left on device")

    writer = JsonlWriter(str(tmp_path / "o.jsonl"), compression=None)
    writer._pending.stream.close()
    writer._pending.stream = FullDisk()
    writer._out._raw = writer._pending.stream
    with pytest.raises(OSError) as e:
        writer.write(pa.table({"text": ["a"]}))
    assert e.value.errno == 28 and f"while writing {tmp_path}/o.jsonl" in str(e.value)
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone, nothing committed


def test_typed_tables_of_one_shard_are_checked_against_each_other():
    a = pa.table({"id": ["x", "y"], "text": ["1", "2"], "m": ["s", "t"]})
    b = pa.table({"id": ["y", "z", "w"], "text": ["3", "4", "5"], "m": [None, {"k": 1}, None]})
    bad_rows = []

    def bad(row, reason, detail, hint):
        bad_rows.append((row, reason))

    ledger = ShardLedger(unique_ids=True)
    tables = [ledger.check_table(t, 10, bad, lambda row: f"a.parquet, row {row + 1}") for t in (a, b)]
    assert [r["text"] for t in tables for r in t.to_pylist()] == ["1", "2", "5"]
    assert bad_rows == [(11, "type_conflict"), (10, "duplicate_id")]  # file rows, from 10
    assert tables[-1].schema.field("m").type == pa.string()  # the column keeps its first type
    assert "a string (string) in earlier records" in ledger.conflict_detail("m", b.schema.field("m").type)
    assert "a.parquet, row 11" in ledger.conflict_detail("m", b.schema.field("m").type)
