"""plan_shards and the byte-range rule: balanced, ordered, every line exactly once."""

import gzip
import io
import random

import orjson
import pytest

from shardflow.io import FileInfo, Piece, expand_paths, plan_shards, read_jsonl
from shardflow.io.lines import owned_lines


def _jsonl(path):
    return path.endswith(".jsonl")


def _files(*sizes, ext=".jsonl"):
    return [FileInfo(f"/d/{i:03d}{ext}", s) for i, s in enumerate(sizes)]


def _covered(shards):
    """(path, start, end) of every piece, in shard order."""
    return [(p.path, p.start, p.end) for s in shards for p in s.pieces]


def test_no_files_no_shards_and_n_must_be_positive():
    assert plan_shards([], 4, _jsonl) == []
    with pytest.raises(ValueError, match="at least 1"):
        plan_shards(_files(1), 0, _jsonl)


def test_many_files_are_grouped_whole_in_order():
    files = _files(*[10] * 8)
    shards = plan_shards(files, 3, _jsonl)
    assert [s.index for s in shards] == [0, 1, 2]
    assert _covered(shards) == [(f.path, 0, None) for f in files]
    assert sorted(s.nbytes for s in shards) == [20, 30, 30]


def test_one_huge_file_still_gives_n_shards():
    shards = plan_shards(_files(100, 1, 1, 1), 4, _jsonl)
    assert [s.nbytes for s in shards] == [100, 1, 1, 1]


def test_result_length_is_min_of_n_and_files_and_no_shard_is_empty():
    shards = plan_shards(_files(5, 5, ext=".jsonl.gz"), 10, _jsonl)
    assert len(shards) == 2
    assert all(s.pieces for s in shards)


def test_zero_byte_files_belong_to_a_shard():
    files = _files(0, 0, 0)
    shards = plan_shards(files, 2, _jsonl)
    assert len(shards) == 2 and all(s.pieces for s in shards)
    assert [p for p, _, _ in _covered(shards)] == [f.path for f in files]
    one = plan_shards(_files(0), 4, _jsonl)
    assert len(one) == 1 and one[0].pieces == (Piece("/d/000.jsonl"),)


def test_a_single_splittable_file_is_cut_into_equal_ranges():
    shards = plan_shards(_files(1000), 4, _jsonl)
    assert [s.nbytes for s in shards] == [250, 250, 250, 250]
    assert _covered(shards) == [
        ("/d/000.jsonl", 0, 250),
        ("/d/000.jsonl", 250, 500),
        ("/d/000.jsonl", 500, 750),
        ("/d/000.jsonl", 750, None),
    ]


def test_compressed_files_are_never_split_but_their_neighbours_are():
    files = [FileInfo("/d/a.jsonl.gz", 100), FileInfo("/d/b.jsonl", 100)]
    shards = plan_shards(files, 4, _jsonl)
    assert shards[0].pieces == (Piece("/d/a.jsonl.gz"),)
    assert len(shards) == 4
    rest = [p for s in shards[1:] for p in s.pieces]
    assert all(p.path == "/d/b.jsonl" for p in rest)
    # The ranges of b tile it: consecutive, from 0 to the end.
    assert rest[0].start == 0 and rest[-1].end is None
    assert all(a.end == b.start for a, b in zip(rest, rest[1:]))


def test_min_piece_bytes_limits_splitting():
    assert len(plan_shards(_files(1000), 8, _jsonl, min_piece_bytes=400)) == 2


