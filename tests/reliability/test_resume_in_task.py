"""Resume inside a task, checksums of committed files, and per-task time limits."""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time

import orjson
import pytest

import shardflow as sf
from shardflow.steps import filter_rows, map_batches, read_jsonl, write_jsonl
from tests.conformance.pipelines import make_docs
from tests.helpers import file_digests, read_all
from tests.reliability.parts_pipeline import build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "reliability", "parts_pipeline.py")
PART = 100


@pytest.fixture(scope="module")
def one_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "docs.jsonl.gz"
    import gzip

    with gzip.open(path, "wt") as f:
        for d in make_docs(1000, seed=5, prefix="p"):
            f.write(json.dumps(d) + "\n")
    return str(path)


def _progress(workdir):
    found = glob.glob(os.path.join(workdir, "stages", "*", "progress", "*.json"))
    if not found:
        return None
    try:
        return orjson.loads(open(found[0], "rb").read())
    except (orjson.JSONDecodeError, FileNotFoundError):
        return None


@pytest.mark.timeout(120)
def test_a_killed_task_resumes_from_its_last_part_and_redoes_at_most_one(one_file, tmp_path, monkeypatch):
    reference = build(one_file, str(tmp_path / "ref")).run(
        workdir=str(tmp_path / "ref-run"), tasks=1, workers=1, part_rows=PART)
    want = file_digests(reference.outputs["w"], str(tmp_path / "ref"))
    assert len(reference.outputs["w"]) == 10, "1000 rows in parts of 100: ten files"

    out, workdir, log1 = str(tmp_path / "out"), str(tmp_path / "run"), str(tmp_path / "attempt1.log")
    env = {**os.environ, "SHARDFLOW_TEST_SLOW": "0.05", "PYTHONPATH": ROOT, "SHARDFLOW_TEST_LOG": log1}
    proc = subprocess.Popen([sys.executable, SCRIPT, one_file, out, workdir, str(PART)], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while (_progress(workdir) or {}).get("part", 0) < 4:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.12)  # somewhere inside the next part
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    committed = _progress(workdir)["rows"]
    processed_before_kill = sum(int(n) for n in open(log1).read().split())
    assert committed >= 400
    assert processed_before_kill - committed < PART, "the kill lost less than one part of work"

    log2 = str(tmp_path / "attempt2.log")
    monkeypatch.setenv("SHARDFLOW_TEST_LOG", log2)
    result = build(one_file, out).run(workdir=workdir, tasks=1, workers=1, part_rows=PART)
    assert file_digests(result.outputs["w"], out) == want, "same files, same bytes as uninterrupted"
    redone = sum(int(n) for n in open(log2).read().split())
    assert redone == 1000 - committed, "the rerun starts right after the last committed part"
    assert result.stats["read_jsonl"].counters["resume_skipped_rows"] == committed
    assert result.stats["work"].rows_in == 1000 and result.stats["w"].rows_out == 1000
    assert [r["id"] for r in read_all(result.outputs["w"])] == [f"p-{i:04d}" for i in range(1000)]
    assert _progress(workdir) is None, "the marker replaces the progress record"


def test_a_damaged_output_of_the_same_size_is_caught_by_checksums(one_file, tmp_path):
    def run(verify):
        with sf.Pipeline("crc") as p:
            read_jsonl(one_file) >> filter_rows(lambda d: True) >> write_jsonl(str(tmp_path / "o"), name="w")
        return p.run(workdir=str(tmp_path / "run"), tasks=1, workers=1, verify=verify)

    first = run("size")
    path = first.outputs["w"][0]
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF  # same size, one flipped byte
    open(path, "wb").write(bytes(data))
    assert run("size").ran == 0, "a size check cannot see it (documented)"
    again = run("checksum")
    assert again.ran == 1
    events = [orjson.loads(line) for line in open(tmp_path / "run" / "events.jsonl", "rb")]
    damaged = [e for e in events if e["event"] == "output_damaged"]
    assert damaged and damaged[0]["path"] == path and damaged[0]["problem"].startswith("crc32")
    assert len(read_all([path])) == 1000


def test_a_task_over_its_time_limit_is_stopped_and_retried(one_file, tmp_path):
    first_attempt = tmp_path / "first"

    def slow_once(table):
        if not first_attempt.exists():
            first_attempt.touch()
            time.sleep(30)
        return table

    with sf.Pipeline("timeout") as p:
        read_jsonl(one_file) >> map_batches(slow_once, name="slow", time=1.5) >> write_jsonl(str(tmp_path / "o"), name="w")
    t0 = time.monotonic()
    result = p.run(workdir=str(tmp_path / "run"), tasks=1, workers=1)
    assert time.monotonic() - t0 < 25, "the stuck attempt was stopped, not waited for"
    assert len(read_all(result.outputs["w"])) == 1000
    events = [orjson.loads(line) for line in open(tmp_path / "run" / "events.jsonl", "rb")]
    failed = [e for e in events if e["event"] == "task_failed"]
    assert [e["kind"] for e in failed] == ["timeout"] and "time limit of 1.5 s" in failed[0]["message"]


def test_executor_time_limit_fails_the_run_after_retries(one_file, tmp_path):
    with sf.Pipeline("stuck") as p:
        read_jsonl(one_file) >> map_batches(lambda t: time.sleep(30) or t, name="stuck") >> write_jsonl(str(tmp_path / "o"))
    with pytest.raises(sf.RunFailed, match="ran past its time limit of 1 s"):
        p.run(workdir=str(tmp_path / "run"), executor=sf.LocalExecutor(workers=1, time=1), tasks=1, max_retries=1)
