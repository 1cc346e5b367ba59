"""Ctrl-C while following a Slurm run: what has not started is cancelled, what runs commits,
nothing is left in the queue, and the rerun reuses what was committed."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time

import pytest

from shardflow.executors.slurm.queue import queued
from tests.conformance.pipelines import write_inputs
from tests.slurm.conftest import ROOT, slurm
from tests.slurm.helpers import events, of, run_jobs
from tests.slurm.steps import slow_down, trapped


@pytest.mark.timeout(180)
def test_first_ctrl_c_cancels_pending_elements_and_lets_running_ones_commit(tmp_path, slurm_cluster):
    inp = str(tmp_path / "inputs")
    write_inputs(inp)
    out, workdir, flags = str(tmp_path / "out"), str(tmp_path / "run"), str(tmp_path / "flags")
    slow = slow_down(flags, 3)
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.slurm.driver", f"{inp}/main", out, workdir, flags],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )
    try:
        started = os.path.join(workdir, "slurm", "runs", "*", "attempts", "read_jsonl-*", "*.json")
        deadline = time.monotonic() + 60
        while not glob.glob(started):  # the node has 2 CPUs: 2 elements run, the rest wait
            assert time.monotonic() < deadline and driver.poll() is None, "no element started"
            time.sleep(0.2)
        driver.send_signal(signal.SIGINT)
        _, err = driver.communicate(timeout=90)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 3 and "was interrupted" in err, err

    found = events(workdir)
    assert of(found, "interrupt") and of(found, "run_end")[0]["status"] == "interrupted"
    assert queued(run_jobs(workdir)) == {}
    # Every source element that started committed; the others never ran; nothing downstream
    # of an unfinished shard ran.
    ran = {e["task"] for e in of(found, "task_done")}
    tried = {os.path.basename(p).split("-")[0] for p in glob.glob(started)}
    assert {t for t in ran if t.startswith("read_jsonl/")} == {f"read_jsonl/{s}" for s in tried}
    assert 0 < len(tried) < 5

    os.remove(slow)
    result = trapped(f"{inp}/main", out, flags).run(workdir=workdir, executor=slurm(), tasks=5)
    assert result.reused == len(ran) and result.ran == 15 - len(ran)
