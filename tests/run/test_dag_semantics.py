"""DAG semantics beyond the conformance oracles: what each option does, observed directly."""

from __future__ import annotations

import glob
import os

import orjson
import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.steps import converge, filter_rows, map_batches, map_rows, read_jsonl, route_batches, write_jsonl
from tests.conformance.pipelines import long_enough, write_inputs
from tests.helpers import read_all


@pytest.fixture(scope="module")
def main_input(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("in"))
    sets = write_inputs(root)
    return f"{root}/main", sets["main"]


def _events(workdir):
    with open(os.path.join(workdir, "events.jsonl"), "rb") as f:
        return [orjson.loads(line) for line in f]


def test_rebatching_gives_each_step_its_batch_size(main_input, tmp_path):
    inp, docs = main_input

    def sizes(t):
        return t.append_column("batch_rows", pa.array([t.num_rows] * t.num_rows))

    with sf.Pipeline("rebatch") as p:
        read_jsonl(inp, batch_size=7) >> map_batches(sizes, batch_size=25) >> write_jsonl(str(tmp_path / "o"), name="w")
    result = p.run(workdir=str(tmp_path / "run"), tasks=4, workers=2)
    for path in result.outputs["w"]:
        rows = read_all([path])
        counts = [r["batch_rows"] for r in rows]
        assert all(c == 25 for c in counts[: len(counts) - len(counts) % 25]), "full batches of 25"
        assert len(rows) == sum(1 for _ in rows)
    assert sum(len(read_all([f])) for f in result.outputs["w"]) == len(docs)


def test_router_spreads_batches_and_converge_restores_order(main_input, tmp_path):
    inp, docs = main_input
    with sf.Pipeline("route") as p:
        routed = read_jsonl(inp, batch_size=10) >> route_batches(lambda b, seq: [f"r{seq % 2}"], name="router")
        branches = [routed >> map_rows(lambda d, i=i: {**d, "replica": i}, name=f"r{i}") for i in range(2)]
        branches >> converge() >> write_jsonl(str(tmp_path / "o"), name="w")
    result = p.run(workdir=str(tmp_path / "run"), tasks=4, workers=2)
    rows = read_all(result.outputs["w"])
    assert [r["id"] for r in rows] == [d["id"] for d in docs], "original order, nothing lost or doubled"
    assert result.stats["r0"].rows_in > 0 and result.stats["r1"].rows_in > 0
    assert result.stats["r0"].rows_in + result.stats["r1"].rows_in == len(docs)
    # within one shard, consecutive batches of 10 alternate between the replicas
    first = read_all(result.outputs["w"][:1])
    assert [r["replica"] for r in first[:30:10]] == [0, 1, 0]


def test_router_can_send_a_batch_to_several_branches(main_input, tmp_path):
    inp, docs = main_input
    with sf.Pipeline("sample") as p:
        routed = read_jsonl(inp, batch_size=50) >> route_batches(lambda b, seq: ["a", "b"] if seq == 0 else ["a"], name="router")
        routed >> write_jsonl(str(tmp_path / "a"), name="a")
        routed >> write_jsonl(str(tmp_path / "b"), name="b")
    result = p.run(workdir=str(tmp_path / "run"), tasks=2, workers=2)
    assert len(read_all(result.outputs["a"])) == len(docs)
    assert len(read_all(result.outputs["b"])) == 100  # the first batch (50 rows) of each of 2 shards


