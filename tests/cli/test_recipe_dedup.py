"""Exact and MinHash dedup in YAML recipes, run through the command line.

A recipe names a dedup like any step (``use: exact_dedup``, ``use: minhash_dedup``); the
loader validates its arguments with the dedup's pydantic model, naming the file and line,
and ``>>`` expands it into its three stages.
"""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

import shardflow as sf
from shardflow.cli import main
from shardflow.steps import exact_dedup, minhash_dedup, read_jsonl, write_jsonl
from tests.helpers import read_all
from tests.steps.test_dedup import edit, exact_case, load_sample, write_shards

RECIPE = """\
pipeline: dedup_recipe
run: {{workers: 2}}
steps:
  - {{name: docs, use: read_jsonl, args: {{paths: "{inp}"}}}}
  - name: exact
    use: exact_dedup
    input: docs
    rejected: "{out}/exact_dropped"
  - name: near
    use: minhash_dedup
    input: exact
    args: {{ngram: 5, bands: 14, rows: 8, seed: 1}}
  - {{name: kept, use: write_jsonl, input: near, args: {{path: "{out}/kept"}}}}
"""


def docs_with_both_kinds_of_duplicates() -> tuple[list[list[dict]], int]:
    docs = load_sample()
    shards, _ = exact_case(docs)
    rng = random.Random(3)  # the edited copies of tests/steps/test_dedup.py, all caught there
    near = [dict(docs[i], id=f"near-{i}", text=edit(docs[i]["text"], rng)) for i in range(0, 30, 2)]
    shards[-1] = shards[-1] + near
    return shards, len(near)


def python_oracle(pattern: str, tmp_path) -> list[str]:
    """The same pipeline written in Python."""
    with sf.Pipeline("oracle") as p:
        kept = minhash_dedup(read_jsonl(pattern) >> exact_dedup(), ngram=5, bands=14, rows=8, seed=1)
        kept >> write_jsonl(str(tmp_path / "oracle"))
    result = p.run(workdir=str(tmp_path / "oracle-run"), workers=1, progress=False)
    return [r["id"] for r in read_all(result.outputs["write_jsonl"])]


def test_a_recipe_with_exact_and_minhash_dedup_runs_from_the_cli(tmp_path):
    shards, n_near = docs_with_both_kinds_of_duplicates()
    pattern = write_shards(tmp_path / "in", shards)
    recipe = tmp_path / "dedup.yaml"
    recipe.write_text(RECIPE.format(inp=pattern, out=tmp_path / "out"))
    runner = CliRunner()
    res = runner.invoke(main, ["run", str(recipe), "--workdir", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output

    files = sorted(str(p) for p in (tmp_path / "out" / "kept").iterdir())
    kept = [r["id"] for r in read_all(files)]
    assert kept == python_oracle(pattern, tmp_path)
    assert not any(i.startswith(("dup-", "near-")) for i in kept)

    stats = json.loads(runner.invoke(main, ["stats", str(tmp_path / "run"), "--json"]).output)
    assert stats["exact"]["dropped"] == {"exact_duplicate": 7}
    assert stats["near_filter"]["dropped"] == {"minhash_duplicate": n_near}
    assert {"exact_digests", "exact_duplicates", "near_signatures", "near_clusters"} <= set(stats)
    dropped = read_all(sorted(str(p) for p in (tmp_path / "out" / "exact_dropped").iterdir()))
    assert len(dropped) == 7 and {r["reject_reason"] for r in dropped} == {"exact_duplicate"}

    plan = runner.invoke(main, ["plan", str(recipe)])
    assert plan.exit_code == 0 and "near_clusters" in plan.output and "exact_duplicates" in plan.output


@pytest.mark.parametrize("args, message", [
    ("{ngram: 0}", "dedup.yaml:9: steps.1.args.ngram: Input should be greater than or equal to 1"),
    ("{ngram: five}", "dedup.yaml:9: steps.1.args.ngram: Input should be a valid integer"),
    ("{bandz: 3}", "dedup.yaml:9: steps.1.args.bandz: Extra inputs are not permitted (remove it, or check its spelling)"),
])
def test_bad_dedup_arguments_name_the_file_and_line(tmp_path, args, message):
    recipe = tmp_path / "dedup.yaml"
    recipe.write_text(
        "pipeline: bad\n"
        "steps:\n"
        "  - name: docs\n"
        "    use: read_jsonl\n"
        "    args: {paths: in/*.jsonl}\n"
        "  - name: near\n"
        "    use: minhash_dedup\n"
        "    input: docs\n"
        f"    args: {args}\n"
    )
    res = CliRunner().invoke(main, ["validate", str(recipe)])
    assert res.exit_code != 0
    assert message in res.output


def test_exact_dedup_refuses_out_shards_in_a_recipe(tmp_path):
    recipe = tmp_path / "dedup.yaml"
    recipe.write_text(
        "pipeline: bad\n"
        "steps:\n"
        "  - {name: docs, use: read_jsonl, args: {paths: in/*.jsonl}}\n"
        "  - {name: exact, use: exact_dedup, input: docs, args: {out_shards: 4}}\n"
    )
    res = CliRunner().invoke(main, ["validate", str(recipe)])
    assert res.exit_code != 0 and "dedup.yaml:4: steps.1.args.out_shards: Extra inputs are not permitted" in res.output
