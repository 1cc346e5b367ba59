"""Changing one branch reruns only that branch; changing the prefix reruns everything below it."""

from __future__ import annotations

import os

import orjson

import shardflow as sf
from shardflow.steps import filter_rows, map_rows, read_jsonl, write_jsonl
from tests.conformance.pipelines import write_inputs
from tests.helpers import read_all, strip_nones


def build(inp: str, out: str, prefix_min: int, branch_min: int) -> sf.Pipeline:
    with sf.Pipeline("incremental") as p:
        kept = read_jsonl(inp) >> filter_rows(lambda d: len(d["text"]) > prefix_min, name="kept")
        kept >> map_rows(lambda d: {**d, "branch": "a"}, name="tag_a") >> write_jsonl(f"{out}/a", name="a")
        kept >> filter_rows(lambda d: len(d["text"]) > branch_min, name="longer") >> write_jsonl(f"{out}/b", name="b")
    return p


def _second_run(workdir):
    with open(os.path.join(workdir, "events.jsonl"), "rb") as f:
        events = [orjson.loads(line) for line in f]
    last = max(i for i, e in enumerate(events) if e["event"] == "run_start")
    second = events[last:]
    started = {e["task"].split("/")[0] for e in second if e["event"] == "task_start"}
    reused = {e["task"].split("/")[0] for e in second if e["event"] == "task_reused"}
    return started, reused


def test_changing_one_branch_reruns_only_that_branch(tmp_path):
    inp = str(tmp_path / "in")
    sets = write_inputs(inp)
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    build(f"{inp}/main", out, 20, 100).run(workdir=workdir, tasks=4, workers=2)
    result = build(f"{inp}/main", out, 20, 150).run(workdir=workdir, tasks=4, workers=2)
    started, reused = _second_run(workdir)
    assert started == {"longer"}
    assert reused == {"read_jsonl", "tag_a"}
    assert read_all(result.outputs["b"]) == [strip_nones(d) for d in sets["main"] if len(d["text"]) > 150]

    build(f"{inp}/main", out, 30, 150).run(workdir=workdir, tasks=4, workers=2)
    started, reused = _second_run(workdir)
    assert started == {"read_jsonl", "tag_a", "longer"} and not reused
