"""The executor conformance suite on a real Slurm cluster: the oracle's rows, and the very
bytes the local executor writes, for every named pipeline (failing ones included: they
fail, report, and resume the same way)."""

from __future__ import annotations

import pytest

import shardflow as sf
from tests.conformance.pipelines import CASES, write_inputs
from tests.conformance.suite import run_case
from tests.slurm.conftest import slurm


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    return str(root), write_inputs(str(root))


def same_bytes(case, executors, inputs, tmp_path):
    digests = {name: run_case(case, make(), inputs, tmp_path / name) for name, make in executors.items()}
    first, *rest = digests.values()
    for other in rest:
        assert other == first, f"{case.name}: output bytes differ between {list(digests)}"


@pytest.mark.timeout(150)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance_on_slurm(case, inputs, tmp_path, slurm_cluster):
    same_bytes(case, {"local": lambda: sf.LocalExecutor(workers=2), "slurm": slurm}, inputs, tmp_path)


@pytest.mark.timeout(150)
@pytest.mark.parametrize("case", [c for c in CASES if c.name in ("fan_out", "global")], ids=lambda c: c.name)
def test_conformance_with_grouped_elements(case, inputs, tmp_path, slurm_cluster):
    # Several tasks per element and arrays of two elements: elements and arrays no longer
    # match tasks one to one, so dependencies fall back from aftercorr to afterok.
    grouped = lambda: slurm(tasks_per_job=2, max_array_size=2)  # noqa: E731
    same_bytes(case, {"local": lambda: sf.LocalExecutor(workers=2), "slurm-grouped": grouped}, inputs, tmp_path)
