"""Failures on Slurm: a killed element is retried; a failing one is retried, then reported,
and nothing waits for it forever; the rerun submits only what is not done."""

from __future__ import annotations

import glob
import os

import pytest

import shardflow as sf
from shardflow.executors.slurm.queue import queued
from shardflow.report.status import run_status
from tests.conformance.pipelines import with_length, write_inputs
from tests.helpers import read_all, strip_nones
from tests.slurm.conftest import slurm
from tests.slurm.helpers import events, of, run_jobs
from tests.slurm.steps import flag, trapped


@pytest.fixture(scope="module")
def main_docs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("inputs"))
    sets = write_inputs(root)
    return f"{root}/main", sets["main"]


def assert_outputs(result, docs):
    assert read_all(result.outputs["a"]) == [strip_nones(d) for d in docs]
    assert read_all(result.outputs["b"]) == [strip_nones(with_length(d)) for d in docs]


@pytest.mark.timeout(120)
def test_killed_element_is_retried_and_what_reads_it_runs_after(main_docs, tmp_path, slurm_cluster):
    inp, docs = main_docs
    flags = str(tmp_path / "flags")
    kill = flag(flags, "m1-0005", "kill")
    workdir = str(tmp_path / "run")
    result = trapped(inp, str(tmp_path / "out"), flags).run(workdir=workdir, executor=slurm(), tasks=5)

    assert not os.path.exists(kill), "the trap never fired"
    assert result.ok and result.ran == 15
    assert_outputs(result, docs)
    found = events(workdir)
    [failed] = of(found, "task_failed")
    assert (failed["kind"], failed["attempt"]) == ("infra", 1) and failed["retry_in"] is not None
    bad = failed["task"]
    assert any(e["task"] == bad and e["attempt"] == 2 for e in of(found, "task_done"))
    # Slurm cancelled the two tasks reading the killed one (their dependency could never be
    # met), and round 2 ran them: submitted twice, never failed.
    shard = bad.rsplit("/", 1)[1]
    readers = [e["task"] for e in of(found, "task_start") if e["task"].endswith(shard) and e["task"] != bad]
    assert sorted(readers) == sorted([f"a/{shard}", f"length/{shard}"] * 2)


@pytest.mark.timeout(150)
def test_failing_element_is_retried_then_reported_and_the_rerun_submits_only_the_rest(main_docs, tmp_path, slurm_cluster):
    inp, docs = main_docs
    flags = str(tmp_path / "flags")
    trap = flag(flags, "m2-0007", "raise")
    workdir, out = str(tmp_path / "run"), str(tmp_path / "out")
    with pytest.raises(sf.RunFailed) as err:
        trapped(inp, out, flags, retries=1).run(workdir=workdir, executor=slurm(), tasks=5)

    message = str(err.value)
    assert "RuntimeError: trap on m2-0007" in message and "resume with" in message
    found = events(workdir)
    failed = of(found, "task_failed")
    assert [(e["attempt"], e["kind"], e["step"], e["retry_in"] is None) for e in failed] == [
        (1, "step", "trap", False),
        (2, "step", "trap", True),
    ]
    bad = failed[0]["task"]
    assert list(err.value.result.failures) == [bad]
    # Everything else is done, what reads the failed task never ran, and no job is left
    # pending on a dependency that cannot be met.
    shard = bad.rsplit("/", 1)[1]
    stages = run_status(workdir).stages
    assert {s.id: (s.done, s.failed) for s in stages} == {
        "read_jsonl": (4, [bad]), "a": (4, []), "length": (4, []),
    }
    started = glob.glob(os.path.join(workdir, "slurm", "runs", "*", "attempts", "a-*", "*.json"))
    assert sorted(os.path.basename(p) for p in started) == [f"{s:05d}-1.json" for s in range(5) if f"{s:05d}" != shard]
    assert queued(run_jobs(workdir)) == {}

    os.remove(trap)
    result = trapped(inp, out, flags, retries=1).run(workdir=workdir, executor=slurm(), tasks=5)
    assert (result.ran, result.reused) == (3, 12)
    assert sorted(e["task"] for e in of(events(workdir), "task_start")) == sorted([bad, f"a/{shard}", f"length/{shard}"])
    assert_outputs(result, docs)

