"""The executor conformance suite on the local executor, with 1 and 2 workers."""

from __future__ import annotations

import pytest

import shardflow as sf
from tests.conformance.pipelines import CASES, write_inputs
from tests.conformance.suite import run_case

EXECUTORS = {
    "local-1": lambda: sf.LocalExecutor(workers=1),
    "local-2": lambda: sf.LocalExecutor(workers=2),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    return str(root), write_inputs(str(root))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance(case, inputs, tmp_path):
    digests = {name: run_case(case, make(), inputs, tmp_path / name) for name, make in EXECUTORS.items()}
    first, *rest = digests.values()
    for other in rest:
        assert other == first, "output bytes must not depend on the number of workers"
