"""Whole runs on S3: killed and resumed, the server restarted mid-run, credentials kept out.

Inputs, outputs and the run directory are all on the loopback S3 server.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import pytest

import shardflow as sf
from shardflow.steps import filter_rows, map_batches, read_jsonl, write_jsonl, write_parquet
from tests.conformance.pipelines import write_inputs
from tests.helpers import file_digests, kill_run_when, read_all
from tests.run.slow_pipeline import build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "run", "slow_pipeline.py")
TASKS = 6
TOTAL_TASKS = TASKS * 3  # the slow pipeline has three stages


@pytest.fixture(scope="module")
def local_inputs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("inputs"))
    return root, write_inputs(root)


@pytest.fixture(scope="module")
def reference(local_inputs, tmp_path_factory):
    """Digests of the slow pipeline's outputs, run on the local disk."""
    base = tmp_path_factory.mktemp("reference")
    result = build(f"{local_inputs[0]}/main", str(base / "out")).run(workdir=str(base / "run"), tasks=TASKS, workers=2)
    return file_digests(_files(result.outputs), str(base / "out"))


@pytest.fixture
def s3_main(local_inputs, s3_root, s3fs_client):
    """The main input set, uploaded under this test's prefix."""
    url = f"{s3_root}/in/main"
    s3fs_client.put(f"{local_inputs[0]}/main/", url.removeprefix("s3://") + "/", recursive=True)
    return url


def _files(outputs):
    return sorted(f for files in outputs.values() for f in files)


def _markers(fs, workdir):
    """Task ids with a completion marker (``stages/<stage>-<key>/done/<shard>.json``)."""
    done = set()
    for key in fs.find(workdir.removeprefix("s3://") + "/stages"):
        parts = key.split("/")
        if parts[-2] == "done":
            done.add(f"{parts[-3].rsplit('-', 1)[0]}/{parts[-1].removesuffix('.json')}")
    return done


def _last_run(events):
    start = max(i for i, e in enumerate(events) if e["event"] == "run_start")
    return events[start:]


@pytest.mark.timeout(180)
def test_sigkill_of_the_whole_run_then_rerun_is_byte_identical(s3_env, s3_main, s3_root, s3fs_client, reference):
    out, workdir = f"{s3_root}/out", f"{s3_root}/run"
    env = {**os.environ, "SHARDFLOW_TEST_SLOW": "0.15", "PYTHONPATH": ROOT}
    kill_run_when([sys.executable, SCRIPT, s3_main, out, workdir, str(TASKS), "2"], env,
                  lambda: len(_markers(s3fs_client, workdir)) >= 3, timeout=90)
    done_before = _markers(s3fs_client, workdir)
    assert 3 <= len(done_before) < TOTAL_TASKS, "the kill must land mid-run"

    # The killed run's lock is taken over (a conditional PUT on its ETag); done tasks are kept.
    result = build(s3_main, out).run(workdir=workdir, tasks=TASKS, workers=2)
    assert file_digests(_files(result.outputs), out) == reference, "the same bytes as an unbroken local run"
    second = _last_run(sf.run.RunDir(workdir).events())
    reused = {e["task"] for e in second if e["event"] == "task_reused"}
    started = {e["task"] for e in second if e["event"] == "task_start"}
    assert done_before <= reused and not (started & done_before), "completed tasks must not run again"
    assert result.reused == len(reused) and result.ran == TOTAL_TASKS - len(reused)
    assert s3fs_client.call_s3("list_multipart_uploads", Bucket="shardflow", Prefix=s3_root.split("/", 3)[3]).get("Uploads", []) == []


@pytest.mark.timeout(180)
def test_a_restart_of_the_s3_server_mid_run_is_ridden_out(s3_env, s3_server, s3_main, s3_root, s3fs_client, reference, monkeypatch):
    monkeypatch.setenv("SHARDFLOW_TEST_SLOW", "0.1")
    out, workdir = f"{s3_root}/out", f"{s3_root}/run"
    seen: dict[str, int] = {}

    def bounce():
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            done = len(_markers(s3fs_client, workdir)) if s3fs_client.exists(workdir) else 0
            if done >= 2:
                seen["before"] = done
                s3_server.restart(down_for=2.0)  # every request in flight fails meanwhile
                return
            time.sleep(0.05)

    thread = threading.Thread(target=bounce)
    thread.start()
    try:
        result = build(s3_main, out).run(workdir=workdir, tasks=TASKS, workers=2)
    finally:
        thread.join()
    assert 2 <= seen["before"] < TOTAL_TASKS, "the server must go down mid-run"
    assert result.ran + result.reused == TOTAL_TASKS and not result.failures
    assert file_digests(_files(result.outputs), out) == reference
    events = sf.run.RunDir(workdir).events()
    assert [e["status"] for e in events if e["event"] == "run_end"] == ["ok"]
    retried = [e for e in events if e["event"] == "task_failed"]
    assert all(e["kind"] == "infra" for e in retried), "a storage outage is an infrastructure failure"


class Verbose(sf.Transform):
    """A user debugging: every logger at DEBUG, storage clients included."""

    def setup(self):
        import logging

        logging.getLogger().setLevel(logging.DEBUG)

    def process(self, table):
        return table


