"""A detached Slurm run: the driver exits after submitting, ``shardflow status`` follows the
run from its directory, supervisor jobs retry and close it, and a rerun resumes it."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

import shardflow as sf
from shardflow.cli import main
from shardflow.executors.slurm.status import slurm_status
from shardflow.report.status import run_status
from tests.conformance.pipelines import write_inputs
from tests.slurm.conftest import slurm
from tests.slurm.helpers import output_digests, wait_for_end
from tests.slurm.steps import flag, slow_down, trapped


def status_text(workdir: str) -> str:
    result = CliRunner().invoke(main, ["status", workdir], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.timeout(240)
def test_detached_run_is_followed_with_status_and_resumed(tmp_path, slurm_cluster):
    inp = str(tmp_path / "inputs")
    write_inputs(inp)
    flags, workdir, out = str(tmp_path / "flags"), str(tmp_path / "run"), str(tmp_path / "out")
    flag(flags, "m1-0005", "kill")  # crashes once: the supervisor retries it in round 2
    bad = flag(flags, "m3-0009", "raise")  # fails for good until removed
    slow = slow_down(flags, 1)  # so that the run is surely still queued when we look

    # on_failure="continue": the failing shard does not stop the retry of the crashed one.
    pipeline = trapped(f"{inp}/main", out, flags, on_failure="continue")

    def submit():
        return pipeline.run(workdir=workdir, executor=slurm(detach=True), tasks=5)

    result = submit()
    assert result.detached and result.ran == 0 and not any(result.outputs.values())
    queued = slurm_status(workdir)
    assert queued.in_queue and queued.end is None
    assert {j["stage"] for j in queued.jobs} == {"read_jsonl", "a", "length", None}  # None: the supervisor
    text = status_text(workdir)
    assert "goes on in the Slurm queue" in text and queued.jobs[0]["job"] in text
    with pytest.raises(RuntimeError, match="scancel"):
        submit()  # the run's jobs are still queued: a second driver must not submit again

    end = wait_for_end(workdir)
    assert end["status"] == "failed" and end["rounds"] == 2 and end["retries"] == 1
    [failed] = end["failures"]
    assert "trap on m3-0009" in end["failures"][failed]
    stages = run_status(workdir).stages
    assert {s.id: (s.done, s.failed) for s in stages} == {
        "read_jsonl": (4, [failed]), "a": (4, []), "length": (4, []),
    }
    text = status_text(workdir)
    assert "ended: failed after 2 rounds" in text and "Resume with" in text
    assert os.path.exists(os.path.join(workdir, "stats.json"))

    os.remove(bad)
    os.remove(slow)
    result = submit()
    assert result.detached and result.reused == 12
    assert wait_for_end(workdir)["status"] == "ok"
    assert "all tasks done" in status_text(workdir)

    # The same bytes as the local executor writes in one go.
    ref_work, ref_out = str(tmp_path / "ref-run"), str(tmp_path / "ref-out")
    reference = trapped(f"{inp}/main", ref_out, flags, on_failure="continue")
    reference.run(workdir=ref_work, executor=sf.LocalExecutor(workers=2), tasks=5)
    got = output_digests(pipeline.plan(5), workdir, out)
    assert len(got) == 10 and got == output_digests(reference.plan(5), ref_work, ref_out)
