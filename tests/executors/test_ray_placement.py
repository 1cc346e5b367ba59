"""Pure parts of the Ray executor: task shapes, cluster feasibility, failure classification."""

from __future__ import annotations

import pytest

from tests.ray_support import ray  # noqa: F401 - skips the module when Ray is missing
from ray import exceptions as rex

from shardflow.executors.ray.classify import classify
from shardflow.executors.ray.placement import GIB, PlacementError, Shape, check_feasible, shape_for
from shardflow.run.executor import INFRA, STEP

DEFAULTS = dict(cpus_per_task=1, gpus_per_task=0, mem_per_cpu_gb=None, nodes_per_task=1)


def node(ip: str, cpus: float, gpus: float = 0, alive: bool = True) -> dict:
    resources = {"CPU": cpus, "memory": 8 * GIB, **({"GPU": gpus} if gpus else {})}
    return {"NodeManagerAddress": ip, "Alive": alive, "Resources": resources}


def test_a_stage_asking_for_more_than_the_executor_default_gets_it():
    assert shape_for({"cpus": 2, "gpus": 0, "memory": None}, **DEFAULTS) == Shape(cpus=2, gpus=0, memory=None)
    assert shape_for({"cpus": 1, "gpus": 1, "memory": None}, **{**DEFAULTS, "cpus_per_task": 4}) == Shape(4, 1, None)


def test_memory_comes_from_the_stage_or_from_mem_per_cpu():
    per_cpu = {**DEFAULTS, "mem_per_cpu_gb": 2}
    assert shape_for({"cpus": 3}, **per_cpu).memory == 6 * GIB
    assert shape_for({"cpus": 3, "memory": 5 * GIB}, **per_cpu).memory == 5 * GIB, "a step's memory= wins"
    assert shape_for(None, **DEFAULTS).memory is None


def test_bundles_and_actor_options_name_only_what_is_asked():
    shape = Shape(cpus=2, gpus=0, memory=GIB, nodes=3)
    assert shape.bundle() == {"CPU": 2, "memory": GIB}
    assert Shape(1, 0.5, None).actor_options() == {"num_cpus": 1, "num_gpus": 0.5}
    assert shape.describe() == "3 distinct nodes with CPU=2, memory=1GiB each"


def test_a_multi_node_shape_needs_that_many_alive_nodes_that_fit():
    nodes = [node("127.0.0.2", 2), node("127.0.0.3", 1), node("127.0.0.4", 1), node("127.0.0.5", 8, alive=False)]
    check_feasible(Shape(1, 0, None, nodes=3), nodes, "s")
    with pytest.raises(PlacementError) as info:
        check_feasible(Shape(2, 0, None, nodes=2), nodes, "tokenize")
    message = str(info.value)
    assert "stage 'tokenize' need 2 distinct nodes with CPU=2 each" in message
    assert "only 1 of the 3 alive Ray nodes" in message and "127.0.0.3: CPU=1" in message
    assert "127.0.0.5" not in message, "dead nodes are not offered"


def test_a_gpu_task_on_a_cluster_without_gpus_is_refused():
    with pytest.raises(PlacementError, match="need CPU=1, GPU=1"):
        check_feasible(Shape(1, 1, None), [node("127.0.0.2", 4)], "embed")
    check_feasible(Shape(1, 1, None), [node("127.0.0.2", 4), node("127.0.0.3", 4, gpus=2)], "embed")


def test_lost_workers_nodes_and_objects_are_infrastructure_failures():
    died = classify(rex.ActorDiedError(), "127.0.0.3 pid 7")
    assert died.kind == INFRA and died.message == "the worker process died (127.0.0.3 pid 7)"
    assert "preempted" in classify(rex.RayActorError(preempted=True), "x").message
    oom = classify(rex.OutOfMemoryError("Task was killed due to the node running low on memory."), "x")
    assert oom.kind == INFRA and oom.message.startswith("the node ran low on memory")
    assert classify(rex.NodeDiedError("gone"), "x").message.startswith("the worker's node died")
    lost = classify(rex.ObjectLostError("ab" * 14, b"", ""), "x")
    assert lost.kind == INFRA and "ObjectLostError" in lost.message
    assert classify(rex.WorkerCrashedError(), "x").kind == INFRA


def test_a_worker_that_cannot_start_or_fails_by_itself_is_not_retried_as_infrastructure():
    init = classify(rex.RayActorError(error_msg="ModuleNotFoundError: shardflow", actor_init_failed=True), "x")
    assert init.kind == STEP and "could not start" in init.message and "ModuleNotFoundError" in init.message
    raised = classify(rex.RayTaskError("run_job", "Traceback ...", KeyError("k")), "x")
    assert raised.kind == STEP and "KeyError" in raised.message


def test_a_steps_time_limit_lowers_the_executors():
    from types import SimpleNamespace

    from shardflow.executors.ray import RayExecutor

    task = SimpleNamespace(resources={"cpus": 1, "time": 3})
    assert RayExecutor(time=10)._limit(task) == 3
    assert RayExecutor(time=2)._limit(task) == 2
    assert RayExecutor()._limit(SimpleNamespace(resources={"time": None})) is None
