"""Atomic commit: complete or absent, never partial; stale temporaries cleaned."""

import os
import subprocess
import sys
import textwrap

import fsspec
import pytest

from shardflow.io import (
    PendingFile,
    atomic_write,
    expand_paths,
    remove_stale_temps,
    write_bytes_atomic,
)


def test_atomic_write_commits_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "new" / "dir" / "out.bin"
    with atomic_write(str(target)) as f:
        f.write(b"hello ")
        assert not target.exists()  # nothing visible before the commit
        f.write(b"world")
    assert target.read_bytes() == b"hello world"
    assert os.listdir(target.parent) == ["out.bin"]


def test_exception_leaves_nothing_and_propagates(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(KeyError, match="boom"):
        with atomic_write(str(target)) as f:
            f.write(b"partial data")
            raise KeyError("boom")
    assert os.listdir(tmp_path) == []


def test_failed_rewrite_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.bin"
    write_bytes_atomic(str(target), b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(str(target)) as f:
            f.write(b"new but unfinished")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]
    write_bytes_atomic(str(target), b"new")
    assert target.read_bytes() == b"new"


def test_temporary_is_a_hidden_sibling(tmp_path):
    pending = PendingFile(str(tmp_path / "part-00001.jsonl"))
    name = os.path.basename(pending.temp_path)
    assert os.path.dirname(pending.temp_path) == str(tmp_path)
    assert name.startswith(".tmp-") and name.endswith("-part-00001.jsonl")
    pending.stream.write(b"x")
    info = pending.commit()
    assert info.path == str(tmp_path / "part-00001.jsonl") and info.size == 1
    with pytest.raises(RuntimeError, match="already committed"):
        pending.commit()
    pending.abort()  # harmless once committed
    assert (tmp_path / "part-00001.jsonl").read_bytes() == b"x"


def test_memory_filesystem_commit_and_abort():
    fs = fsspec.filesystem("memory")
    write_bytes_atomic("memory://commit-test/a/b.txt", b"data")
    assert fs.cat("/commit-test/a/b.txt") == b"data"
    with pytest.raises(ValueError):
        with atomic_write("memory://commit-test/a/c.txt") as f:
            f.write(b"partial")
            raise ValueError("stop")
    assert fs.ls("/commit-test/a", detail=False) == ["/commit-test/a/b.txt"]


def test_remove_stale_temps_counts_and_filters(tmp_path):
    (tmp_path / "sub").mkdir()
    stale = [
        tmp_path / ".tmp-0123456789abcdef0123456789abcdef-part-00001.jsonl",
        tmp_path / ".tmp-fedcba9876543210fedcba9876543210-part-00002.jsonl",
        tmp_path / "sub" / ".tmp-00000000000000000000000000000000-part-00001.parquet",
    ]
    for p in stale:
        p.write_bytes(b"partial")
    (tmp_path / "part-00000.jsonl").write_bytes(b"done")
    (tmp_path / ".hidden").write_bytes(b"not ours")
    assert remove_stale_temps(str(tmp_path), target_prefix="part-00001") == 2
    assert stale[1].exists() and not stale[0].exists() and not stale[2].exists()
    assert remove_stale_temps(str(tmp_path)) == 1
    assert sorted(os.listdir(tmp_path)) == [".hidden", "part-00000.jsonl", "sub"]
    assert remove_stale_temps(str(tmp_path / "missing")) == 0


def test_killed_writer_leaves_only_an_invisible_temporary(tmp_path):
    # A real SIGKILL in the middle of a write: no cleanup code runs at all.
    script = textwrap.dedent(
        f"""
        import os, signal
        from shardflow.io import JsonlWriter
        import pyarrow as pa
        w = JsonlWriter({str(tmp_path / "out" / "part-0.jsonl")!r})
        w.write(pa.table({{"id": ["a"], "text": ["x" * 100000]}}))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "part-1.jsonl").write_bytes(b'{"id":"b","text":"y"}\n')
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9, proc.stderr
    names = os.listdir(tmp_path / "out")
    assert "part-0.jsonl" not in names
    assert any(n.startswith(".tmp-") for n in names)
    visible = expand_paths(str(tmp_path / "out"))
    assert [os.path.basename(f.path) for f in visible] == ["part-1.jsonl"]
    assert remove_stale_temps(str(tmp_path / "out")) == 1
    assert os.listdir(tmp_path / "out") == ["part-1.jsonl"]
