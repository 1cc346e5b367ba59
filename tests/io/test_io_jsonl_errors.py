"""read_jsonl on bad input: each bad record raised with file and line, or skipped and
counted; damaged compressed files."""

import gzip
import pickle
from collections import Counter

import orjson
import pytest
import zstandard

from shardflow.io import BadInputError, Piece, read_jsonl


def _read(path, **kw):
    return [row for t in read_jsonl(Piece(str(path)), **kw) for row in t.to_pylist()]


def _write_lines(path, lines):
    path.write_bytes(b"".join(lines))
    return path


BAD = [
    b'{"text": "ok1"}\n',
    b'{"text": "broken\n',  # line 2
    b'[1, 2]\n',  # line 3
    b'{"id": "x"}\n',  # line 4
    b'{"text": 5}\n',  # line 5
    b'{"text": null}\n',  # line 6
    b'{"text": "ok2", "id": [1]}\n',  # line 7
    b'{"text": "ok3"}\n',
]


@pytest.mark.parametrize(
    "line, reason",
    [(2, "invalid_json"), (3, "not_object"), (4, "missing_text"), (5, "text_not_string"),
     (6, "missing_text"), (7, "bad_id")],
)
def test_each_bad_record_raises_with_file_line_reason_and_fix(tmp_path, line, reason):
    path = _write_lines(tmp_path / "bad.jsonl", [BAD[0], BAD[line - 1], BAD[-1]])
    with pytest.raises(BadInputError) as e:
        _read(path)
    err = e.value
    assert (err.path, err.line, err.reason) == (str(path), 2, reason)
    assert f"{path}:2" in str(err)
    assert 'on_error="skip"' in str(err)
    assert isinstance(err, ValueError)


def test_skip_counts_every_bad_record_by_reason(tmp_path):
    path = _write_lines(tmp_path / "bad.jsonl", BAD)
    skipped = Counter()
    rows = _read(path, on_error="skip", skipped=skipped, batch_size=3)
    assert [r["text"] for r in rows] == ["ok1", "ok3"]
    assert [r["id"] for r in rows] == ["bad.jsonl:1", "bad.jsonl:8"]
    assert skipped == Counter(
        invalid_json=1, not_object=1, missing_text=2, text_not_string=1, bad_id=1
    )


def test_first_bad_line_is_reported_even_after_good_batches(tmp_path):
    lines = [b'{"text":"t"}\n'] * 12 + [b"nope\n"]
    path = _write_lines(tmp_path / "late.jsonl", lines)
    with pytest.raises(BadInputError) as e:
        _read(path, batch_size=5)
    assert e.value.line == 13


def test_type_conflicts_between_records_are_found_and_skipped(tmp_path):
    path = _write_lines(
        tmp_path / "mixed.jsonl",
        [b'{"text":"a","score":1}\n', b'{"text":"b","score":2}\n', b'{"text":"c","score":"high"}\n',
         b'{"text":"d","score":3}\n'],
    )
    with pytest.raises(BadInputError) as e:
        _read(path)
    assert (e.value.line, e.value.reason) == (3, "type_conflict")
    skipped = Counter()
    rows = _read(path, on_error="skip", skipped=skipped)
    assert [(r["text"], r["score"]) for r in rows] == [("a", 1), ("b", 2), ("d", 3)]
    assert skipped == Counter(type_conflict=1)


def test_skip_requires_a_counter_and_on_error_is_checked(tmp_path):
    path = _write_lines(tmp_path / "a.jsonl", [b'{"text":"a"}\n'])
    with pytest.raises(ValueError, match="skipped"):
        list(read_jsonl(Piece(str(path)), on_error="skip"))
    with pytest.raises(ValueError, match="on_error"):
        list(read_jsonl(Piece(str(path)), on_error="ignore"))


@pytest.mark.parametrize("ext", [".gz", ".zst"])
def test_truncated_compressed_file_raise_or_count_once(tmp_path, ext):
    lines = [orjson.dumps({"text": f"record {i} " + "y" * 50}) + b"\n" for i in range(40_000)]
    data = b"".join(lines)
    blob = gzip.compress(data) if ext == ".gz" else zstandard.ZstdCompressor().compress(data)
    path = tmp_path / f"cut.jsonl{ext}"
    path.write_bytes(blob[: len(blob) * 2 // 3])

    with pytest.raises(BadInputError) as e:
        _read(path)
    assert e.value.reason == "corrupt_compressed" and e.value.path == str(path)
    assert e.value.line is not None and 1 < e.value.line <= 40_000
    assert "cut short" in str(e.value) and 'on_error="skip"' in str(e.value)

    skipped = Counter()
    rows = _read(path, on_error="skip", skipped=skipped)
    assert skipped == Counter(corrupt_compressed=1)
    assert 0 < len(rows) < 40_000
    assert [r["text"] for r in rows] == [f"record {i} " + "y" * 50 for i in range(len(rows))]


def test_bad_input_error_survives_pickling():
    err = BadInputError("/d/f.jsonl", 3, "invalid_json", "the line is not valid JSON")
    back = pickle.loads(pickle.dumps(err))
    assert (back.path, back.line, back.reason, str(back)) == (err.path, 3, err.reason, str(err))
