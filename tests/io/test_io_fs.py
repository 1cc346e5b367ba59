"""expand_paths and filesystem: what counts as input, in which order, and the errors."""

import os

import fsspec
import pytest

from shardflow.io import FileInfo, expand_paths, filesystem, full_path


def _touch(path, data=b"x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


@pytest.fixture
def tree(tmp_path):
    for rel, data in {
        "b.jsonl": b"bb",
        "a.jsonl": b"a",
        "sub/c.jsonl": b"ccc",
        "sub/deep/d.jsonl.gz": b"dddd",
        ".hidden.jsonl": b"h",
        ".tmp-0123-e.jsonl": b"partial",
        "sub/.tmp-4567-f.jsonl": b"partial",
        ".cache/g.jsonl": b"g",
    }.items():
        _touch(str(tmp_path / rel), data)
    return tmp_path


def test_directory_is_all_visible_files_recursively_sorted(tree):
    got = expand_paths(str(tree))
    assert [os.path.relpath(f.path, tree) for f in got] == [
        "a.jsonl",
        "b.jsonl",
        "sub/c.jsonl",
        "sub/deep/d.jsonl.gz",
    ]
    assert [f.size for f in got] == [1, 2, 3, 4]
    assert all(os.path.isabs(f.path) for f in got)


def test_glob_skips_temporaries_and_hidden_files(tree):
    got = expand_paths(str(tree / "*.jsonl"))
    assert [os.path.basename(f.path) for f in got] == ["a.jsonl", "b.jsonl"]
    got = expand_paths(str(tree / "**" / "*.jsonl*"))
    assert [os.path.relpath(f.path, tree) for f in got] == [
        "a.jsonl",
        "b.jsonl",
        "sub/c.jsonl",
        "sub/deep/d.jsonl.gz",
    ]


def test_glob_matching_directories_expands_visible_ones(tree):
    got = expand_paths(str(tree / "*"))  # matches sub/ and .cache/ too
    assert [os.path.relpath(f.path, tree) for f in got] == [
        "a.jsonl",
        "b.jsonl",
        "sub/c.jsonl",
        "sub/deep/d.jsonl.gz",
    ]


def test_pattern_naming_hidden_files_gets_them_but_never_temporaries(tree):
    got = expand_paths(str(tree / ".*.jsonl"))
    assert [os.path.basename(f.path) for f in got] == [".hidden.jsonl"]


def test_explicit_file_and_overlapping_patterns_deduplicated(tree):
    got = expand_paths([str(tree / "sub"), str(tree / "b.jsonl"), str(tree / "*.jsonl")])
    names = [os.path.relpath(f.path, tree) for f in got]
    assert names == ["a.jsonl", "b.jsonl", "sub/c.jsonl", "sub/deep/d.jsonl.gz"]


def test_relative_paths_become_absolute(tree, monkeypatch):
    monkeypatch.chdir(tree)
    got = expand_paths("sub/*.jsonl")
    assert got == [FileInfo(str(tree / "sub" / "c.jsonl"), 3)]


def test_glob_matching_nothing_names_the_pattern(tree):
    pattern = str(tree / "*.parquet")
    with pytest.raises(FileNotFoundError) as e:
        expand_paths(pattern)
    assert pattern in str(e.value)
    assert "matches no file" in str(e.value)


def test_missing_directory_is_named(tmp_path):
    pattern = str(tmp_path / "nope" / "*.jsonl")
    with pytest.raises(FileNotFoundError, match="does not exist") as e:
        expand_paths(pattern)
    assert pattern in str(e.value)


def test_one_bad_pattern_among_good_ones_fails(tree):
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        expand_paths([str(tree / "a.jsonl"), str(tree / "missing.jsonl")])


def test_directory_with_only_hidden_files_is_an_error(tmp_path):
    _touch(str(tmp_path / "d" / ".tmp-1-x.jsonl"))
    with pytest.raises(FileNotFoundError, match="no visible files"):
        expand_paths(str(tmp_path / "d"))


def test_no_patterns_is_an_error():
    with pytest.raises(FileNotFoundError):
        expand_paths([])


def test_memory_filesystem_paths_keep_their_protocol():
    mem = fsspec.filesystem("memory")
    mem.pipe("/fsio/x/2.jsonl", b"22")
    mem.pipe("/fsio/x/1.jsonl", b"1")
    got = expand_paths("memory://fsio/x")
    assert got == [
        FileInfo("memory:///fsio/x/1.jsonl", 1),
        FileInfo("memory:///fsio/x/2.jsonl", 2),
    ]
    fs, path = filesystem(got[0].path)
    assert fs.cat(path) == b"1"
    assert full_path(fs, path) == got[0].path
