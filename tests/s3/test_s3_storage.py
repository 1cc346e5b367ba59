"""The storage protocol on a real S3 server: commit, stale uploads, lock, events, task logs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import orjson
import pyarrow as pa
import pytest

from shardflow.io import JsonlWriter, PendingFile, expand_paths, remove_stale_temps, write_bytes_atomic
from shardflow.io.objectstore import abort_stale_uploads, create_exclusive
from shardflow.io.transient import is_transient_storage_error
from shardflow.run.executor import INFRA, STEP, failure_from
from shardflow.run.lock import LockedError, RunLock
from shardflow.run.rundir import RunDir
from shardflow.run.tasklog import task_log

pytestmark = pytest.mark.timeout(60)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _keys(fs, url):
    return sorted(fs.find(url.removeprefix("s3://")))


def _uploads(fs, url):
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=key + "/").get("Uploads", [])


def test_nothing_reaches_the_store_before_the_commit(s3_server, s3_root, s3fs_client):
    pending = PendingFile(f"{s3_root}/out/00000.jsonl", s3_server.storage_options)
    pending.stream.write(b'{"id": "a"}\n' * 1000)
    assert _keys(s3fs_client, s3_root) == []  # no temporary object, no partial object
    info = pending.commit()
    assert _keys(s3fs_client, s3_root) == [f"{s3_root.removeprefix('s3://')}/out/00000.jsonl"]
    assert s3fs_client.cat_file(info.path) == b'{"id": "a"}\n' * 1000
    assert info.size == 12000 and not os.path.exists(pending.temp_path), "the spool file is removed"

    aborted = PendingFile(f"{s3_root}/out/00001.jsonl", s3_server.storage_options)
    aborted.stream.write(b"partial")
    aborted.abort()
    assert len(_keys(s3fs_client, s3_root)) == 1 and not os.path.exists(aborted.temp_path)


def test_markers_are_one_put_and_overwrite(s3_server, s3_root, s3fs_client):
    write_bytes_atomic(f"{s3_root}/done/00000.json", b"old", s3_server.storage_options)
    write_bytes_atomic(f"{s3_root}/done/00000.json", b"new", s3_server.storage_options)
    assert s3fs_client.cat_file(f"{s3_root}/done/00000.json") == b"new"


def test_a_writer_killed_before_its_commit_leaves_nothing_visible(s3_server, s3_root, s3fs_client):
    script = textwrap.dedent(
        f"""
        import os, signal
        import pyarrow as pa
        from shardflow.io import JsonlWriter
        w = JsonlWriter({s3_root + "/out/00000.jsonl"!r}, storage_options={s3_server.storage_options!r})
        w.write(pa.table({{"id": ["a"], "text": ["x" * 100000]}}))
        print(w._pending.temp_path, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    assert proc.returncode == -9, proc.stderr
    spool = proc.stdout.strip()
    assert os.path.exists(spool), "the dead writer's bytes stayed local"
    assert _keys(s3fs_client, s3_root) == []
    with pytest.raises(FileNotFoundError):
        expand_paths(f"{s3_root}/out", s3_server.storage_options)
    # The next writer in another process sweeps spool files of dead processes.
    sweep = "from shardflow.io.objectstore import spool_path; spool_path('x')"
    subprocess.run([sys.executable, "-c", sweep], check=True, env={**os.environ, "PYTHONPATH": ROOT})
    assert not os.path.exists(spool)


def test_incomplete_multipart_uploads_are_aborted_on_resume(s3_server, s3_root, s3fs_client):
    # What a writer killed in the middle of a large upload leaves: an invisible, billed upload.
    bucket, _, prefix = s3_root.removeprefix("s3://").partition("/")
    for name in ("out/00003.jsonl.gz", "out/00004.jsonl.gz", "elsewhere/00003.jsonl.gz"):
        mpu = s3fs_client.call_s3("create_multipart_upload", Bucket=bucket, Key=f"{prefix}/{name}")
        s3fs_client.call_s3("upload_part", Bucket=bucket, Key=f"{prefix}/{name}", UploadId=mpu["UploadId"], PartNumber=1, Body=b"x" * 100)
    assert len(_uploads(s3fs_client, s3_root)) == 3 and _keys(s3fs_client, s3_root) == []
    assert remove_stale_temps(f"{s3_root}/out", s3_server.storage_options, target_prefix="00003") == 1
    assert sorted(u["Key"] for u in _uploads(s3fs_client, s3_root)) == [f"{prefix}/elsewhere/00003.jsonl.gz", f"{prefix}/out/00004.jsonl.gz"]
    assert remove_stale_temps(f"{s3_root}/out", s3_server.storage_options) == 1
    assert abort_stale_uploads(s3fs_client, s3_root.removeprefix("s3://")) == 1
    assert _uploads(s3fs_client, s3_root) == []


def test_parquet_schema_widening_reads_back_the_spool(s3_server, s3_root):
    from shardflow.io import ParquetWriter, Piece, read_parquet

    path = f"{s3_root}/p.parquet"
    with ParquetWriter(path, row_group_size=1, storage_options=s3_server.storage_options) as w:
        w.write(pa.table({"id": ["1"]}))
        w.write(pa.table({"id": ["2"], "extra": [5]}))  # widens: rewrites what was written
    rows = [r for t in read_parquet(Piece(path), storage_options=s3_server.storage_options) for r in t.to_pylist()]
    assert rows == [{"id": "1", "extra": None}, {"id": "2", "extra": 5}]


def test_the_lock_is_a_conditional_put(s3_server, s3_root, s3fs_client):
    url = f"{s3_root}/lock.json"
    first = RunLock(url, "python first.py", s3_server.storage_options).acquire()
    with pytest.raises(LockedError, match=r"in use by pid .*\(python first.py\)"):
        RunLock(url, "python second.py", s3_server.storage_options).acquire()
    assert not create_exclusive(s3fs_client, url.removeprefix("s3://"), b"{}"), "If-None-Match refused"
    first.release()
    RunLock(url, "python third.py", s3_server.storage_options).acquire().release()
    assert not s3fs_client.exists(url)


def test_a_stale_lock_is_taken_over_by_exactly_one_run(s3_server, s3_root, s3fs_client):
    url = f"{s3_root}/lock.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    s3fs_client.pipe_file(url, orjson.dumps({"host": socket.gethostname(), "pid": dead.pid, "command": "killed"}))
    results, barrier = [], threading.Barrier(4)

    def take(i):
        barrier.wait()
        try:
            results.append(RunLock(url, f"run {i}", s3_server.storage_options).acquire())
        except LockedError as exc:
            results.append(exc)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if isinstance(r, RunLock)]
    assert len(winners) == 1, results  # If-Match on the stale lock's ETag lets one replace it
    assert orjson.loads(s3fs_client.cat_file(url))["command"] == winners[0].command


