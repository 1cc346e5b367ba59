"""Tasks -> job arrays and their dependencies (pure; no Slurm needed)."""

from __future__ import annotations

import pytest

from shardflow.executors.slurm.arrays import AFTERCORR, AFTEROK, Attempt, Dependency, plan_arrays
from shardflow.plan import TaskId
from tests.conformance.pipelines import CASES, write_inputs

BUILD = {c.name: c.build for c in CASES}


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("inputs"))
    write_inputs(root)
    return {name: BUILD[name](root, root + "/out").plan(5) for name in ("fan_out", "global")}


def shape(arrays):
    """Array name -> (stage, shards of each element, dependencies)."""
    return {
        a.name: (a.stage, [[t.task.shard for t in e] for e in a.elements], [(d.kind, d.array) for d in a.after])
        for a in arrays
    }


def test_each_shard_waits_only_for_the_shard_it_reads(plans):
    plan = plans["fan_out"]
    arrays = plan_arrays(plan, {t: 1 for t in plan.tasks})
    ids = list(plan.stages)
    assert shape(arrays) == {
        f"r1.{ids[0]}.0": (ids[0], [[0], [1], [2], [3], [4]], []),
        f"r1.{ids[1]}.0": (ids[1], [[0], [1], [2], [3], [4]], [(AFTERCORR, f"r1.{ids[0]}.0")]),
        f"r1.{ids[2]}.0": (ids[2], [[0], [1], [2], [3], [4]], [(AFTERCORR, f"r1.{ids[0]}.0")]),
    }


def test_a_global_stage_and_what_reads_its_partitions_wait_for_whole_arrays(plans):
    plan = plans["global"]
    source, sort, out = plan.stages
    arrays = plan_arrays(plan, {t: 1 for t in plan.tasks})
    assert shape(arrays)[f"r1.{sort}.0"] == (sort, [[0]], [(AFTEROK, f"r1.{source}.0")])
    # three tasks all read partitions of the single sort task: element 1 and 2 do not
    # correspond to an element of the sort array, so they wait for the whole of it
    assert shape(arrays)[f"r1.{out}.0"] == (out, [[0], [1], [2]], [(AFTEROK, f"r1.{sort}.0")])


def test_grouped_elements_and_split_arrays_keep_corresponding_chunks(plans):
    plan = plans["fan_out"]
    source, a, _ = plan.stages
    arrays = plan_arrays(plan, {t: 1 for t in plan.tasks}, tasks_per_job=2, max_array_size=2)
    got = shape(arrays)
    assert got[f"r1.{source}.0"] == (source, [[0, 1], [2, 3]], [])
    assert got[f"r1.{source}.1"] == (source, [[4]], [])
    assert got[f"r1.{a}.0"] == (a, [[0, 1], [2, 3]], [(AFTERCORR, f"r1.{source}.0")])
    assert got[f"r1.{a}.1"] == (a, [[4]], [(AFTERCORR, f"r1.{source}.1")])


def test_a_later_round_holds_only_its_tasks_with_their_attempts(plans):
    plan = plans["fan_out"]
    source, a, b = plan.stages
    todo = {TaskId(source, 3): 2, TaskId(a, 3): 1, TaskId(b, 1): 1}
    arrays = plan_arrays(plan, todo, round_no=2)
    assert [(x.name, x.elements, x.after) for x in arrays] == [
        (f"r2.{source}.0", ((Attempt(TaskId(source, 3), 2),),), ()),
        (f"r2.{a}.0", ((Attempt(TaskId(a, 3), 1),),), (Dependency(AFTERCORR, f"r2.{source}.0"),)),
        # b/1 reads source/1, which is done: it waits for nothing
        (f"r2.{b}.0", ((Attempt(TaskId(b, 1), 1),),), ()),
    ]


def test_elements_that_no_longer_correspond_fall_back_to_afterok(plans):
    plan = plans["fan_out"]
    source, a, _ = plan.stages
    todo = {TaskId(source, 1): 1, TaskId(a, 1): 1, TaskId(a, 2): 1}
    arrays = plan_arrays(plan, todo)
    # a's element 0 (shard 1) reads source element 0, but a has an element 1 that the
    # one-element source array has no counterpart for: aftercorr would not fit
    assert arrays[1].after == (Dependency(AFTEROK, f"r1.{source}.0"),)


def test_bad_sizes_are_refused(plans):
    with pytest.raises(ValueError, match="tasks_per_job=0"):
        plan_arrays(plans["fan_out"], {}, tasks_per_job=0)
