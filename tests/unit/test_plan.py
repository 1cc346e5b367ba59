"""The plan is pure data: stages, tasks and keys are checked without running anything."""

from __future__ import annotations

import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.io import InputShard, Piece
from shardflow.plan import InputRef, TaskId, compile_plan
from shardflow.steps import filter_rows, map_rows, read_jsonl, write_jsonl


class Sorter(sf.GlobalStep):
    def process_all(self, batches):
        return pa.concat_tables(list(batches)).sort_by("id")


def shards(n: int) -> list[InputShard]:
    return [InputShard(index=i, pieces=(Piece(f"/in/{i}.jsonl"),), nbytes=100) for i in range(n)]


def compile_(p: sf.Pipeline, n: int = 3, tasks: int | None = 3):
    p.validate()
    return compile_plan(p.graph, {s.name: shards(n) for s in p.graph if isinstance(s, sf.Source)}, tasks)


def test_linear_chain_fuses_into_one_stage():
    with sf.Pipeline("lin") as p:
        read_jsonl("/in/*.jsonl") >> filter_rows(lambda d: True) >> map_rows(lambda d: d) >> write_jsonl("/out/a")
    plan = compile_(p)
    assert list(plan.stages) == ["read_jsonl"]
    assert plan.stages["read_jsonl"].stage.steps == ("read_jsonl", "filter_rows", "map_rows", "write_jsonl")
    assert plan.stages["read_jsonl"].stage.exits == ("write_jsonl",) == plan.stages["read_jsonl"].stage.sinks
    assert [str(t) for t in plan.tasks] == ["read_jsonl/00000", "read_jsonl/00001", "read_jsonl/00002"]
    assert all(spec.deps == () for spec in plan.tasks.values())


def test_fan_out_checkpoints_prefix_and_branches_are_shard_aligned():
    with sf.Pipeline("fan") as p:
        docs = read_jsonl("/in/*.jsonl")
        kept = docs >> filter_rows(lambda d: True, name="kept")
        kept >> [write_jsonl("/out/a", name="a"), map_rows(lambda d: d, name="m")]
        p.graph.step("m") >> write_jsonl("/out/b", name="b")
    plan = compile_(p)
    assert list(plan.stages) == ["read_jsonl", "a", "m"]
    assert plan.stages["read_jsonl"].stage.exits == ("kept",) and not plan.stages["read_jsonl"].stage.sinks
    assert plan.stages["a"].stage.reason == "branch of kept"
    assert plan.stages["m"].stage.steps == ("m", "b")
    # each branch task reads exactly its own shard of the prefix
    assert plan.tasks[TaskId("m", 2)].inputs == (InputRef(TaskId("read_jsonl", 2), "kept", 0),)


def test_fan_in_concatenates_inputs_in_declared_order():
    with sf.Pipeline("fanin") as p:
        a = read_jsonl("/in/a*.jsonl", name="a")
        b = read_jsonl("/in/b*.jsonl", name="b")
        [a, b] >> write_jsonl("/out/ab", name="ab")
    p.validate()
    plan = compile_plan(p.graph, {"a": shards(3), "b": shards(2)}, None)
    assert plan.stages["ab"].n_tasks == 3
    assert plan.tasks[TaskId("ab", 1)].inputs == (InputRef(TaskId("a", 1), "a"), InputRef(TaskId("b", 1), "b"))
    assert plan.tasks[TaskId("ab", 2)].inputs == (InputRef(TaskId("a", 2), "a"),)


def test_global_step_reads_every_shard_and_reshards():
    with sf.Pipeline("glob") as p:
        read_jsonl("/in/*.jsonl") >> Sorter(out_shards=2, name="sort") >> write_jsonl("/out/s", name="w")
    plan = compile_(p, n=3)
    assert plan.stages["sort"].n_tasks == 1 and plan.stages["sort"].n_parts == 2
    assert plan.tasks[TaskId("sort", 0)].deps == tuple(TaskId("read_jsonl", i) for i in range(3))
    assert plan.stages["w"].n_tasks == 2
    assert plan.tasks[TaskId("w", 1)].inputs == (InputRef(TaskId("sort", 0), "sort", 1),)


def test_resource_change_and_checkpoint_start_stages():
    with sf.Pipeline("res") as p:
        r = read_jsonl("/in/*.jsonl")
        c = r >> filter_rows(lambda d: True, name="c", checkpoint=True)
        g = c >> map_rows(lambda d: d, name="g")
        g >> map_rows(lambda d: d, name="gpu", gpus=1) >> write_jsonl("/out/x")
    plan = compile_(p)
    assert [sp.stage.reason for sp in plan.stages.values()] == ["source", "checkpoint after c", "resources change"]
    assert plan.stages["gpu"].stage.gpus == 1


def _key_of(threshold: int, branch_b_threshold: int = 5):
    with sf.Pipeline("keys") as p:
        docs = read_jsonl("/in/*.jsonl")
        kept = docs >> filter_rows(lambda d: len(d["text"]) > threshold, name="kept")
        kept >> write_jsonl("/out/a", name="a")
        kept >> filter_rows(lambda d: len(d["text"]) > branch_b_threshold, name="b_filter") >> write_jsonl("/out/b", name="b")
    plan = compile_(p)
    return {sid: sp.key for sid, sp in plan.stages.items()}


def test_keys_change_only_for_the_changed_step_and_downstream():
    base = _key_of(200)
    assert base == _key_of(200), "keys must be deterministic"
    branch = _key_of(200, branch_b_threshold=7)
    assert branch["read_jsonl"] == base["read_jsonl"] and branch["a"] == base["a"]
    assert branch["b_filter"] != base["b_filter"]
    prefix = _key_of(300)
    assert all(prefix[s] != base[s] for s in base), "a changed prefix invalidates everything below it"


def test_keys_depend_on_input_shards():
    with sf.Pipeline("k") as p:
        read_jsonl("/in/*.jsonl") >> write_jsonl("/out/a")
    assert compile_(p, n=2).stages["read_jsonl"].key != compile_(p, n=3).stages["read_jsonl"].key


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: (read_jsonl("/a"), filter_rows(lambda d: True)), "has no input"),
        (lambda: read_jsonl("/a", name="x") >> filter_rows(lambda d: True, name="x"), "2 steps are named 'x'"),
        (lambda: read_jsonl("/a") >> [write_jsonl("/o/x", name="w1"), write_jsonl("/o/x/", name="w2")], "all write to"),
    ],
)
def test_validation_names_the_culprit(build, message):
    with sf.Pipeline("bad") as p:
        build()
    with pytest.raises(sf.PipelineError, match=message):
        p.validate()


def test_cycle_is_reported_with_its_members():
    with sf.Pipeline("cyc") as p:
        src = read_jsonl("/a")
        f = src >> filter_rows(lambda d: True, name="f")
        g = f >> map_rows(lambda d: d, name="g")
        g >> f
    with pytest.raises(sf.PipelineError, match="cycle: f >> g >> f"):
        p.validate()


def test_unpicklable_step_is_reported():
    import threading

    lock = threading.Lock()
    with sf.Pipeline("pick") as p:
        read_jsonl("/a") >> filter_rows(lambda d: lock is not None, name="locked") >> write_jsonl("/o")
    with pytest.raises(sf.PipelineError, match="'locked' cannot be sent to a worker"):
        p.validate()


def test_lambdas_and_closures_are_fine():
    limit = 10
    with sf.Pipeline("ok") as p:
        read_jsonl("/a") >> filter_rows(lambda d: len(d["text"]) > limit) >> write_jsonl("/o")
    p.validate()
