"""Arrow's JSON reader as the fast path of the JSONL reader: used where it reads as orjson
would, and never where it would read something else (records.py decides as before)."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

import shardflow.io.records as records
from shardflow.io.arrow_json import arrow_table
from shardflow.io.errors import BadInputError
from shardflow.io.records import RecordParser

PLAIN = [
    b'{"id": "a", "text": "caf\\u00e9 \xe2\x82\xac \\ud83d\\ude00", "n": 1, "s": 0.5, "ok": true}\n',
    b'{"text": "b\\u0000c", "n": null, "m": {"k": [1, 2], "t": "x"}, "l": []}\n',
    b'{"id": "7", "text": "", "extra": "2020-01-01 is a date in prose", "s": -0.0}\r\n',
]

# Lines where Arrow alone would read something other than orjson + pa.array does.
DIFFERENT = {
    "date-like strings become timestamps": [b'{"text": "a", "d": "2020-01-01"}\n'],
    "datetime strings": [b'{"text": "a", "d": "2020-01-02T10:00:00"}\n'],
    "integer past int64": [b'{"text": "a", "x": 9223372036854775808}\n'],
    "NaN literal": [b'{"text": "a", "x": NaN}\n'],
    "Infinity literal": [b'{"text": "a", "x": [Infinity]}\n'],
    "blank line": [b'{"text": "a"}\n', b"\n", b'{"text": "b"}\n'],
    "byte order mark": [b'\xef\xbb\xbf{"text": "a"}\n'],
    "invalid UTF-8": [b'{"text": "a\xff"}\n'],
    "lone high surrogate": [b'{"text": "a\\ud800"}\n'],
    "lone low surrogate": [b'{"text": "a\\udc00"}\n'],
    "repeated key": [b'{"text": "a", "text": "b"}\n'],
    "not an object": [b"[1, 2]\n"],
    "integer and string ids": [b'{"id": 1, "text": "a"}\n', b'{"id": "x", "text": "b"}\n'],
    "type change": [b'{"text": "a", "x": 1}\n', b'{"text": "b", "x": "s"}\n'],
}


def test_plain_lines_take_the_fast_path():
    table = arrow_table(PLAIN)
    assert table is not None
    assert table.column_names == ["id", "text", "n", "s", "ok", "m", "l", "extra"]
    assert table.column("text").to_pylist() == ["café € 😀", "b\x00c", ""]
    assert table.column("extra").type == pa.string()


@pytest.mark.parametrize("case", sorted(DIFFERENT))
def test_arrow_does_not_stand_for_orjson_where_they_differ(case):
    assert arrow_table(DIFFERENT[case]) is None


def parse(lines: list[bytes], fast: bool, monkeypatch, on_error="skip"):
    """(table as rows, skipped reasons) or the error's (reason, line), by one path."""
    if not fast:
        monkeypatch.setattr(records, "arrow_table", lambda lines: None)
    skipped: Counter = Counter()
    parser = RecordParser("in.jsonl", text_key="text", id_key="id", on_error=on_error,
                          skipped=skipped, first_line=lambda: 1)
    try:
        table = parser.table(list(lines), 0)
    except BadInputError as e:
        return ("error", e.reason, e.line)
    finally:
        monkeypatch.undo()
    return (None if table is None else (table.schema, table.to_pylist()), dict(skipped))


@pytest.mark.parametrize("on_error", ["skip", "raise"])
@pytest.mark.parametrize("case", ["plain"] + sorted(DIFFERENT))
def test_the_parser_gives_the_same_rows_and_errors_either_way(case, on_error, monkeypatch):
    lines = PLAIN if case == "plain" else DIFFERENT[case]
    assert parse(lines, True, monkeypatch, on_error) == parse(lines, False, monkeypatch, on_error)


def test_batches_of_huge_records_take_the_orjson_path(monkeypatch):
    import shardflow.io.arrow_json as arrow_json

    monkeypatch.setattr(arrow_json, "_MAX_BATCH_BYTES", 100)
    assert arrow_table([b'{"text": "' + b"x" * 50 + b'"}\n'] * 2) is None
    assert arrow_table([b'{"text": "' + b"x" * 50 + b'"}\n']) is not None