def test_random_plans_are_deterministic_ordered_complete_and_balanced():
    rng = random.Random(7)
    for _ in range(300):
        count = rng.randint(1, 30)
        sizes = [rng.choice([0, 1, 10, 1000, rng.randint(0, 10**6)]) for _ in range(count)]
        exts = [rng.choice([".jsonl", ".jsonl.gz"]) for _ in sizes]
        files = [FileInfo(f"/d/{i:03d}{e}", s) for i, (s, e) in enumerate(zip(sizes, exts))]
        n = rng.randint(1, 40)
        shards = plan_shards(files, n, _jsonl)
        assert shards == plan_shards(files, n, _jsonl)
        assert 1 <= len(shards) <= n and all(s.pieces for s in shards)
        if len(files) >= n:
            assert len(shards) == n
        # Every byte of every file, once, in order.
        flat = [p for s in shards for p in s.pieces]
        assert [p.path for p in flat if p.start == 0] == [f.path for f in files]
        by_file = {}
        for p in flat:
            by_file.setdefault(p.path, []).append(p)
        for f in files:
            ps = by_file[f.path]
            assert ps[0].start == 0 and ps[-1].end is None
            assert all(a.end == b.start for a, b in zip(ps, ps[1:]))
            if not _jsonl(f.path):
                assert ps == [Piece(f.path)]
        assert sum(s.nbytes for s in shards) == sum(sizes)
        # Balance: no shard exceeds its fair share by more than the largest unsplit unit.
        whole = max([f.size for f in files if len(files) >= n or not _jsonl(f.path)] + [0])
        grain = sum(sizes) / (n * 4) + 1
        assert max(s.nbytes for s in shards) <= sum(sizes) / len(shards) + max(whole, grain)


def _lines_file(rng, n_lines):
    """Random JSONL bytes: short, long, empty and blank lines, LF or CRLF, maybe no final
    newline. Returns the bytes and the texts of the records, in order."""
    out, texts = [], []
    for i in range(n_lines):
        if rng.random() < 0.1:
            out.append(rng.choice([b"", b"  ", b"\r"]))
            continue
        text = "x" * rng.choice([0, 1, 3, 20, 200, 5000]) + str(i)
        texts.append(text)
        out.append(orjson.dumps({"text": text}) + (b"\r" if rng.random() < 0.2 else b""))
    data = b"\n".join(out)
    if out and rng.random() < 0.7:
        data += b"\n"
    return data, texts


def test_owned_lines_of_any_tiling_read_each_line_once():
    rng = random.Random(42)
    for _ in range(400):
        data, _ = _lines_file(rng, rng.randint(0, 40))
        expected = data.split(b"\n")
        if expected and expected[-1] == b"":
            expected.pop()  # a final newline ends the last line; it starts no new one
        # Random cut points strictly inside the file tile it into ranges.
        cuts = sorted(rng.sample(range(1, len(data)), min(rng.randint(0, 6), max(len(data) - 1, 0))))
        bounds = [0, *cuts, None]
        block = rng.choice([1, 2, 3, 7, 64, 1 << 20])
        got = []
        for start, end in zip(bounds, bounds[1:]):
            for lines in owned_lines(io.BytesIO(data), start, end, block_size=block):
                assert lines
                got.extend(lines)
        assert got == expected, (bounds, block)


def test_planned_pieces_read_every_record_once_with_true_line_numbers(tmp_path):
    rng = random.Random(2024)
    for trial in range(25):
        d = tmp_path / f"t{trial}"
        d.mkdir()
        all_texts, all_ids = [], []
        for f in range(rng.randint(1, 4)):
            data, texts = _lines_file(rng, rng.randint(0, 60))
            name = f"f{f}.jsonl" + (".gz" if rng.random() < 0.3 else "")
            (d / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
            all_texts += texts
            # Expected generated ids: the 1-based line number of each record.
            raw_lines = data.split(b"\n")
            all_ids += [f"{name}:{i + 1}" for i, line in enumerate(raw_lines) if line.strip()]
        n = rng.randint(1, 12)
        shards = plan_shards(expand_paths(str(d)), n, _jsonl)
        got = [
            row
            for s in shards
            for p in s.pieces
            for t in read_jsonl(p, batch_size=rng.randint(1, 20))
            for row in t.to_pylist()
        ]
        assert [r["text"] for r in got] == all_texts
        assert [r["id"] for r in got] == all_ids
