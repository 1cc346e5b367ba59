"""Bad input through whole pipeline runs: every kind that issue 5 lists, under both policies.

With ``on_error="raise"`` (the default) a run over a bad input fails with ``RunFailed``
whose message names the file, the line (or row), the reason and what to do, without a
traceback, and nothing of the failed shard becomes visible in the output. With
``on_error="skip"`` the run succeeds, the bad records (or the bad file, once) are counted
in the reader's stats under their reason, and every good record is written exactly once,
as the oracle says. Odd but valid input (an empty file, a BOM, CRLF line ends, escaped NUL
characters, repeated ids) is read the same under both policies, with nothing dropped.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from typing import Callable

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

import shardflow as sf
from shardflow.steps import read_jsonl, read_parquet, write_jsonl, write_parquet
from tests.helpers import read_all
from tests.reliability.faultfs import Faults
from tests.reliability.memory_probe import PeakMemory

POLICIES = ("raise", "skip")
LONG_LINE = 200 << 20  # the "single 200 MB line"


def _docs(prefix: str, n: int, **extra) -> list[dict]:
    return [{"id": f"{prefix}{i}", "text": f"{prefix} document {i}", **extra} for i in range(n)]


def _jsonl(records: list[dict]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


GOOD = _docs("g", 3)  # good.jsonl, beside the bad file in most cases: it must come through
CUT = _docs("c", 20_000, pad="y" * 40)  # the records of a compressed file that gets cut


def _corrupt_gzip() -> bytes:
    blob = gzip.compress(_jsonl(_docs("z", 50)))
    return blob[:10] + bytes(range(200, 256)) * 2 + blob[122:]  # a valid header, then junk


def _corrupt_zstd() -> bytes:
    blob = zstandard.ZstdCompressor().compress(_jsonl(_docs("z", 50)))
    return blob[:6] + b"\xff" * 64 + blob[70:]


def _cut(compress: Callable[[bytes], bytes]) -> bytes:
    blob = compress(_jsonl(CUT))
    return blob[: len(blob) // 2]


def _lines_before_cut(blob: bytes, ext: str) -> int:
    """Complete lines in the decodable part of a cut file: what a reader can recover."""
    if ext == "gz":
        import zlib

        data = zlib.decompressobj(31).decompress(blob)
    else:
        data = zstandard.ZstdDecompressor().decompressobj().decompress(blob)
    return data.count(b"\n")


def _parquet(records: list[dict]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(records), sink)
    return sink.getvalue().to_pybytes()


def _broken_footer(records: list[dict]) -> bytes:
    data = _parquet(records)
    return data[:-48] + b"\xee" * 40 + data[-8:]  # the footer's metadata, garbled; PAR1 kept


@dataclass
class Case:
    """One kind of bad input.

    Attributes:
        files: File name -> content, written into the input directory.
        good: The oracle: every good record (its id and text), in any order.
        reason: The reason it is counted under with "skip" (None: valid input).
        dropped: How many are counted under it.
        where: What the error names: the bad file and the line (":N") or row.
        reader: "jsonl" or "parquet".
        options: Reader options.
        sink: "jsonl" or "parquet".
        tasks: Shards (None: one per file).
        mentions: More that the error must say.
    """

    files: Callable[[], dict[str, bytes]]
    good: Callable[[], list[dict]]
    reason: str | None = None
    dropped: int = 0
    where: str = ""
    reader: str = "jsonl"
    options: dict = field(default_factory=dict)
    sink: str = "jsonl"
    tasks: int | None = None
    mentions: tuple[str, ...] = ()


def _with_good(bad_name: str, bad: bytes) -> dict[str, bytes]:
    return {"good.jsonl": _jsonl(GOOD), bad_name: bad}


def _one_bad_line(line: bytes) -> bytes:
    """A file of three good records with ``line`` as its line 2."""
    ok = _docs("b", 2)
    return _jsonl(ok[:1]) + line + b"\n" + _jsonl(ok[1:])


def _bad_line(line: bytes | Callable[[], bytes], reason: str) -> Case:
    """bad.jsonl with ``line`` (or what it makes) as its line 2, beside good.jsonl; the rest
    must come through."""
    make = line if callable(line) else lambda: line
    return Case(
        lambda: _with_good("bad.jsonl", _one_bad_line(make())), lambda: GOOD + _docs("b", 2),
        reason, 1, "bad.jsonl:2",
    )


BAD = {
    "corrupt_gzip": Case(
        lambda: _with_good("bad.jsonl.gz", _corrupt_gzip()), lambda: GOOD,
        "corrupt_compressed", 1, "bad.jsonl.gz:1",
    ),
    "corrupt_zstd": Case(
        lambda: _with_good("bad.jsonl.zst", _corrupt_zstd()), lambda: GOOD,
        "corrupt_compressed", 1, "bad.jsonl.zst:1",
    ),
    "truncated_gzip": Case(
        lambda: _with_good("cut.jsonl.gz", _cut(gzip.compress)),
        lambda: GOOD + CUT[: _lines_before_cut(_cut(gzip.compress), "gz")],
        "corrupt_compressed", 1, f"cut.jsonl.gz:{_lines_before_cut(_cut(gzip.compress), 'gz') + 1}",
    ),
    "truncated_zstd": Case(
        lambda: _with_good("cut.jsonl.zst", _cut(zstandard.ZstdCompressor().compress)),
        lambda: GOOD + CUT[: _lines_before_cut(_cut(zstandard.ZstdCompressor().compress), "zst")],
        "corrupt_compressed", 1,
        f"cut.jsonl.zst:{_lines_before_cut(_cut(zstandard.ZstdCompressor().compress), 'zst') + 1}",
    ),
    "not_json": _bad_line(b'{"id": "x", "text": "unfinished', "invalid_json"),
    "invalid_utf8": _bad_line(b'{"id": "x", "text": "caf\xe9"}', "invalid_utf8"),
    "raw_nul_bytes": _bad_line(b'{"id": "x", "text": "a\x00b"}', "nul_bytes"),
    "missing_text": _bad_line(b'{"id": "x", "body": "no text field"}', "missing_text"),
    "text_wrong_type": _bad_line(b'{"id": "x", "text": ["a", "list"]}', "text_not_string"),
    "single_200mb_line": _bad_line(
        lambda: orjson.dumps({"id": "x", "text": "l" * LONG_LINE}), "line_too_long"  # made lazily
    ),
    "schema_differs_between_files": Case(
        lambda: {
            "a.jsonl": _jsonl(_docs("a", 2, meta="a string")),
            "b.jsonl": _jsonl(_docs("b", 2, meta={"an": "object"}) + _docs("n", 1)),
        },
        lambda: _docs("a", 2) + _docs("n", 1),
        "type_conflict", 2, "b.jsonl:1", sink="parquet", tasks=1,
        mentions=("field 'meta' is an object", "a string (string) in earlier records", "a.jsonl:1"),
    ),
    "schema_differs_between_parquet_files": Case(
        lambda: {
            "a.parquet": _parquet(_docs("a", 2, meta="a string")),
            "b.parquet": _parquet(_docs("b", 2, meta={"an": "object"}) + _docs("n", 1)),
        },
        lambda: _docs("a", 2) + _docs("n", 1),
        "type_conflict", 2, "b.parquet: row 1 of the file", reader="parquet", sink="parquet",
        tasks=1, mentions=("a.parquet, row 1",),
    ),
    "duplicate_ids_when_unique": Case(
        lambda: _with_good("bad.jsonl", _jsonl(_docs("d", 2) + [{"id": "d0", "text": "again"}])),
        lambda: GOOD + _docs("d", 2), "duplicate_id", 1, "bad.jsonl:3",
        options={"unique_ids": True},
    ),
    "unreadable_file": Case(
        lambda: _with_good("locked.jsonl", _jsonl(_docs("l", 2))), lambda: GOOD,
        "unreadable_file", 1, "locked.jsonl:",  # no line: the file as a whole
        options={"storage_options": {"faults": Faults(deny_read=("locked",))}},
    ),
    "parquet_broken_footer": Case(
        lambda: {"good.parquet": _parquet(GOOD), "broken.parquet": _broken_footer(_docs("p", 5))},
        lambda: GOOD, "corrupt_parquet", 1, "broken.parquet:", reader="parquet",
    ),
}

VALID = {
    "empty_files": Case(
        lambda: {"empty.jsonl": b"", "empty.jsonl.gz": gzip.compress(b""), "zero.jsonl.gz": b"",
                 "good.jsonl": _jsonl(GOOD)},
        lambda: GOOD,
    ),
    "utf8_bom": Case(lambda: {"bom.jsonl": b"\xef\xbb\xbf" + _jsonl(GOOD)}, lambda: GOOD),
    "crlf_line_ends": Case(
        lambda: {"crlf.jsonl": _jsonl(GOOD).replace(b"\n", b"\r\n")}, lambda: GOOD,
    ),
    "escaped_nul_in_strings": Case(
        lambda: {"nul.jsonl": _jsonl([{"id": "n", "text": "a\x00b"}])},  # orjson writes \u0000
        lambda: [{"id": "n", "text": "a\x00b"}],
    ),
    "duplicate_ids": Case(
        lambda: {"dup.jsonl": _jsonl(_docs("d", 2) + [{"id": "d0", "text": "again"}])},
        lambda: _docs("d", 2) + [{"id": "d0", "text": "again"}],
    ),
}


def _pipeline(case: Case, inputs: str, out: str, on_error: str) -> sf.Pipeline:
    options = dict(case.options)
    storage = options.get("storage_options")
    if storage:  # the fault-injecting file system, in every worker process
        inputs = f"faulty://{inputs}"
    with sf.Pipeline("bad_input") as p:
        if case.reader == "parquet":
            docs = read_parquet(f"{inputs}/*", on_error=on_error, name="read", **options)
        else:
            docs = read_jsonl(f"{inputs}/*", on_error=on_error, name="read", **options)
        if case.sink == "parquet":
            docs >> write_parquet(out, name="write")
        else:
            docs >> write_jsonl(out, compression=None, name="write")
    return p


def _setup(tmp_path, case: Case) -> str:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, data in case.files().items():
        (inputs / name).write_bytes(data)
    return str(inputs)


def _ids_and_texts(rows: list[dict]) -> list[tuple[str, str]]:
    return sorted((r["id"], r["text"]) for r in rows)


def _visible_outputs(out: str) -> list[str]:
    if not os.path.isdir(out):
        return []
    names = sorted(os.listdir(out))
    assert not [n for n in names if n.startswith(".tmp-")], f"temporary files left in {out}: {names}"
    return [os.path.join(out, n) for n in names]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_raises_clearly_or_is_skipped_and_counted(tmp_path, kind, policy):
    case = BAD[kind]
    inputs = _setup(tmp_path, case)
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    p = _pipeline(case, inputs, out, policy)
    if policy == "raise":
        with pytest.raises(sf.RunFailed) as e:
            p.run(workdir=workdir, tasks=case.tasks, workers=1)
        message = str(e.value)
        assert f"{inputs}/{case.where}" in message, message
        assert f"[{case.reason}]" in message
        assert 'on_error="skip"' in message  # what to do
        for words in case.mentions:
            assert words in message, message
        assert "Traceback" not in message and "\n    | " not in message  # no bare traceback
        # Nothing of the failed shard is visible: only whole files of good shards.
        written = _ids_and_texts(read_all(_visible_outputs(out)))
        assert set(written) <= set(_ids_and_texts(case.good())), "a bad shard's rows are visible"
        return
    result = p.run(workdir=workdir, tasks=case.tasks, workers=1)
    stats = result.stats["read"]
    assert dict(stats.dropped) == {case.reason: case.dropped}
    assert _ids_and_texts(read_all(result.outputs["write"])) == _ids_and_texts(case.good())
    assert stats.rows_out == len(case.good())
    assert sorted(result.outputs["write"]) == _visible_outputs(out)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("kind", list(VALID))
def test_odd_but_valid_input_is_read_whole_under_both_policies(tmp_path, kind, policy):
    case = VALID[kind]
    inputs = _setup(tmp_path, case)
    out = str(tmp_path / "out")
    result = _pipeline(case, inputs, out, policy).run(workdir=str(tmp_path / "run"), workers=1)
    stats = result.stats["read"]
    assert dict(stats.dropped) == {}
    rows = read_all(result.outputs["write"])
    assert _ids_and_texts(rows) == _ids_and_texts(case.good())
    assert [r["text"] for r in rows] == [r["text"] for r in case.good()]  # file order kept
    # Repeated ids are no error for a reader, but never silent: they are counted.
    assert stats.counters.get("duplicate_ids", 0) == (1 if kind == "duplicate_ids" else 0)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_glob_that_matches_nothing_fails_at_plan_time_naming_it(tmp_path, policy):
    pattern = str(tmp_path / "in" / "*.jsonl")
    with sf.Pipeline("nothing") as p:
        read_jsonl(pattern, on_error=policy, name="read") >> write_jsonl(str(tmp_path / "out"))
    workdir = tmp_path / "run"
    with pytest.raises(FileNotFoundError) as e:
        p.run(workdir=str(workdir), workers=1)
    assert f"step 'read': Input pattern {pattern!r} matches no file" in str(e.value)
    assert "does not exist" in str(e.value)  # the missing directory is pointed out
    assert not workdir.exists()  # before any task started: no run directory at all


def test_schema_difference_between_shards_is_kept_by_a_row_writer(tmp_path):
    """Each task checks the types of its own shard only: with one file per task, a field
    that is a string in one file and an object in the other reaches a JSON Lines writer as
    it is, and nothing is dropped."""
    case = BAD["schema_differs_between_files"]
    inputs = _setup(tmp_path, case)
    with sf.Pipeline("shards") as p:
        read_jsonl(f"{inputs}/*", name="read") >> write_jsonl(str(tmp_path / "out"), name="write")
    result = p.run(workdir=str(tmp_path / "run"), tasks=2, workers=1)
    assert dict(result.stats["read"].dropped) == {}
    metas = [r.get("meta") for r in read_all(result.outputs["write"])]
    assert metas == ["a string", "a string", {"an": "object"}, {"an": "object"}, None]


def _growth(tmp_path, inputs: str, **options) -> tuple[float, sf.RunResult]:
    """Runs read -> probe -> write over bad.jsonl in a fresh worker; returns how much the
    worker's memory grew during the task, in multiples of the long line, and the result."""
    name = f"long-{len(list(tmp_path.iterdir()))}"
    with sf.Pipeline(name) as p:
        docs = read_jsonl(f"{inputs}/bad.jsonl", name="read", **options)
        docs >> PeakMemory(name="probe") >> write_jsonl(str(tmp_path / name), compression=None, name="write")
    result = p.run(workdir=str(tmp_path / f"{name}-run"), workers=1)
    counters = result.stats["probe"].counters
    return (counters["rss_peak_kb"] - counters["rss_before_kb"]) * 1024 / LONG_LINE, result