def test_fused_branches_share_one_pass_and_write_no_checkpoint(main_input, tmp_path):
    inp, _ = main_input
    with sf.Pipeline("fused") as p:
        kept = read_jsonl(inp) >> filter_rows(long_enough, name="kept", fuse=True)
        kept >> write_jsonl(str(tmp_path / "a"), name="a")
        kept >> map_rows(lambda d: d) >> write_jsonl(str(tmp_path / "b"), name="b")
    assert list(p.plan(3).stages) == ["read_jsonl"]
    p.run(workdir=str(tmp_path / "run"), tasks=3, workers=2)
    assert not glob.glob(str(tmp_path / "run" / "stages" / "*" / "data" / "*" / "*.arrow"))

    with sf.Pipeline("unfused") as q:
        kept = read_jsonl(inp) >> filter_rows(long_enough, name="kept")
        kept >> write_jsonl(str(tmp_path / "a2"), name="a")
        kept >> map_rows(lambda d: d) >> write_jsonl(str(tmp_path / "b2"), name="b")
    result = q.run(workdir=str(tmp_path / "run2"), tasks=3, workers=2)
    assert len(glob.glob(str(tmp_path / "run2" / "stages" / "read_jsonl-*" / "data" / "kept" / "*.arrow"))) == 3
    assert result.stats["read_jsonl"].tasks == 3, "the common prefix runs once per shard, not per branch"


def test_setup_failure_is_reported_for_the_step_before_any_data(main_input, tmp_path):
    inp, _ = main_input

    class Model(sf.Transform):
        def setup(self):
            raise OSError("model weights not found at /models/x")

        def process(self, batch):
            raise AssertionError("no data may reach a step whose setup failed")

    with sf.Pipeline("setup") as p:
        read_jsonl(inp) >> Model(name="model") >> write_jsonl(str(tmp_path / "o"))
    with pytest.raises(sf.RunFailed, match="step 'model' failed in setup: OSError: model weights not found"):
        p.run(workdir=str(tmp_path / "run"), tasks=2, workers=1)


def test_step_errors_retry_with_backoff_when_asked(main_input, tmp_path):
    inp, docs = main_input
    flag = tmp_path / "attempts"
    flag.mkdir()

    def flaky(d):
        marker = flag / d["id"].split("-")[0]
        if not marker.exists():  # the first attempt of each shard fails
            marker.touch()
            raise ConnectionError("flaky service")
        return True

    with sf.Pipeline("flaky") as p:
        read_jsonl(inp) >> filter_rows(flaky, name="flaky", retries=2, retry_backoff=0.05) >> write_jsonl(str(tmp_path / "o"), name="w")
    result = p.run(workdir=str(tmp_path / "run"), tasks=4, workers=2)
    assert len(read_all(result.outputs["w"])) == len(docs)
    failed = [e for e in _events(str(tmp_path / "run")) if e["event"] == "task_failed"]
    assert failed and all(e["kind"] == "step" and e["retry_in"] == 0.05 for e in failed)

    with sf.Pipeline("no_retry") as q:
        read_jsonl(inp) >> filter_rows(lambda d: 1 / 0, name="broken") >> write_jsonl(str(tmp_path / "o2"))
    with pytest.raises(sf.RunFailed):
        q.run(workdir=str(tmp_path / "run2"), tasks=2, workers=1)
    starts = [e for e in _events(str(tmp_path / "run2")) if e["event"] == "task_start"]
    assert len(starts) == 1, "errors in step code are not retried unless asked, and fail_fast stops the run"


def test_memory_limit_stops_the_task_and_reports_it(main_input, tmp_path):
    inp, _ = main_input

    def hog(table):
        hog.keep = bytearray(400 << 20)  # 400 MB, well over the limit
        import time
        time.sleep(2)
        return table

    with sf.Pipeline("hog") as p:
        read_jsonl(inp) >> map_batches(hog, name="hog", memory=200 << 20) >> write_jsonl(str(tmp_path / "o"))
    with pytest.raises(sf.RunFailed, match="went over its memory limit of 200 MB"):
        p.run(workdir=str(tmp_path / "run"), tasks=1, workers=1, max_retries=1)
    failed = [e for e in _events(str(tmp_path / "run")) if e["event"] == "task_failed"]
    assert [e["kind"] for e in failed] == ["memory", "memory"], "retried once, then reported"


def test_dry_run_pushes_one_small_batch_to_a_scratch_location(main_input, tmp_path):
    inp, _ = main_input
    with sf.Pipeline("dry") as p:
        kept = read_jsonl(inp) >> filter_rows(long_enough, name="kept")
        kept >> write_jsonl(str(tmp_path / "real"), name="w")
    result = p.run(workdir=str(tmp_path / "run"), dry_run=True, workers=1)
    assert not (tmp_path / "real").exists(), "a dry run never writes to the real outputs"
    assert result.stats["read_jsonl"].rows_out == 32
    assert all(f.startswith(str(tmp_path / "run" / "dry-run")) for f in result.outputs["w"])
    assert 0 < len(read_all(result.outputs["w"])) <= 32