class Boom(sf.Transform):
    """Fails on the batches of input file 1 (ids ``m1-*``)."""

    def process(self, table):
        if any(i.startswith("m1-") for i in table.column("id").to_pylist()):
            raise RuntimeError("cannot handle this shard")
        return table


@pytest.mark.timeout(120)
def test_credentials_never_reach_the_run_directory(s3_server, local_inputs, s3_root, s3fs_client, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)  # only storage_options can reach the server
    opts = s3_server.storage_options
    s3fs_client.put(f"{local_inputs[0]}/main/", f"{s3_root.removeprefix('s3://')}/in/main/", recursive=True)
    out, workdir = f"{s3_root}/out", f"{s3_root}/run"

    def pipeline(fail: bool) -> sf.Pipeline:
        with sf.Pipeline("creds") as p:
            docs = read_jsonl(f"{s3_root}/in/main", storage_options=opts, batch_size=40) >> Verbose(name="verbose")
            kept = docs >> filter_rows(lambda d: len(d["text"]) > 60, name="kept", rejected=f"{out}/rejected")
            kept >> write_jsonl(f"{out}/a", storage_options=opts, name="a")
            tail = kept >> (Boom(name="boom") if fail else map_batches(lambda t: t, name="boom"))
            tail >> write_parquet(f"{out}/b", storage_options=opts, name="b")
        return p

    with pytest.raises(sf.RunFailed) as failed:
        pipeline(True).run(workdir=workdir, tasks=4, workers=2, storage_options=opts, part_rows=60)
    result = pipeline(False).run(workdir=workdir, tasks=4, workers=2, storage_options=opts, part_rows=60)
    assert read_all(result.outputs["a"], opts) == read_all(result.outputs["b"], opts) != []

    keys = s3fs_client.find(s3_root.removeprefix("s3://"))
    kinds = {k.rsplit("/", 2)[-2] for k in keys}
    assert {"done", "logs", "events", "rejected", "a", "b"} <= kinds, kinds  # every kind of object was written
    secrets = (opts["key"].encode(), opts["secret"].encode())
    for key, data in s3fs_client.cat(keys).items():
        assert not any(s in data for s in secrets), f"a credential leaked into {key}"
    assert not any(s.decode() in str(failed.value) for s in secrets)


RECIPE = """\
pipeline: cli_s3
run:
  workdir: {root}/run
  tasks: 2
  workers: 2
  storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}
steps:
  - {{name: docs, use: read_jsonl, args: {{paths: "{root}/in/main"}}}}
  - {{name: long, use: filter_rows, input: docs, where: "len(row['text']) > 60"}}
  - {{name: long_out, use: write_jsonl, input: long, args: {{path: "{root}/out/long"}}}}
"""


@pytest.mark.timeout(120)
def test_a_recipe_runs_on_s3_and_the_cli_reads_the_run_back(s3_env, s3_server, s3_main, s3_root, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from shardflow.cli import main

    monkeypatch.delenv("AWS_ENDPOINT_URL")  # the endpoint comes from the recipe, the keys from the environment
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.format(root=s3_root, endpoint=s3_server.endpoint))
    runner = CliRunner()
    ran = runner.invoke(main, ["run", str(recipe)])
    assert ran.exit_code == 0, ran.output
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)  # status/stats take no options: the environment
    status = runner.invoke(main, ["status", f"{s3_root}/run"])
    assert status.exit_code == 0 and "all tasks done" in status.output, status.output
    stats = json.loads(runner.invoke(main, ["stats", f"{s3_root}/run", "--json"]).output)
    assert stats["long"]["rows_in"] == len(read_all([f"{s3_main}/{n}" for n in ("part-0.jsonl", "part-1.jsonl.gz", "part-2.jsonl", "part-3.jsonl.gz")]))
    missing = runner.invoke(main, ["status", f"{s3_root}/nothing-here"])
    assert missing.exit_code != 0 and "not a shardflow run directory" in missing.output


@pytest.mark.timeout(120)
@pytest.mark.parametrize("list_from", [1, 1000], ids=["listing", "per-file"])
def test_damaged_outputs_on_s3_are_found_and_recomputed(s3_env, s3_main, s3_root, s3fs_client, reference, monkeypatch, list_from):
    monkeypatch.setattr("shardflow.run.intact.LIST_FROM", list_from)  # sizes by listing, or by HEAD
    out, workdir = f"{s3_root}/out", f"{s3_root}/run"
    first = build(s3_main, out).run(workdir=workdir, tasks=TASKS, workers=2)
    missing, truncated = first.outputs["a"][1], first.outputs["b"][2]
    s3fs_client.rm_file(missing)
    s3fs_client.pipe_file(truncated, s3fs_client.cat_file(truncated)[:-10])
    again = build(s3_main, out).run(workdir=workdir, tasks=TASKS, workers=2)
    assert again.ran == 2 and again.reused == TOTAL_TASKS - 2
    damaged = {e["path"]: e["problem"] for e in sf.run.RunDir(workdir).events() if e["event"] == "output_damaged"}
    assert damaged[missing] == "missing" and damaged[truncated].startswith("size ")
    assert file_digests(_files(again.outputs), out) == reference
