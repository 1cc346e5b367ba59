"""Storage faults: a write that fails (a full disk, simulated by a file system that raises
ENOSPC) fails its task with a message naming the file; nothing partial becomes visible;
and once the disk has room again, rerunning the same command finishes the job with the
output of a run that never failed, reusing the tasks that had completed.
"""

from __future__ import annotations

import os

import orjson
import pytest

import shardflow as sf
from shardflow.steps import map_rows, read_jsonl, write_jsonl
from tests.conformance.pipelines import make_docs
from tests.helpers import file_digests, read_all
from tests.reliability.faultfs import Faults, local

TASKS = 3


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    docs = []
    for f in range(TASKS):
        part = make_docs(200, seed=f, prefix=f"s{f}")
        docs += part
        (root / f"part-{f}.jsonl").write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in part))
    return str(root), docs


def _add_length(d: dict) -> dict:
    return {**d, "n_chars": len(d["text"])}


def _build(inputs: str, out: str, faults: Faults, compression: str | None) -> sf.Pipeline:
    """Read, then a branch point (its output is checkpointed in the run directory), then
    two sinks on the fault-injecting file system."""
    storage = {"faults": faults}
    with sf.Pipeline("faults") as p:
        docs = read_jsonl(f"{inputs}/*.jsonl", name="read") >> map_rows(_add_length, name="measure")
        docs >> write_jsonl(f"faulty://{out}/a", compression=compression, storage_options=storage, name="a")
        docs >> write_jsonl(f"faulty://{out}/b", compression=compression, storage_options=storage, name="b")
    return p


def _all_files(root: str) -> list[str]:
    found = []
    for dirpath, _, names in os.walk(root):
        found += [os.path.join(dirpath, n) for n in names]
    return sorted(found)


def _events(workdir: str) -> list[dict]:
    with open(os.path.join(local(workdir), "events.jsonl"), "rb") as f:
        return [orjson.loads(line) for line in f]


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    """The output of a run on a disk that never fills."""
    base = tmp_path_factory.mktemp("reference")
    out = str(base / "out")
    _build(inputs[0], out, Faults(), "gzip").run(workdir=str(base / "run"), tasks=TASKS, workers=1)
    return file_digests(_all_files(out), out)


# Uncompressed, the disk refuses the first rows; gzip, already the header, as the file opens.
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_a_full_disk_fails_the_task_shows_nothing_partial_and_a_rerun_finishes(
    inputs, reference, tmp_path, compression
):
    flag = tmp_path / "disk-is-full"
    flag.touch()
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    faults = Faults(disk_full_while=str(flag), disk_full_for=("b/00001",))  # one shard's file
    pipeline = _build(inputs[0], out, faults, compression)
    with pytest.raises(sf.RunFailed) as e:
        pipeline.run(workdir=workdir, tasks=TASKS, workers=1)
    message = str(e.value)
    assert "[Errno 28] No space left on device while writing faulty://" in message
    assert f"{out}/b/00001.jsonl" in message and "nothing of the file was committed" in message
    assert "Fix the cause, then resume with" in message
    # Nothing partial: no temporary file is left, and the failed task wrote no visible file.
    files = _all_files(out)
    assert not [f for f in files if os.path.basename(f).startswith(".tmp-")], files
    assert not [f for f in files if "/b/00001" in f], files
    assert list(e.value.result.failures) == ["b/00001"]  # only the task that wrote there

    flag.unlink()  # the disk has room again
    result = pipeline.run(workdir=workdir, tasks=TASKS, workers=1)
    assert result.ok
    assert result.reused > 0 and result.ran >= 1  # completed tasks were kept, not redone
    got = file_digests(_all_files(out), out)
    if compression == "gzip":
        assert got == reference  # byte for byte what a run without the fault wrote
    rows = read_all([local(f) for f in result.outputs["b"]])
    assert sorted(r["id"] for r in rows) == sorted(d["id"] for d in inputs[1])
    assert len(rows) == len(inputs[1])
    starts = [ev for ev in _events(workdir) if ev["event"] == "task_start" and ev["task"] == "b/00001"]
    assert len(starts) == 2  # failed once, then ran once more after the fault was gone


def test_a_full_disk_under_the_run_directory_loses_no_checkpoint(inputs, reference, tmp_path, monkeypatch):
    """The checkpoint that feeds the branches is written to the run directory; when that
    write fails the task fails, no partial checkpoint is trusted, and the rerun recomputes
    it."""
    # Task logs are written with the local os module, so a workdir URL lands them under
    # "faulty:/..." relative to the working directory (of the workers too): keep that here.
    monkeypatch.chdir(tmp_path)
    flag = tmp_path / "disk-is-full"
    flag.touch()
    out = str(tmp_path / "out")
    faults = Faults(disk_full_while=str(flag), disk_full_for=("/data/",))
    workdir = f"faulty://{tmp_path}/run"
    pipeline = _build(inputs[0], out, Faults(), "gzip")
    with pytest.raises(sf.RunFailed) as e:
        pipeline.run(workdir=workdir, tasks=TASKS, workers=1, storage_options={"faults": faults})
    assert "No space left on device while writing faulty://" in str(e.value)
    run_files = _all_files(str(tmp_path / "run"))
    assert not [f for f in run_files if os.path.basename(f).startswith(".tmp-")], run_files
    assert not [f for f in run_files if "/data/" in f], run_files  # no checkpoint at all
    assert not [f for f in run_files if "/done/" in f], run_files  # and no marker

    flag.unlink()
    result = pipeline.run(workdir=workdir, tasks=TASKS, workers=1, storage_options={"faults": faults})
    assert result.ok
    assert file_digests(_all_files(out), out) == reference