def test_results_load_as_arrow_and_hf_datasets_with_branch_status(main_input, tmp_path):
    inp, docs = main_input
    with sf.Pipeline("load") as p:
        kept = read_jsonl(inp) >> filter_rows(long_enough, name="kept")
        kept >> write_jsonl(str(tmp_path / "a"), name="a")
        kept >> map_rows(lambda d: {**d, "n": len(d["text"])}, name="lengths")  # a leaf without a sink
    result = p.run(workdir=str(tmp_path / "run"), tasks=3, workers=2)
    assert result.branches == {"a": "ok", "lengths": "ok"}
    want = [d["id"] for d in docs if long_enough(d)]
    assert result.table("a").column("id").to_pylist() == want
    table = result.table("lengths")
    assert table.column("id").to_pylist() == want and "__shardflow_seq" not in table.column_names
    ds = result.dataset("lengths")
    assert len(ds) == len(want) and ds[0]["n"] == len(ds[0]["text"])


def test_continue_policy_reports_per_branch_status(main_input, tmp_path):
    inp, _ = main_input
    with sf.Pipeline("policy") as p:
        docs = read_jsonl(inp)
        docs >> write_jsonl(str(tmp_path / "ok"), name="ok")
        docs >> filter_rows(lambda d: 1 / 0, name="broken", on_failure="continue") >> write_jsonl(str(tmp_path / "bad"), name="bad")
    result = p.run(workdir=str(tmp_path / "run"), tasks=3, workers=2, raise_on_failure=False)
    assert result.branches == {"ok": "ok", "bad": "failed"}
    assert not result.ok and len(result.failures) == 3


def test_join_on_a_key_column_is_a_global_step(main_input, tmp_path):
    inp, docs = main_input
    from shardflow.steps import join

    with sf.Pipeline("join") as p:
        texts = read_jsonl(inp, name="texts")
        labels = read_jsonl(inp, name="labels") >> map_rows(lambda d: {"id": d["id"], "label": len(d["text"]) % 3}, name="label")
        kept_labels = labels >> filter_rows(lambda d: d["label"] != 0, name="nonzero")
        [texts, kept_labels] >> join(on="id", name="joined") >> write_jsonl(str(tmp_path / "o"), name="w")
    plan = p.plan(4)
    assert plan.stages["joined"].stage.kind == "global"
    result = p.run(workdir=str(tmp_path / "run"), tasks=4, workers=2)
    rows = read_all(result.outputs["w"])
    want = [(d["id"], len(d["text"]) % 3) for d in docs if len(d["text"]) % 3 != 0]
    assert [(r["id"], r["label"]) for r in rows] == want, "left order kept, unmatched left rows dropped"
    assert all(r["text"] for r in rows)


def test_cpu_budget_keeps_big_tasks_from_overlapping(main_input, tmp_path):
    inp, _ = main_input
    import time as _time

    with sf.Pipeline("cpus") as p:
        read_jsonl(inp) >> map_batches(lambda t: _time.sleep(0.2) or t, name="heavy", cpus=2) >> write_jsonl(str(tmp_path / "o"))
    p.run(workdir=str(tmp_path / "run"), executor=sf.LocalExecutor(workers=2, cpus=2), tasks=4)
    spans = {}
    for e in _events(str(tmp_path / "run")):
        if e["event"] == "task_start" and e["task"].startswith("heavy"):
            spans.setdefault(e["task"], [e["t"], None])
        if e["event"] == "task_done" and e["task"].startswith("heavy"):
            spans[e["task"]][1] = e["t"]
    intervals = sorted(spans.values())
    assert len(intervals) == 4
    for (s1, e1), (s2, e2) in zip(intervals, intervals[1:]):
        assert s2 >= e1, "a task asking for 2 of 2 CPUs never runs beside another"
