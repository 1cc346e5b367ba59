"""The event log command, ``shardflow status``, and failure messages that end with the resume command."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner

from shardflow.cli import main
from tests.report.pipelines import write_docs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """A run whose ``flaky`` branch fails on shard 1; returns (workdir, argv, stderr)."""
    tmp = tmp_path_factory.mktemp("failed")
    write_docs(str(tmp / "in"))
    argv = [sys.executable, os.path.join(HERE, "pipelines.py"), str(tmp / "in"), str(tmp / "out"), str(tmp / "wd"), "1"]
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    return str(tmp / "wd"), argv, proc.stderr


def _events(workdir: str, *args: str) -> list[dict]:
    res = CliRunner().invoke(main, ["events", workdir, "--json", *args])
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in res.output.splitlines()]


def test_failure_message_ends_with_the_exact_resume_command(failed_run):
    _, argv, stderr = failed_run
    lines = stderr.rstrip().splitlines()
    assert "flaky/00001 (step): step 'flaky' failed in process: ValueError: bad document f1-0000" in stderr
    assert lines[-2].endswith("resume with:")
    assert lines[-1].strip() == shlex.join(["python", *argv[1:]])


def test_events_filter_by_stage_kind_and_failures(failed_run):
    workdir, _, _ = failed_run
    every = _events(workdir)
    assert all({"t", "event", "host", "pid"} <= set(e) for e in every)
    flaky = _events(workdir, "--stage", "flaky")
    assert flaky and all(e.get("stage") == "flaky" or e.get("task", "").startswith("flaky/") for e in flaky)
    assert {e["event"] for e in flaky} >= {"stage_start", "task_start", "task_done", "task_failed", "stage_failed"}
    stages = _events(workdir, "--kind", "stage")
    assert {e["event"] for e in stages} == {"stage_start", "stage_done", "stage_failed"}
    done = [e for e in stages if e["event"] == "stage_done"]
    assert sorted(e["stage"] for e in done) == ["count", "long", "read_jsonl"]
    assert all(e["seconds"] > 0 for e in done)
    branches = _events(workdir, "--kind", "branch")
    assert {e["branch"] for e in branches} == {"long", "count", "flaky"}  # the source stage is on no branch
    failures = _events(workdir, "--failures")
    assert [e["event"] for e in failures] == ["task_failed", "stage_failed", "run_end"]
    failed = failures[0]
    assert failed["task"] == "flaky/00001" and failed["step"] == "flaky"
    # A real duration: from the driver's submission to the failure report.
    assert failed["seconds"] > 0
    assert failures[-1]["status"] == "failed"
    task_done = [e for e in every if e["event"] == "task_done"]
    assert all(e["bytes_in"] > 0 for e in task_done)
    text = CliRunner().invoke(main, ["events", workdir, "--failures"]).output
    assert "ValueError: bad document f1-0000" in text  # the end of the task's log
    bad = CliRunner().invoke(main, ["events", workdir, "--kind", "nonsense"])
    assert bad.exit_code == 2 and "unknown event kind 'nonsense'" in bad.output


def test_status_says_what_is_left_and_how_to_resume(failed_run):
    workdir, argv, _ = failed_run
    res = CliRunner().invoke(main, ["status", workdir], terminal_width=200)
    assert res.exit_code == 0, res.output
    out = res.output
    assert "1 of 16 tasks are not done: 1 failed, 0 not run yet." in out
    assert "  flaky: 1 left (1 failed)" in out
    assert "flaky/00001 (step): step 'flaky' failed in process: ValueError: bad document f1-0000" in out
    assert out.rstrip().splitlines()[-1].strip() == shlex.join(["python", *argv[1:]])
