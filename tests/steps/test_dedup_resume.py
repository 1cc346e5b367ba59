"""A dedup killed mid-run, or mid-task, and rerun: the same bytes, each document once.

The filter stage of tests/steps/dedup_pipeline.py is slowed down, the whole run (driver and
workers) is SIGKILLed while it runs, then the run is resumed in this process.
"""

from __future__ import annotations

import glob
import os
import sys

import orjson
import pytest

from tests.helpers import file_digests, kill_run_when, read_all
from tests.steps.dedup_pipeline import build
from tests.steps.test_dedup import exact_case, load_sample, write_shards

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "steps", "dedup_pipeline.py")


@pytest.fixture()
def case(tmp_path):
    shards, expected = exact_case(load_sample())
    return write_shards(tmp_path / "in", shards), expected, sum(map(len, shards)) - len(expected)


def filter_markers(workdir: str) -> list[str]:
    return glob.glob(os.path.join(workdir, "stages", "exact_dedup-*", "done", "*.json"))


def filter_parts(workdir: str) -> int:
    """Parts committed so far by the filter stage's unfinished tasks."""
    parts = 0
    for path in glob.glob(os.path.join(workdir, "stages", "exact_dedup-*", "progress", "*.json")):
        try:
            parts += orjson.loads(open(path, "rb").read())["part"]
        except (orjson.JSONDecodeError, FileNotFoundError, KeyError):
            pass
    return parts


def reference(case, tmp_path, part_rows):
    inp, expected, dropped = case
    out = str(tmp_path / "ref")
    result = build(inp, out).run(workdir=str(tmp_path / "ref-run"), workers=2, part_rows=part_rows, progress=False)
    assert [r["id"] for r in read_all(result.outputs["w"])] == expected
    return file_digests(result.outputs["w"], out)


def kill_and_resume(case, tmp_path, part_rows, ready):
    inp, expected, dropped = case
    out, workdir = str(tmp_path / "out"), str(tmp_path / "run")
    env = {**os.environ, "SHARDFLOW_TEST_SLOW": "0.3", "PYTHONPATH": ROOT}
    kill_run_when([sys.executable, SCRIPT, inp, out, workdir, "2", str(part_rows or 0)], env, lambda: ready(workdir))
    assert len(filter_markers(workdir)) < 4, "the kill must land before the filter stage ends"
    result = build(inp, out).run(workdir=workdir, workers=2, part_rows=part_rows, progress=False)
    rows = read_all(result.outputs["w"])
    assert [r["id"] for r in rows] == expected, "every kept document once, in input order"
    assert result.stats["exact_dedup"].dropped["exact_duplicate"] == dropped
    assert result.stats["w"].rows_out == len(expected)
    return result, file_digests(result.outputs["w"], out)


@pytest.mark.timeout(120)
def test_run_killed_mid_filter_stage_resumes_byte_identical(case, tmp_path):
    want = reference(case, tmp_path, None)
    result, got = kill_and_resume(case, tmp_path, None, lambda w: len(filter_markers(w)) >= 1)
    assert got == want
    assert result.reused >= 1 + 4 + 4 + 1, "the readers, the digests, the global step and a filter task are kept"


@pytest.mark.timeout(120)
def test_task_killed_after_a_committed_part_resumes_inside_the_task(case, tmp_path):
    want = reference(case, tmp_path, 10)
    result, got = kill_and_resume(case, tmp_path, 10, lambda w: filter_parts(w) >= 1)
    assert got == want, "same files (parts included), same bytes as uninterrupted"
    # the filter numbered its rows from where the committed part ended, and still had its
    # drop list, which a resumed part must not skip as if it were data
    assert result.stats["exact_dedup"].counters["resume_skipped_rows"] >= 10
