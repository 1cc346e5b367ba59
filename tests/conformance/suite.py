"""The conformance checks every executor runs: outputs equal the oracle, bytes equal across runs."""

from __future__ import annotations

import pytest

import shardflow as sf
from shardflow.run import RunDir
from tests.conformance.pipelines import SHARDING_COLUMNS, UNORDERED, Case
from tests.helpers import file_digests, read_all, strip_nones


def _compare(case: Case, result, sets, where: str) -> None:
    expected = case.oracle(sets)
    assert set(result.outputs) == set(expected)
    hidden = SHARDING_COLUMNS.get(case.name, ())
    for leaf, rows in expected.items():
        got = [{k: v for k, v in r.items() if k not in hidden} for r in read_all(result.outputs[leaf])]
        want = [strip_nones(r) for r in rows]
        if case.name in UNORDERED:
            got, want = sorted(got, key=lambda r: r["id"]), sorted(want, key=lambda r: r["id"])
        assert got == want, f"{case.name}/{leaf} on {where} differs from the oracle"


def _accounted(result) -> None:
    """Every row a filter received is kept or dropped with a reason."""
    for name, stats in result.stats.items():
        if stats.dropped:
            assert stats.rows_in == stats.rows_out + sum(stats.dropped.values()), name


def _events_of_last_run(workdir: str) -> list[dict]:
    events = RunDir(workdir).events()
    start = max(i for i, e in enumerate(events) if e["event"] == "run_start")
    return events[start:]


def run_case(case: Case, executor, inputs, tmp_path, root: str | None = None) -> dict[str, str]:
    """Run ``case`` on ``executor``; check it against its oracle; return output digests.

    Outputs and the run directory go under ``root`` (a URL, e.g. on S3), else ``tmp_path``.
    """
    inp, sets = inputs
    root = root or str(tmp_path)
    out, workdir = f"{root}/out", f"{root}/run"
    if case.failing:
        return _run_failing(case, executor, inp, sets, out, workdir, tmp_path)
    result = case.build(inp, out).run(workdir=workdir, executor=executor, tasks=case.tasks)
    _compare(case, result, sets, type(executor).__name__)
    _accounted(result)
    return file_digests([f for files in result.outputs.values() for f in files], out)


def _run_failing(case: Case, executor, inp, sets, out, workdir, tmp_path) -> dict[str, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    poison = tmp_path / "poison"
    poison.touch()
    with pytest.raises(sf.RunFailed) as info:
        case.build(inp, out, str(poison)).run(workdir=workdir, executor=executor, tasks=case.tasks)
    failed = info.value.result.failures
    assert failed and all(t.startswith("poisoned/") for t in failed), failed
    assert "poisoned document" in str(info.value) and "resume with" in str(info.value)
    if case.policy == "continue":
        # the healthy branch finished completely despite the failure
        expected = case.oracle(sets)
        assert read_all(info.value.result.outputs["good_out"]) == [strip_nones(r) for r in expected["good_out"]]
    done_before = {e["task"] for e in _events_of_last_run(workdir) if e["event"] == "task_done"}

    poison.unlink()  # the bug is fixed; the step's code and config are unchanged
    result = case.build(inp, out, str(poison)).run(workdir=workdir, executor=executor, tasks=case.tasks)
    _compare(case, result, sets, type(executor).__name__)
    started = {e["task"] for e in _events_of_last_run(workdir) if e["event"] == "task_start"}
    assert not (started & done_before), "a rerun must not redo completed tasks"
    if case.policy == "continue":
        assert all(t.startswith("poisoned/") for t in started), "only the failed branch reruns"
    return file_digests([f for files in result.outputs.values() for f in files], out)
