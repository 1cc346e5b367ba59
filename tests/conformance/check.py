"""Run a conformance case on executors and check each against the oracle and the others."""

from __future__ import annotations

from typing import Callable

from tests.conformance.pipelines import UNORDERED, Case
from tests.helpers import file_digests, read_all, strip_nones


def check_case(case: Case, executors: dict[str, Callable[[], object]], inputs, tmp_path) -> None:
    """Run ``case`` once per executor: rows must match the oracle, and bytes must be equal."""
    inp, sets = inputs
    digests = {}
    for name, make in executors.items():
        out = str(tmp_path / name / "out")
        pipeline = case.build(inp, out)
        result = pipeline.run(workdir=str(tmp_path / name / "run"), executor=make(), tasks=case.tasks)
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
    first_name, first = next(iter(digests.items()))
    for name, other in digests.items():
        assert other == first, f"output bytes on {name} differ from {first_name}"
