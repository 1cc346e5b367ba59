"""Progress output: its numbers (with a fake clock), and how it looks on a terminal and off one."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys

from shardflow.plan import TaskId
from shardflow.report.progress import LiveProgress, LogProgress, make_progress
from shardflow.run.rundir import Marker
from tests.report.pipelines import build, write_docs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _marker(stage: str, shard: int, stats: dict, bytes_in: int) -> Marker:
    return Marker(TaskId(stage, shard), outputs={}, side={}, stats=stats, seconds=1.0,
                  data={"bytes_in": bytes_in, "bytes_out": 0})


def test_rates_and_eta_come_from_this_runs_work(tmp_path):
    write_docs(str(tmp_path / "in"))
    plan = build(str(tmp_path / "in"), str(tmp_path / "out")).plan()
    clock, out = Clock(), io.StringIO()
    progress = LogProgress(out, interval=3600, clock=clock)
    # Shard 0 of the source stage was done by an earlier run: done, but not speed.
    progress.on_run_start(plan, {TaskId("read_jsonl", 0): _marker("read_jsonl", 0, {}, 0)})
    progress.on_task_start(TaskId("read_jsonl", 1), 1)
    progress.on_task_start(TaskId("read_jsonl", 2), 1)
    clock.now = 110.0
    progress.on_task_done(TaskId("read_jsonl", 1), _marker("read_jsonl", 1, {"read_jsonl": {"rows_out": 5000}}, 2_000_000))
    src = progress.stages["read_jsonl"]
    assert (src.done, src.reused, src.running) == (2, 1, 1)
    assert src.rates(clock.now) == (500.0, 200_000.0)  # 5000 rows, 2 MB in 10 s
    # One task ran in 10 s and two are left (one running): 20 s at this pace.
    assert src.eta(clock.now) == 20.0
    line = progress.line()
    assert "tasks 2/16 (1 reused, 1 running)" in line
    assert "500 rows/s, 200.0 kB/s read, ETA 0:02:20" in line  # 14 tasks left at 1 task per 10 s
    assert "read_jsonl 2/4 (1 reused, 1 running)" in line
    progress.on_task_failed(TaskId("read_jsonl", 2), type("F", (), {"message": "boom"})(), None)
    assert src.failed == 1 and "read_jsonl 2/4 (1 reused, 1 FAILED)" in progress.line()
    progress.on_run_end("failed")
    assert out.getvalue().splitlines()[-1].endswith("| run failed")
    assert "task read_jsonl/00002 failed (no retry left): boom" in out.getvalue()


def test_auto_picks_live_on_a_terminal_and_lines_elsewhere(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    assert isinstance(make_progress("auto", Tty()), LiveProgress)
    assert isinstance(make_progress("auto", io.StringIO()), LogProgress)
    assert make_progress(False) is None
    monkeypatch.setenv("CI", "true")
    assert isinstance(make_progress("auto", Tty()), LogProgress)  # CI logs are files: no redrawing
    assert isinstance(make_progress(True, Tty()), LiveProgress)


def _script(tmp_path) -> list[str]:
    write_docs(str(tmp_path / "in"))
    return [sys.executable, os.path.join(HERE, "pipelines.py"), str(tmp_path / "in"), str(tmp_path / "out"),
            str(tmp_path / "wd"), "1"]


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(PYTHONPATH=ROOT, COLUMNS="120", TERM="xterm-256color", **extra)
    return env


def test_live_display_under_a_pseudo_terminal(tmp_path):
    master, slave = pty.openpty()
    proc = subprocess.Popen(_script(tmp_path), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            env=_env(SHARDFLOW_TEST_SLOW="0.2"), cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        assert ready, "no output from the pipeline for 120 s"
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=60) == 1  # the flaky branch fails
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    # Live means redrawn in place: the cursor moves up over the previous frame.
    assert "\x1b[1A" in text and "\x1b[2K" in text
    last = text[text.rindex("shardflow · three_branches"):]  # the final frame
    for stage, counts in (("read_jsonl", "4/4"), ("long", "4/4"), ("count", "4/4"), ("flaky", "3/4 (1 FAILED)")):
        assert any(stage in line and counts in line for line in last.splitlines()), (stage, last)
    assert "total" in last and "15/16 (1 FAILED)" in last
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "task flaky/00001 failed (no retry left): step 'flaky' failed in process: ValueError: bad document f1-0000" in plain


def test_plain_lines_when_not_a_terminal(tmp_path):
    proc = subprocess.run(_script(tmp_path), capture_output=True, text=True, timeout=180, cwd=ROOT,
                          env=_env(SHARDFLOW_TEST_SLOW="0.3", SHARDFLOW_PROGRESS_INTERVAL="0.5"))
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stderr  # no escape codes in logs
    lines = [line for line in proc.stderr.splitlines() if line.startswith("[shardflow] three_branches: tasks")]
    # The first line, at least one periodic line while the source tasks sleep, the last line.
    assert len(lines) >= 3, proc.stderr
    assert lines[0].startswith("[shardflow] three_branches: tasks 0/16")
    assert "tasks 15/16 (1 FAILED)" in lines[-1] and lines[-1].endswith("| run failed")
    assert "[shardflow] task flaky/00001 failed (no retry left)" in proc.stderr
