"""Damaged inputs are never read as if complete: WARC files cut in a record's header or
payload, a corrupt gzip member in the middle, and cut .jsonl.gz / .jsonl.zst files each
raise an error naming file, byte offset and record, or are counted once with on_error="skip"
(every complete record before the damage kept)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter

import pyarrow as pa
import pytest
import zstandard

from shardflow.io import BadInputError
from shardflow.steps import read_csv, read_hf_dataset, read_jsonl, read_text_files, read_warc
from tests.steps.test_readers import _save_to_disk, _warc, read_step

# Hex digests compress little, so a cut halfway through a gzip member falls in the payload.
PAGES = [f"<p>page {i} " + " ".join(hashlib.sha256(b"%d-%d" % (i, j)).hexdigest() for j in range(30)) + "</p>"
         for i in range(3)]


def _crawl(path, gzip_it):
    """Three HTML responses; returns (file bytes, where each record starts)."""
    _warc(path, [
        (f"<urn:uuid:{i:04d}>", "response", f"https://x.example/{i}", "text/html", page.encode())
        for i, page in enumerate(PAGES)
    ], gzip_it=gzip_it)
    data = path.read_bytes()
    marker = b"\x1f\x8b\x08" if gzip_it else b"WARC/1.0\r\n"
    starts = [i for i in range(len(data)) if data.startswith(marker, i)]
    assert len(starts) == 3
    return data, starts


def _read_cut(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(BadInputError) as e:
        read_step(read_warc(str(path)))
    rows, stats = read_step(read_warc(str(path), on_error="skip"))
    return str(path), e.value, [r["text"] for r in rows], stats


def test_warc_cut_in_the_header_or_payload_of_its_last_record(tmp_path):
    data, starts = _crawl(tmp_path / "ok.warc", gzip_it=False)
    last = starts[2]
    header_end = data.index(b"\r\n\r\n", last) + 4  # the WARC header, then the HTTP response
    http_end = data.index(b"\r\n\r\n", header_end) + 4
    payload_end = data.rindex(b"</p>") + 4
    cuts = {
        "in 'WARC/'": last + 3,
        "in the WARC header": last + 60,
        "in the Content-Length value": data.index(b"Content-Length: ", last) + 17,
        "before the header's blank line": header_end - 2,
        "in the HTTP header": header_end + 10,
        "at the payload's start": http_end,
        "one byte short": payload_end - 1,
    }
    for where, cut in cuts.items():
        path, error, texts, stats = _read_cut(tmp_path, "cut.warc", data[:cut])
        assert error.reason == "truncated_warc", where
        assert str(error).startswith(f"{path}: the file ends "), where
        assert f"record 3" in str(error) and f"byte {last:,} of the file" in str(error), where
        assert "the 2 records before it were read" in str(error) and "download" in str(error), where
        assert texts == PAGES[:2], where
        assert stats.dropped == Counter({"truncated_warc": 1}), where
    # Only the record separator missing: every record is whole, nothing is lost.
    rows, stats = read_step(read_warc(_write(tmp_path / "sep.warc", data[:payload_end])))
    assert [r["text"] for r in rows] == PAGES and not stats.dropped


def test_warc_gz_cut_in_its_last_gzip_member(tmp_path):
    data, starts = _crawl(tmp_path / "ok.warc.gz", gzip_it=True)
    last = starts[2]
    # Where it is cut: where the error says reading stopped. In the first bytes of a member,
    # zlib may not have given out a byte of record 3 yet.
    header = ("it stopped after record 2 (read in full)", "it stopped in the header of record 3")
    inside = ("it stopped inside record 3 (<urn:uuid:0002>, https://x.example/2), which starts at byte",)
    cuts = {last + 4: header[:1], last + 40: header, (last + len(data)) // 2: inside, len(data) - 30: inside}
    for cut, stopped in cuts.items():
        path, error, texts, stats = _read_cut(tmp_path, "cut.warc.gz", data[:cut])
        assert error.reason == "corrupt_compressed" and error.path == path, cut
        assert f"the file ends at byte {cut}, inside a gzip member" in str(error), cut
        assert f"the gzip member that starts at byte {last} of the file" in str(error), cut
        assert any(words in str(error) for words in stopped), (cut, str(error))
        assert "the 2 records before it were read" in str(error), cut
        assert texts == PAGES[:2], cut
        assert stats.dropped == Counter({"corrupt_compressed": 1}), cut
    # Cut in the gzip trailer (CRC and size): the last page decoded in full is kept, and the
    # file is still reported, as its check sum is lost.
    path, error, texts, stats = _read_cut(tmp_path, "cut.warc.gz", data[:-4])
    assert error.reason == "corrupt_compressed" and "it stopped after record 3 (read in full)" in str(error)
    assert texts == PAGES and stats.dropped == Counter({"corrupt_compressed": 1})


def test_warc_gz_with_a_corrupt_member_in_the_middle(tmp_path):
    data, starts = _crawl(tmp_path / "ok.warc.gz", gzip_it=True)
    damaged = bytearray(data)
    middle = (starts[1] + starts[2]) // 2
    damaged[middle : middle + 4] = b"\xff\x00\xff\x00"
    path, error, texts, stats = _read_cut(tmp_path, "bad.warc.gz", bytes(damaged))
    assert error.reason == "corrupt_compressed"
    assert f"in the gzip member that starts at byte {starts[1]} of the file" in str(error)
    # The member's check sum fails at its end: none of record 2 comes out, the error says so.
    assert "it stopped after record 1 (read in full)" in str(error) and "the 1 records before it were read" in str(error)
    assert texts == PAGES[:1]
    assert stats.dropped == Counter({"corrupt_compressed": 1})


def _write(path, data):
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("ext", [".gz", ".zst"])
def test_jsonl_cut_in_the_compressed_header_payload_or_trailer(tmp_path, ext):
    lines = [json.dumps({"id": f"d{i}", "text": f"document {i} " + "z" * (i % 50)}) + "\n" for i in range(3000)]
    first = 10 if ext == ".gz" else 0  # .gz: ten whole members before the cut one
    head = b"".join(gzip.compress(line.encode()) for line in lines[:first])
    raw = "".join(lines[first:]).encode()
    blob = gzip.compress(raw, mtime=0) if ext == ".gz" else zstandard.ZstdCompressor().compress(raw)
    # Cuts in the last member's / frame's header, in its data, and in its trailer.
    for cut in (5, len(blob) // 3, len(blob) - 3):
        path = _write(tmp_path / f"cut.jsonl{ext}", head + blob[:cut])
        with pytest.raises(BadInputError) as e:
            read_step(read_jsonl(path))
        assert e.value.reason == "corrupt_compressed" and e.value.path == path, cut
        assert f"the file ends at byte {len(head) + cut}" in str(e.value), cut
        rows, stats = read_step(read_jsonl(path, on_error="skip"))
        assert stats.dropped == Counter({"corrupt_compressed": 1}), cut
        ids = [r["id"] for r in rows]
        assert ids == [f"d{i}" for i in range(len(ids))], cut  # a prefix, nothing invented
        assert len(ids) >= first, cut


def test_cut_csv_text_and_hf_files_raise_or_are_counted_once(tmp_path):
    rows = [{"id": f"d{i}", "text": f"text {i} " + hashlib.sha256(b"%d" % i).hexdigest()} for i in range(20_000)]
    body = "id,text\n" + "".join(f"{r['id']},{r['text']}\n" for r in rows)
    blob = gzip.compress(body.encode())
    (tmp_path / "a.csv.gz").write_bytes(blob[: len(blob) // 2])
    blob = gzip.compress(b"one document " * 50_000)
    (tmp_path / "a.txt.gz").write_bytes(blob[: len(blob) // 2])
    _save_to_disk(str(tmp_path / "ds"), [pa.Table.from_pylist(rows)])
    arrow = tmp_path / "ds" / "data-00000-of-00001.arrow"
    arrow.write_bytes(arrow.read_bytes()[: arrow.stat().st_size // 2])
    cases = [
        (read_csv, tmp_path / "a.csv.gz", "corrupt_compressed"),
        (read_text_files, tmp_path / "a.txt.gz", "corrupt_compressed"),
        (read_hf_dataset, tmp_path / "ds", "corrupt_arrow"),
    ]
    for reader, path, reason in cases:
        with pytest.raises(BadInputError) as e:
            read_step(reader(str(path)))
        assert e.value.reason == reason and str(path) in str(e.value) and 'on_error="skip"' in str(e.value), reader
        kept, stats = read_step(reader(str(path), on_error="skip"))
        assert stats.dropped == Counter({reason: 1}), reader
        if reader is read_hf_dataset:  # Arrow batches before the cut are whole: they are kept
            assert 0 < len(kept) < len(rows) and kept == rows[: len(kept)]
        elif reader is read_text_files:
            assert kept == []  # one document per file: a cut file is no document


@pytest.mark.parametrize("gzip_it", [False, True])
def test_warc_cut_anywhere_is_reported_unless_it_falls_between_records(tmp_path, gzip_it):
    name = "ok.warc.gz" if gzip_it else "ok.warc"
    data, starts = _crawl(tmp_path / name, gzip_it=gzip_it)
    # Where a cut loses nothing: at a record's start (gzip: a member's), or, uncompressed, in
    # the blank lines that end a record.
    if gzip_it:
        whole = set(starts)
    else:
        ends = [data.rindex(b"</p>", 0, start) + 4 for start in starts[1:]] + [data.rindex(b"</p>") + 4]
        whole = {c for end in ends for c in range(end, end + 4)}
    for cut in sorted(set(range(1, len(data), 7)) | whole - {0}):
        complete = sum(1 for s in starts[1:] if s <= cut) if gzip_it else sum(1 for e in ends if e <= cut)
        path = _write(tmp_path / ("cut" + name[2:]), data[:cut])
        if cut in whole:
            rows, stats = read_step(read_warc(path))
            assert [r["text"] for r in rows] == PAGES[:complete] and not stats.dropped, cut
            continue
        rows, stats = read_step(read_warc(path, on_error="skip"))
        reason = "corrupt_compressed" if gzip_it else "truncated_warc"
        assert stats.dropped == Counter({reason: 1}), cut
        # gzip: a cut in the last member's trailer keeps the record it holds in full
        kept = len(rows)
        assert [r["text"] for r in rows] == PAGES[:kept] and kept in (complete, complete + gzip_it), cut