def test_events_are_segments_read_back_in_order(s3_server, s3_root, s3fs_client, monkeypatch):
    monkeypatch.setattr("shardflow.run.events.SEGMENT_SECONDS", 0.05)
    rundir = RunDir(s3_root + "/run", s3_server.storage_options)
    for i in range(30):
        rundir.append_event("tick", i=i)
        time.sleep(0.005)
    assert [e["i"] for e in rundir.events()] == list(range(30)), "unflushed events are read too"
    rundir.flush_events()
    segments = s3fs_client.ls(f"{s3_root}/run/events", detail=False)
    assert 2 <= len(segments) <= 30
    other = RunDir(s3_root + "/run", s3_server.storage_options)  # e.g. `shardflow status`
    assert [e["i"] for e in other.events()] == list(range(30))
    assert not s3fs_client.exists(f"{s3_root}/run/events.jsonl")


def test_a_task_log_is_uploaded_while_the_task_runs_and_keeps_history(s3_server, s3_root, s3fs_client):
    url = f"{s3_root}/logs/00000.log"
    with task_log(url, s3_server.storage_options, upload_every=0.1) as log:
        log.info("first attempt line")
        print("printed line")
        deadline = time.monotonic() + 10
        while b"printed line" not in (s3fs_client.cat_file(url) if s3fs_client.exists(url) else b""):
            assert time.monotonic() < deadline, "the log was not uploaded while the task ran"
            time.sleep(0.05)
    with task_log(url, s3_server.storage_options, upload_every=60) as log:
        log.info("second attempt line")
    text = s3fs_client.cat_file(url).decode()
    assert text.index("first attempt line") < text.index("printed line") < text.index("second attempt line")


def test_storage_failures_are_infrastructure_failures_but_step_errors_are_not():
    from botocore.exceptions import ClientError, EndpointConnectionError

    from shardflow.run.push import StepError

    def raised(exc, wrap):
        try:
            try:
                raise exc
            except Exception as inner:
                raise StepError("read", "read", inner) from inner if wrap else inner
        except Exception as outer:
            return outer

    down = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    slow = ClientError({"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "PutObject")
    denied = ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetObject")
    assert failure_from(raised(down, True)).kind == INFRA
    assert failure_from(raised(slow, False)).kind == INFRA
    assert failure_from(raised(denied, True)).kind == STEP and failure_from(raised(denied, True)).step == "read"
    assert not is_transient_storage_error(ConnectionError("a step's own web service"))
    assert failure_from(raised(ConnectionError("service"), True)).kind == STEP
