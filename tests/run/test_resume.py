"""Resume: a run killed at any moment and rerun gives byte-identical output; done work is kept."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import orjson

import shardflow as sf
from tests.helpers import file_digests, kill_run_when
from tests.run.slow_pipeline import build, output_files

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "run", "slow_pipeline.py")


def _events(workdir):
    with open(os.path.join(workdir, "events.jsonl"), "rb") as f:
        return [orjson.loads(line) for line in f]


def _markers(workdir):
    found = []
    for dirpath, _, names in os.walk(os.path.join(workdir, "stages")):
        if dirpath.endswith("done"):
            found += [os.path.join(dirpath, n) for n in names if not n.startswith(".")]
    return found


def _task_of(marker_path):
    """stages/<stage>-<key>/done/<shard>.json -> "<stage>/<shard>"."""
    stage_dir = os.path.basename(os.path.dirname(os.path.dirname(marker_path)))
    return f"{stage_dir.rsplit('-', 1)[0]}/{os.path.basename(marker_path)[:-5]}"


def _since_last_start(events):
    last = max(i for i, e in enumerate(events) if e["event"] == "run_start")
    return events[last:]


def test_sigkill_of_the_whole_run_then_rerun_is_byte_identical(inputs, reference, tmp_path):
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    env = {**os.environ, "SHARDFLOW_TEST_SLOW": "0.15", "PYTHONPATH": ROOT}
    kill_run_when([sys.executable, SCRIPT, inputs, out, workdir, "6", "2"], env, lambda: len(_markers(workdir)) >= 3)
    # what was complete at the kill: the markers (events may lag behind them under load)
    done_before = {_task_of(m) for m in _markers(workdir)}
    total_tasks = 6 * 3
    assert 3 <= len(done_before) < total_tasks, "the kill must land mid-run"

    # the stale lock of the killed run is taken over; completed tasks are not redone
    result = build(inputs, out).run(workdir=workdir, tasks=6, workers=2)
    assert file_digests(output_files(result.outputs), out) == reference
    second = _since_last_start(_events(workdir))
    reused = {e["task"] for e in second if e["event"] == "task_reused"}
    started = {e["task"] for e in second if e["event"] == "task_start"}
    assert done_before <= reused
    assert not (started & done_before), "completed tasks must not run again"
    assert result.reused == len(reused) and result.ran == total_tasks - len(reused)


def test_killed_worker_is_retried_and_output_is_identical(inputs, reference, tmp_path, monkeypatch):
    monkeypatch.setenv("SHARDFLOW_TEST_SLOW", "0.1")
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    executor = sf.LocalExecutor(workers=2)
    killed = []

    def killer():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(os.path.join(workdir, "events.jsonl")) and any(
                e["event"] == "task_start" for e in _events(workdir)
            ):
                time.sleep(0.3)  # mid-task
                pid = executor.worker_pids()[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer)
    thread.start()
    result = build(inputs, out).run(workdir=workdir, executor=executor, tasks=6)
    thread.join()
    assert killed
    failures = [e for e in _events(workdir) if e["event"] == "task_failed"]
    assert failures and failures[0]["kind"] == "infra" and "killed by signal 9" in failures[0]["message"]
    assert file_digests(output_files(result.outputs), out) == reference


def test_rerun_of_a_finished_run_does_nothing(inputs, tmp_path):
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    first = build(inputs, out).run(workdir=workdir, tasks=4, workers=2)
    again = build(inputs, out).run(workdir=workdir, tasks=4, workers=2)
    assert again.ran == 0 and again.reused == first.ran
    assert again.stats.to_dict() == first.stats.to_dict(), "stats are merged from the markers"


def test_a_damaged_output_is_recomputed(inputs, tmp_path):
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    first = build(inputs, out).run(workdir=workdir, tasks=4, workers=2)
    victim = first.outputs["a"][1]
    with open(victim, "ab") as f:
        f.write(b"garbage")
    again = build(inputs, out).run(workdir=workdir, tasks=4, workers=2)
    assert again.ran == 1
    assert file_digests([victim], out) == file_digests([first.outputs["a"][1]], out)
    assert b"garbage" not in open(victim, "rb").read()[-7:]


def test_a_torn_marker_reruns_its_task_only(inputs, reference, tmp_path):
    # Markers are written without fsync (their outputs are durable already): after a power
    # cut one may come back empty or cut short. Such a marker must count as absent.
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    build(inputs, out).run(workdir=workdir, tasks=6, workers=2)
    markers = sorted(_markers(workdir))
    with open(markers[0], "wb"):
        pass  # empty
    with open(markers[1], "r+b") as f:
        f.truncate(os.path.getsize(markers[1]) // 2)  # cut short
    again = build(inputs, out).run(workdir=workdir, tasks=6, workers=2)
    assert again.ran == 2 and again.reused == len(markers) - 2
    assert file_digests(output_files(again.outputs), out) == reference
    assert all(orjson.loads(open(m, "rb").read())["outputs"] is not None for m in markers[:2])
