"""The supervisor job of a detached run: ``python -m shardflow.executors.slurm.supervise ROUND``.

Each round of a detached run submits it last, after all its arrays (``afterany``). It reads
what the round did and submits the next round (retries, and what a failure had cancelled)
with a new supervisor; when nothing is left it closes the run as the driver would have:
``stats.json``, the ``run_end`` event, and ``slurm/runs/<run>/end.json`` for ``shardflow status``.
"""

from __future__ import annotations

import os
import sys

import orjson

from shardflow.executors.slurm.records import read_pickle
from shardflow.executors.slurm.rounds import RoundSpec, RunSpec, SlurmRun
from shardflow.run.runner import finish_run


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m shardflow.executors.slurm.supervise ROUND_PICKLE", file=sys.stderr)
        return 2
    spec: RunSpec = read_pickle(os.path.join(os.path.dirname(argv[1]), "run.pkl"))
    rnd: RoundSpec = read_pickle(argv[1])
    run = SlurmRun(spec)
    nxt = run.advance(rnd)
    if isinstance(nxt, RoundSpec):
        run.submit(nxt)
        print(f"round {rnd.number} ended; submitted round {nxt.number}: {len(nxt.attempts)} tasks, jobs {run.job_ids}")
        return 0
    result, status = finish_run(run.plan, run.rundir, nxt, spec.started)
    end = {
        "status": status,
        "rounds": rnd.number,
        "ran": nxt.ran,
        "retries": nxt.retries,
        "failures": {str(t): f.message for t, f in sorted(nxt.failures.items())},
        "blocked": len(nxt.blocked),
        "command": spec.command,
    }
    with open(run.files.end, "wb") as f:
        f.write(orjson.dumps(end, option=orjson.OPT_INDENT_2))
    print(f"run {status} after {rnd.number} rounds: {nxt.ran} tasks ran, {len(nxt.failures)} failed")
    for task, message in end["failures"].items():
        print(f"  {task}: {message}")
    return 0 if status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
