"""Ctrl-C: once stops taking tasks and lets running ones commit; twice stops at once.

Either way the message names the command that resumes, and the rerun's output is
byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import file_digests
from tests.run.slow_pipeline import build, output_files
from tests.run.test_resume import ROOT, SCRIPT, _markers


@pytest.mark.timeout(120)
@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_then_rerun_gives_identical_output(presses, inputs, reference, tmp_path):
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    env = {**os.environ, "SHARDFLOW_TEST_SLOW": "0.2", "PYTHONPATH": ROOT}
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, inputs, out, workdir, "6", "2"], env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_markers(workdir)) < 2:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)  # the driver only, as a terminal's Ctrl-C reaches it
            time.sleep(0.3)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    assert "was interrupted" in err and "resume with" in err and "slow_pipeline.py" in err
    if presses == 1:
        assert "Press Ctrl-C again to stop now" in err
    done = len(_markers(workdir))
    assert 2 <= done < 18, "stopped before the end"

    result = build(inputs, out).run(workdir=workdir, tasks=6, workers=2)
    assert file_digests(output_files(result.outputs), out) == reference
    assert result.reused == done
