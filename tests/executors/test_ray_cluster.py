"""The Ray executor on a real 3-node Ray cluster on loopback (127.0.0.2 with 2 CPUs, .3 and
.4 with 1 CPU each): multi-node placement, per-stage resources, a killed worker, a removed
node, a task past its time limit, and an error in a step's code.

Faults are injected by steps that misbehave once (a flag file records that they did), so
the retry runs clean and the output must be byte-identical to the local executor's.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.run import RunDir
from shardflow.steps import read_jsonl, write_jsonl
from tests.helpers import file_digests, read_rows
from tests.ray_support import add_node, loopback_cluster, ray
from tests.run.test_local_executor import main_input  # noqa: F401 - the shared input fixture

HEAD_IP = "127.0.0.2"
TASKS = 6


@pytest.fixture(scope="module")
def cluster():
    with loopback_cluster([2, 1, 1]) as c:
        yield c


class Passthrough(sf.Transform):
    """Identity; subclasses misbehave once, on the first batch that meets ``_trigger``."""

    def __init__(self, flag: str = "", **options):
        super().__init__(**options)
        self.flag = flag

    def _trigger(self) -> bool:
        return False

    def _misbehave(self) -> None:
        pass

    def process(self, batch: pa.Table) -> pa.Table:
        if self.flag and self._trigger():
            try:
                os.close(os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return batch  # already did it once: this is the retry
            self._misbehave()
        return batch


class KillsItsWorker(Passthrough):
    def _trigger(self) -> bool:
        return True

    def _misbehave(self) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class HangsOnce(Passthrough):
    def _trigger(self) -> bool:
        return True

    def _misbehave(self) -> None:
        time.sleep(120)


class HoldsItsNode(Passthrough):
    """Blocks the first time, after writing the IP of its node into the flag."""

    def _trigger(self) -> bool:
        return True

    def _misbehave(self) -> None:
        with open(self.flag, "w") as f:
            f.write(ray.util.get_node_ip_address())
        time.sleep(120)


def build(inp: str, out: str, step: Passthrough) -> sf.Pipeline:
    with sf.Pipeline("faults") as p:
        read_jsonl(inp, batch_size=50) >> step >> write_jsonl(f"{out}/docs", name="out")
    return p


def run_and_digest(main_input, tmp_path, step_factory, executor):
    out = str(tmp_path / "out")
    pipeline = build(main_input, out, step_factory())
    result = pipeline.run(workdir=str(tmp_path / "run"), executor=executor, tasks=TASKS)
    events = RunDir(str(tmp_path / "run")).events()
    return file_digests(result.outputs["out"], out), events


@pytest.fixture(scope="module")
def anchor(main_input, tmp_path_factory):
    """Output digests of the same pipeline on the local executor, without faults."""
    tmp = tmp_path_factory.mktemp("anchor")
    digests, _ = run_and_digest(main_input, tmp, Passthrough, sf.LocalExecutor(workers=2))
    assert len(digests) == TASKS
    return digests


def failures(events, kind):
    return [e for e in events if e["event"] == "task_failed" and e["kind"] == kind]


@pytest.mark.timeout(60)
def test_a_multi_node_task_gets_distinct_nodes(cluster, main_input, tmp_path):
    def probe(table: pa.Table) -> pa.Table:
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        group = ray.util.get_current_placement_group()
        where = ray.remote(num_cpus=1)(lambda: ray.util.get_node_ip_address())
        ips = ray.get(
            [
                where.options(scheduling_strategy=PlacementGroupSchedulingStrategy(group, placement_group_bundle_index=i)).remote()
                for i in range(group.bundle_count)
            ]
        )
        n = table.num_rows
        return pa.table({"id": table["id"], "bundles": [",".join(ips)] * n, "env": [os.environ[sf.executors.ray.NODE_IPS_ENV]] * n})

    with sf.Pipeline("spread") as p:
        read_jsonl(main_input) >> sf.steps.map_batches(probe) >> write_jsonl(str(tmp_path / "out"), name="out")
    result = p.run(workdir=str(tmp_path / "run"), executor=sf.RayExecutor(nodes_per_task=2, workers=1), tasks=2)
    rows = [r for f in result.outputs["out"] for r in read_rows(f)]
    assert len(rows) == sum(150 + 20 * f for f in range(4))
    for row in rows:
        ips = row["bundles"].split(",")
        assert len(ips) == 2 and len(set(ips)) == 2, row
        assert set(ips) <= {"127.0.0.2", "127.0.0.3", "127.0.0.4"}
        assert row["env"] == row["bundles"], "SHARDFLOW_NODE_IPS lists the task's nodes in bundle order"


@pytest.mark.timeout(30)
def test_a_multi_node_task_the_cluster_cannot_hold_fails_the_run_clearly(cluster, main_input, tmp_path):
    with pytest.raises(sf.RunFailed) as info:
        build(main_input, str(tmp_path / "out"), Passthrough()).run(
            workdir=str(tmp_path / "run"), executor=sf.RayExecutor(nodes_per_task=4), tasks=2
        )
    message = str(info.value)
    assert "need 4 distinct nodes with CPU=1 each" in message
    assert "3 of the 3 alive Ray nodes" in message and "nodes_per_task" in message
    events = RunDir(str(tmp_path / "run")).events()
    assert [e["status"] for e in events if e["event"] == "run_end"] == ["failed"]
    assert not [e for e in events if e["event"] == "task_done"]


@pytest.mark.timeout(60)
def test_stage_resources_become_ray_requests(cluster, main_input, tmp_path):
    def assigned(table: pa.Table) -> pa.Table:
        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 0)
        n = table.num_rows
        return pa.table({"id": table["id"], "cpus": [cpus] * n, "ip": [ray.util.get_node_ip_address()] * n})

    with sf.Pipeline("big") as p:
        read_jsonl(main_input) >> sf.steps.map_batches(assigned, cpus=2) >> write_jsonl(str(tmp_path / "out"), name="out")
    result = p.run(workdir=str(tmp_path / "run"), executor=sf.RayExecutor(), tasks=2)
    rows = [r for f in result.outputs["out"] for r in read_rows(f)]
    assert {r["cpus"] for r in rows} == {2.0}
    assert {r["ip"] for r in rows} == {HEAD_IP}, "only the head node has 2 CPUs"


@pytest.mark.timeout(90)
def test_a_killed_worker_is_retried_and_the_output_is_identical(cluster, main_input, tmp_path, anchor):
    flag = str(tmp_path / "killed")
    # Two tasks per call: the task after the killed one never started, so it is requeued, not failed.
    executor = sf.RayExecutor(tasks_per_job=2)
    digests, events = run_and_digest(main_input, tmp_path, lambda: KillsItsWorker(flag), executor)
    assert digests == anchor
    lost = failures(events, "infra")
    assert len(lost) == 1 and "worker process died" in lost[0]["message"], lost
    retried = [e for e in events if e["event"] == "task_done" and e["task"] == lost[0]["task"]]
    assert [e["attempt"] for e in retried] == [2]
    log = open(lost[0]["log"]).read()
    assert "attempt 1 started" in log, "the killed attempt's log lines reached the run directory"
    assert "attempt 2 started" in log and "done in" in log


@pytest.mark.timeout(90)
def test_a_task_past_its_time_limit_is_cancelled_and_retried(cluster, main_input, tmp_path, anchor):
    flag = str(tmp_path / "hung")
    digests, events = run_and_digest(main_input, tmp_path, lambda: HangsOnce(flag), sf.RayExecutor(time=4))
    assert digests == anchor
    timed_out = failures(events, "timeout")
    assert len(timed_out) == 1 and "time limit of 4 s" in timed_out[0]["message"], timed_out
    retried = [e for e in events if e["event"] == "task_done" and e["task"] == timed_out[0]["task"]]
    assert [e["attempt"] for e in retried] == [2]


@pytest.mark.timeout(60)
def test_a_step_over_its_memory_limit_is_stopped_and_reported(cluster, main_input, tmp_path):
    def hog(table: pa.Table) -> pa.Table:
        ballast = bytearray(400 << 20)  # noqa: F841 - held while the watchdog looks
        time.sleep(3)
        return table

    with sf.Pipeline("hog") as p:
        read_jsonl(main_input) >> sf.steps.map_batches(hog, memory=200 << 20) >> write_jsonl(str(tmp_path / "o"), name="out")
    with pytest.raises(sf.RunFailed) as info:
        p.run(workdir=str(tmp_path / "run"), executor=sf.RayExecutor(max_retries=0), tasks=1)
    assert "went over its memory limit of 200 MB" in str(info.value)
    events = RunDir(str(tmp_path / "run")).events()
    assert [e["kind"] for e in events if e["event"] == "task_failed"] == ["memory"]


@pytest.mark.timeout(60)
def test_an_error_in_a_step_fails_the_run_loudly(cluster, main_input, tmp_path):
    def explode(d):
        if d["id"] == "m2-0007":
            raise ValueError("bad document")
        return True

    with sf.Pipeline("boom") as p:
        read_jsonl(main_input) >> sf.steps.filter_rows(explode, name="exploder") >> write_jsonl(str(tmp_path / "o"), name="out")
    with pytest.raises(sf.RunFailed) as info:
        p.run(workdir=str(tmp_path / "run"), executor=sf.RayExecutor(), tasks=4)
    message = str(info.value)
    failed = [t for t, _ in info.value.result.failures.items()]
    assert len(failed) == 1
    assert f"task {failed[0]} (step): step 'exploder' failed in process: ValueError: bad document" in message
    assert 'raise ValueError("bad document")' in message, "the traceback is in the error"
    log = message.split("log: ")[1].split()[0]
    assert "ValueError: bad document" in open(log).read(), "the task log holds the traceback"
    events = RunDir(str(tmp_path / "run")).events()
    starts = [e for e in events if e["event"] == "task_start" and e["task"] == failed[0]]
    assert len(starts) == 1, "an error in a step's code is not retried as an infrastructure failure"
    assert info.value.result.stats["exploder"].rows_in > 0, "stats of the tasks that completed are merged"


@pytest.mark.timeout(120)
def test_removing_a_node_mid_run_still_completes_with_identical_output(cluster, main_input, tmp_path, anchor):
    flag = str(tmp_path / "held")
    removed: list[str] = []

    def remove_the_node_once_held() -> None:
        for _ in range(600):  # up to 60 s
            if os.path.exists(flag) and open(flag).read():
                ip = open(flag).read()
                node = next(n for n in cluster.worker_nodes if n.node_ip_address == ip)
                cluster.remove_node(node)
                removed.append(ip)
                return
            time.sleep(0.1)

    remover = threading.Thread(target=remove_the_node_once_held, daemon=True)
    remover.start()
    try:
        # Only on the two worker nodes (the driver's head node must stay).
        executor = sf.RayExecutor(ray_remote_kwargs={"resources": {"worker_node": 1}})
        digests, events = run_and_digest(main_input, tmp_path, lambda: HoldsItsNode(flag), executor)
    finally:
        remover.join(timeout=5)
        if removed:  # give the module its third node back
            add_node(cluster, removed[0], 1)
    assert removed, "the node was not removed"
    assert digests == anchor
    lost = failures(events, "infra")
    assert lost and all("node died" in e["message"] or "worker process died" in e["message"] for e in lost), lost
    assert any("node died" in e["message"] for e in lost)