def test_a_200mb_line_is_read_within_about_3x_its_size_or_skipped_unread(tmp_path):
    inputs = _setup(tmp_path, BAD["single_200mb_line"])
    grown, result = _growth(tmp_path, inputs, max_line_bytes=256 << 20)
    assert dict(result.stats["read"].dropped) == {}
    rows = read_all(result.outputs["write"])
    assert [len(r["text"]) for r in rows] == [len("b document 0"), LONG_LINE, len("b document 1")]
    # Read, parse, convert to Arrow, serialise: measured 3.2x, from 4.2x before the reader
    # let go of the raw line ahead of the Arrow copy.
    assert grown < 3.5, f"the task grew by {grown:.2f}x the line"
    # Under the default limit the line is skipped as it streams by, never held whole.
    grown, result = _growth(tmp_path, inputs, on_error="skip")
    assert dict(result.stats["read"].dropped) == {"line_too_long": 1}
    assert grown < 0.5, f"the task grew by {grown:.2f}x the line"


@pytest.mark.parametrize("policy", POLICIES)
def test_the_command_line_reports_bad_input_without_a_traceback(tmp_path, policy):
    from click.testing import CliRunner

    from shardflow.cli import main

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "bad.jsonl").write_bytes(_one_bad_line(b"not json"))
    recipe = tmp_path / "r.yaml"
    for pattern, expected in [(f"{inputs}/*.jsonl", f"{inputs}/bad.jsonl:2"),
                              (f"{inputs}/*.parquet", "matches no file")]:
        recipe.write_text(
            "pipeline: cli_bad\nsteps:\n"
            f"  - {{name: docs, use: read_jsonl, args: {{paths: '{pattern}', on_error: {policy}}}}}\n"
            f"  - {{name: out, use: write_jsonl, input: docs, args: {{path: '{tmp_path}/out'}}}}\n"
        )
        got = CliRunner().invoke(main, ["run", str(recipe), "--workdir", str(tmp_path / "run"),
                                        "--workers", "1"])
        if policy == "skip" and pattern.endswith(".jsonl"):
            assert got.exit_code == 0, got.output
            assert "invalid_json" in got.output  # the stats table shows the count by reason
            continue
        assert got.exit_code == 1, got.output
        assert expected in got.output and "Traceback" not in got.output
