"""Reading a Slurm run's records back in tests."""

from __future__ import annotations

import os
import time

import orjson

from shardflow.executors.slurm.records import read_jobs
from shardflow.plan import Plan
from shardflow.run import RunDir
from shardflow.run.result import leaf_outputs
from tests.helpers import file_digests


def events(workdir: str, since_last_start: bool = True) -> list[dict]:
    found = RunDir(workdir).events()
    if since_last_start:
        start = max(i for i, e in enumerate(found) if e["event"] == "run_start")
        found = found[start:]
    return found


def of(found: list[dict], kind: str) -> list[dict]:
    return [e for e in found if e["event"] == kind]


def run_jobs(workdir: str) -> list[str]:
    """Job ids of the last run recorded in the run directory."""
    jobs = read_jobs(workdir)
    return [j["job"] for j in jobs if j["run"] == jobs[-1]["run"]]


def wait_for_end(workdir: str, timeout: float = 90) -> dict:
    """Wait for the last detached run's ``end.json`` (written by its last supervisor job)."""
    run_id = read_jobs(workdir)[-1]["run"]
    path = os.path.join(workdir, "slurm", "runs", run_id, "end.json")
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"the detached run did not end in {timeout}s ({path})"
        time.sleep(0.5)
    with open(path, "rb") as f:
        return orjson.loads(f.read())


def output_digests(plan: Plan, workdir: str, out: str) -> dict[str, str]:
    """Hash of every output file the run's markers list, by path under ``out``."""
    outputs = leaf_outputs(plan, RunDir(workdir).completed(plan))
    return file_digests(sorted(f for files in outputs.values() for f in files), out)
