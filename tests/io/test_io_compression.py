"""Compression: inference, round trips, multi-member input, damage detection."""

import gzip
import io

import pytest
import zstandard

from shardflow.io import BadInputError, infer_compression, open_input, open_output


@pytest.mark.parametrize(
    "path, expected",
    [
        ("a.jsonl.gz", "gzip"),
        ("s3://b/A.JSONL.GZ", "gzip"),
        ("a.jsonl.zst", "zstd"),
        ("a.jsonl.zstd", "zstd"),
        ("a.jsonl", None),
        ("a.gzip.jsonl", None),
    ],
)
def test_infer_compression(path, expected):
    assert infer_compression(path) == expected


@pytest.mark.parametrize("compression, ext", [(None, ""), ("gzip", ".gz"), ("zstd", ".zst")])
def test_round_trip_and_raw_stream_left_open(tmp_path, compression, ext):
    data = b"".join(b"line %d\n" % i for i in range(50_000))
    raw = io.BytesIO()
    out = open_output(raw, compression, None)
    out.write(data[:1000])
    out.write(data[1000:])
    out.close()
    assert not raw.closed  # the owner closes it, after the compressor has finished
    path = tmp_path / f"f{ext}"
    path.write_bytes(raw.getvalue())
    with open_input(str(path)) as f:
        assert f.read() == data


def test_gzip_output_is_deterministic_and_nameless():
    def compress():
        raw = io.BytesIO()
        raw.name = "/somewhere/.tmp-random-name.jsonl.gz"  # gzip would store this
        with open_output(raw, "gzip", None) as out:
            out.write(b"hello\n")
        return raw.getvalue()

    first = compress()
    assert first == compress()
    assert b"tmp-random" not in first


def test_unknown_compression_is_rejected():
    with pytest.raises(ValueError, match="brotli"):
        open_output(io.BytesIO(), "brotli", None)


def test_concatenated_gzip_members_and_zstd_frames_read_whole(tmp_path):
    gz = tmp_path / "multi.gz"
    gz.write_bytes(gzip.compress(b"one\n") + gzip.compress(b"two\n"))
    zs = tmp_path / "multi.zst"
    c = zstandard.ZstdCompressor()
    zs.write_bytes(c.compress(b"one\n") + c.compress(b"two\n") + c.compress(b"three\n"))
    with open_input(str(gz)) as f:
        assert f.read() == b"one\ntwo\n"
    with open_input(str(zs)) as f:
        assert f.read() == b"one\ntwo\nthree\n"


@pytest.mark.parametrize("ext", [".gz", ".zst"])
def test_truncated_file_raises_after_returning_the_good_bytes(tmp_path, ext):
    data = b"".join(b"record number %d\n" % i for i in range(200_000))
    raw = io.BytesIO()
    with open_output(raw, "gzip" if ext == ".gz" else "zstd", None) as out:
        out.write(data)
    path = tmp_path / f"cut{ext}"
    path.write_bytes(raw.getvalue()[: len(raw.getvalue()) // 2])
    got = b""
    with open_input(str(path)) as f:
        with pytest.raises(BadInputError) as e:
            while True:
                block = f.read(1 << 16)
                got += block
                assert block, "a truncated file must not end like a complete one"
    assert e.value.reason == "corrupt_compressed"
    assert e.value.path == str(path)
    assert str(path) in str(e.value)
    assert len(got) > len(data) // 4  # what was decodable came through
    assert data.startswith(got)


def test_corrupt_gzip_data_is_reported(tmp_path):
    blob = bytearray(gzip.compress(b"abc\n" * 10_000))
    blob[len(blob) // 2] ^= 0xFF
    blob[len(blob) // 2 + 1] ^= 0xFF
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(blob))
    with open_input(str(path)) as f:
        with pytest.raises(BadInputError, match="corrupt_compressed"):
            f.read()


@pytest.mark.parametrize("ext", [".gz", ".zst"])
def test_bounded_reads_never_return_more_than_asked(tmp_path, ext):
    data = bytes(range(256)) * 20_000
    raw = io.BytesIO()
    with open_output(raw, "gzip" if ext == ".gz" else "zstd", 1) as out:
        out.write(data)
    path = tmp_path / f"f{ext}"
    path.write_bytes(raw.getvalue())
    got = []
    with open_input(str(path)) as f:
        while block := f.read(100_000):
            assert len(block) <= 100_000
            got.append(block)
    assert b"".join(got) == data


def test_gzip_level_is_applied_and_output_is_standard_gzip():
    data = b"".join(b"record %d of a fairly repetitive text\n" % (i * 7919 % 1000) for i in range(20_000))
    sizes = {}
    for level in (1, 9):
        raw = io.BytesIO()
        with open_output(raw, "gzip", level) as out:
            out.write(data)
        assert gzip.decompress(raw.getvalue()) == data  # any gzip reader reads it
        sizes[level] = len(raw.getvalue())
    assert sizes[9] < sizes[1]


def test_zero_padding_after_a_gzip_member_is_skipped(tmp_path):
    # Tape and block devices pad gzip files with zeros; gzip -d and Python's gzip accept it.
    gz = tmp_path / "padded.gz"
    gz.write_bytes(gzip.compress(b"one\n") + b"\0" * 700 + gzip.compress(b"two\n") + b"\0" * 3)
    with open_input(str(gz)) as f:
        assert f.read() == b"one\ntwo\n"
