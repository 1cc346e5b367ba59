"""A few chaos trials in CI: random SIGKILLs of workers and whole runs, rerun until done.

The full run is ``bench/chaos.py --trials 20`` on the shared corpus.
"""

from __future__ import annotations

import os

import pytest

from bench.chaos import run_trials


@pytest.mark.timeout(600)
def test_random_kills_lose_and_duplicate_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARDFLOW_CHAOS_SLOW", "0.4")  # a fast machine must not outrun the killer
    trials = run_trials(trials=3, docs=3000, synthetic=True, base=str(tmp_path))
    assert sum(t.kills for t in trials) > 0, "the chaos must actually kill something"
    assert any(t.whole_run_kills for t in trials)
    for t in trials:
        assert t.lost == 0 and t.duplicated == 0 and t.identical, t


def test_a_run_removes_temporaries_that_killed_writers_left(tmp_path):
    import shardflow as sf
    from shardflow.steps import read_jsonl, write_jsonl
    from tests.conformance.pipelines import write_inputs

    write_inputs(str(tmp_path / "in"))
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".tmp-0123456789abcdef0123456789abcdef-00001.jsonl.gz"
    stale.write_bytes(b"half a file")
    with sf.Pipeline("clean") as p:
        read_jsonl(str(tmp_path / "in" / "main")) >> write_jsonl(str(out), name="w")
    p.run(workdir=str(tmp_path / "run"), tasks=2, workers=1)
    assert not stale.exists()
    assert sorted(os.listdir(out)) == ["00000.jsonl.gz", "00001.jsonl.gz"]
