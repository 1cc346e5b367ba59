"""Local executor features: setup once per worker, state isolation, GPU binding, locks, errors."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.run.lock import LockedError, RunLock
from shardflow.steps import read_jsonl, write_jsonl
from tests.conformance.pipelines import write_inputs
from tests.helpers import read_all


@pytest.fixture(scope="module")
def main_input(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("in"))
    write_inputs(root)
    return f"{root}/main"


class Probe(sf.Transform):
    """Records, per row, the worker pid, its CUDA_VISIBLE_DEVICES, and how often setup ran."""

    def setup(self):
        self.setups = getattr(self, "setups", 0) + 1
        self.loaded_in = os.getpid()

    def process(self, batch):
        # per-task state: must start from zero in every task, whatever ran before in this worker
        self.rows_seen = getattr(self, "rows_seen", 0) + batch.num_rows
        n = batch.num_rows
        return batch.append_column("pid", pa.array([os.getpid()] * n)).append_column(
            "gpu", pa.array([os.environ.get("CUDA_VISIBLE_DEVICES", "")] * n)
        ).append_column("setups", pa.array([self.setups] * n)).append_column(
            "loaded_in", pa.array([self.loaded_in] * n)
        ).append_column("rows_seen", pa.array([self.rows_seen] * n))


def test_setup_once_per_worker_isolation_and_gpu_binding(main_input, tmp_path):
    with sf.Pipeline("probe") as p:
        read_jsonl(main_input, batch_size=40) >> Probe() >> write_jsonl(str(tmp_path / "out"), name="w")
    result = p.run(workdir=str(tmp_path / "run"), executor=sf.LocalExecutor(workers=2, gpus=2), tasks=8)
    rows = read_all(result.outputs["w"])
    pids = {r["pid"] for r in rows}
    assert 1 <= len(pids) <= 2
    assert all(r["setups"] == 1 for r in rows), "setup() must run once per worker"
    assert all(r["loaded_in"] == r["pid"] for r in rows)
    assert {r["gpu"] for r in rows} <= {"0", "1"}
    # rows_seen restarts in every task: within a task it grows by batch, never past the task's rows
    by_file = [read_all([f]) for f in result.outputs["w"]]
    for rows_of_task in by_file:
        assert rows_of_task[-1]["rows_seen"] == len(rows_of_task)


def test_a_step_error_fails_the_run_loudly_and_names_task_step_log_and_resume(main_input, tmp_path):
    def explode(d):
        if d["id"].endswith("0007"):
            raise ValueError("bad document")
        return True

    with sf.Pipeline("boom") as p:
        read_jsonl(main_input) >> sf.steps.filter_rows(explode, name="exploder") >> write_jsonl(str(tmp_path / "o"))
    with pytest.raises(sf.RunFailed) as info:
        p.run(workdir=str(tmp_path / "run"), tasks=4, workers=2)
    message = str(info.value)
    assert "step 'exploder' failed in process: ValueError: bad document" in message
    assert "log: " in message and ".log" in message
    assert "resume with" in message
    assert info.value.result.failures
    log = message.split("log: ")[1].split()[0]
    assert "ValueError: bad document" in open(log).read(), "the task log holds the traceback"


def test_second_run_on_a_locked_workdir_is_refused_with_the_holder(tmp_path):
    lock = RunLock(str(tmp_path / "lock.json"), "python first.py").acquire()
    try:
        with pytest.raises(LockedError, match=f"in use by pid {os.getpid()}.*python first.py"):
            RunLock(str(tmp_path / "lock.json"), "python second.py").acquire()
    finally:
        lock.release()
    RunLock(str(tmp_path / "lock.json"), "python third.py").acquire().release()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    import orjson, socket, subprocess, sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / "lock.json").write_bytes(orjson.dumps({"host": socket.gethostname(), "pid": pid, "since": "x"}))
    RunLock(str(tmp_path / "lock.json"), "me").acquire().release()
