"""The executor conformance suite on Ray (a single-node local Ray on loopback).

Each case runs on the local executor first, then on Ray with one task per call and with
several tasks per call: rows must match the oracle and output bytes the local executor's.
"""

from __future__ import annotations

import pytest

import shardflow as sf
from tests.conformance.pipelines import CASES
from tests.conformance.suite import run_case
from tests.conformance.test_local import inputs  # noqa: F401 - the shared input fixture
from tests.ray_support import local_ray

EXECUTORS = {
    "local-2": lambda: sf.LocalExecutor(workers=2),
    "ray-2": lambda: sf.RayExecutor(workers=2),
    "ray-3-per-job": lambda: sf.RayExecutor(tasks_per_job=3),
}


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    with local_ray(num_cpus=2):
        yield


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance_on_ray(case, inputs, tmp_path):  # noqa: F811
    digests = {name: run_case(case, make(), inputs, tmp_path / name) for name, make in EXECUTORS.items()}
    local = digests.pop("local-2")
    for name, other in digests.items():
        assert other == local, f"output bytes on {name} differ from the local executor's"


@pytest.mark.timeout(120)
def test_a_run_resumes_across_executors(inputs, tmp_path):  # noqa: F811
    """Markers are the same whoever wrote them: Ray reuses local work and the other way round."""
    case = next(c for c in CASES if c.name == "fan_out")  # a checkpointed stage and two branches
    inp, _ = inputs
    make = {"local": lambda: sf.LocalExecutor(workers=2), "ray": lambda: sf.RayExecutor(workers=2)}
    for first, second in (("local", "ray"), ("ray", "local")):
        pipeline = case.build(inp, str(tmp_path / first / "out"))
        workdir = str(tmp_path / first / "run")
        done = pipeline.run(workdir=workdir, executor=make[first](), tasks=case.tasks)
        again = pipeline.run(workdir=workdir, executor=make[second](), tasks=case.tasks)
        assert done.ran > 0 and again.ran == 0 and again.reused == done.ran, (first, second)
        assert again.outputs == done.outputs
