"""The executor conformance suite on the local executor, with 1 and 2 workers."""

from __future__ import annotations

import pytest

import shardflow as sf
from tests.conformance.pipelines import CASES, UNORDERED, write_inputs
from tests.helpers import file_digests, read_all, strip_nones

EXECUTORS = {
    "local-1": lambda: sf.LocalExecutor(workers=1),
    "local-2": lambda: sf.LocalExecutor(workers=2),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    return str(root), write_inputs(str(root))


def run_case(case, executor, inputs, tmp_path):
    inp, sets = inputs
    out = str(tmp_path / "out")
    pipeline = case.build(inp, out)
    result = pipeline.run(workdir=str(tmp_path / "run"), executor=executor, tasks=case.tasks)
    return result, out, sets


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance(case, inputs, tmp_path):
    digests = {}
    for name, make in EXECUTORS.items():
        result, out, sets = run_case(case, make(), inputs, tmp_path / name)
        expected = case.oracle(sets)
        assert set(result.outputs) == set(expected)
        for leaf, rows in expected.items():
            got = read_all(result.outputs[leaf])
            want = [strip_nones(r) for r in rows]
            if case.name in UNORDERED:
                key = lambda r: r["id"]  # noqa: E731
                got, want = sorted(got, key=key), sorted(want, key=key)
            assert got == want, f"{case.name}/{leaf} on {name} differs from the oracle"
        digests[name] = file_digests([f for files in result.outputs.values() for f in files], out)
        # every input row is accounted for: kept or dropped with a reason
        for step, stats in result.stats.items():
            if stats.rows_in and step.startswith("filter"):
                assert stats.rows_in == stats.rows_out + sum(stats.dropped.values())
    first, *rest = digests.values()
    for other in rest:
        assert other == first, "output bytes must not depend on the number of workers"
