"""The executor conformance suite on the local executor, with 1 and 2 workers."""

from __future__ import annotations

import pytest

import shardflow as sf
from tests.conformance.check import check_case
from tests.conformance.pipelines import CASES, write_inputs

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
    check_case(case, EXECUTORS, inputs, tmp_path)
