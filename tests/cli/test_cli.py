"""The command line and YAML recipes, through click's runner and real runs."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from shardflow.cli import main
from shardflow.recipe import RecipeError, parse_recipe
from tests.conformance.pipelines import long_enough, write_inputs
from tests.helpers import read_all

RECIPE = """\
pipeline: cli_demo
run:
  tasks: 3
  workers: 2
steps:
  - name: docs
    use: read_jsonl
    args: {{paths: "{inp}"}}
  - name: long_docs
    use: filter_rows
    input: docs
    where: "len(row['text']) > 60"
  - name: long_out
    use: write_jsonl
    input: long_docs
    args: {{path: "{out}/long"}}
  - name: router
    use: route_batches
    input: docs
    route: "[seq % 2]"
  - name: even
    use: map_rows
    input: router
    expr: "{{**row, 'half': 0}}"
  - name: odd
    use: map_rows
    input: router
    expr: "{{**row, 'half': 1}}"
  - name: merged
    use: converge
    input: [even, odd]
  - name: merged_out
    use: write_parquet
    input: merged
    args: {{path: "{out}/merged"}}
"""


@pytest.fixture()
def recipe(tmp_path):
    sets = write_inputs(str(tmp_path / "in"))
    path = tmp_path / "recipe.yaml"
    path.write_text(RECIPE.format(inp=tmp_path / "in" / "main", out=tmp_path / "out"))
    return str(path), sets["main"]


def test_run_status_stats_and_rerun(recipe, tmp_path):
    path, docs = recipe
    runner = CliRunner()
    workdir = str(tmp_path / "run")
    res = runner.invoke(main, ["run", path, "--workdir", workdir])
    assert res.exit_code == 0, res.output
    long_files = sorted(os.listdir(tmp_path / "out" / "long"))
    assert long_files == ["00000.jsonl.gz", "00001.jsonl.gz", "00002.jsonl.gz"]
    rows = read_all([str(tmp_path / "out" / "long" / f) for f in long_files])
    assert [r["id"] for r in rows] == [d["id"] for d in docs if long_enough(d)]
    merged = read_all(sorted(str(p) for p in (tmp_path / "out" / "merged").iterdir()))
    assert [r["id"] for r in merged] == [d["id"] for d in docs]

    status = runner.invoke(main, ["status", workdir])
    assert status.exit_code == 0 and "all tasks done" in status.output
    stats = runner.invoke(main, ["stats", workdir, "--json"])
    data = json.loads(stats.output)
    assert data["long_docs"]["rows_in"] == len(docs)
    assert data["long_docs"]["dropped"] == {"long_docs": sum(1 for d in docs if not long_enough(d))}

    again = runner.invoke(main, ["run", path, "--workdir", workdir])
    assert again.exit_code == 0 and "0 tasks run" in again.output


def test_plan_prints_stages_and_mermaid(recipe):
    path, _ = recipe
    res = CliRunner().invoke(main, ["plan", path, "--format", "mermaid"])
    assert res.exit_code == 0
    assert res.output.startswith("flowchart LR")
    assert "-->|even|" in res.output and "-->|odd|" in res.output
    js = json.loads(CliRunner().invoke(main, ["plan", path, "--format", "json"]).output)
    assert [s["id"] for s in js["stages"]] == ["docs", "long_docs", "router", "even", "odd", "merged"]
    assert js["stages"][-1]["merge"] == "seq"


def test_recipe_errors_name_the_line_and_the_fix():
    text = "pipeline: x\nsteps:\n  - name: a\n    use: read_jsonl\n    args: {paths: x}\n  - name: b\n    use: filter_rows\n    input: a\n    wher: \"True\"\n"
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, "r.yaml")
    assert "r.yaml:9: steps.1.wher: Extra inputs are not permitted (remove it, or check its spelling)" in str(info.value)
    with pytest.raises(RecipeError, match=r"r.yaml:4: steps.0.retries: Input should be greater than or equal to 0"):
        parse_recipe("pipeline: x\nsteps:\n  - name: a\n    retries: -1\n    use: read_jsonl\n", "r.yaml")


def test_validate_reports_unknown_steps_and_dangling_inputs(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipeline: x\nsteps:\n  - {name: a, use: read_jsonl, args: {paths: x}}\n  - {name: b, use: write_jsonl, input: nope, args: {path: o}}\n")
    res = CliRunner().invoke(main, ["validate", str(bad)])
    assert res.exit_code != 0 and "reads 'nope', which is not a step of this recipe" in res.output
    bad.write_text("pipeline: x\nsteps:\n  - {name: a, use: read_jsonx}\n")
    res = CliRunner().invoke(main, ["validate", str(bad)])
    assert res.exit_code != 0 and "unknown step `use: read_jsonx`" in res.output


def test_schema_is_json_schema_for_editors():
    res = CliRunner().invoke(main, ["schema"])
    schema = json.loads(res.output)
    assert schema["title"] == "Recipe" and "steps" in schema["properties"]
    assert "StepSpec" in schema["$defs"] and "on_failure" in schema["$defs"]["StepSpec"]["properties"]


def test_python_pipeline_files_run_too(tmp_path):
    res = CliRunner().invoke(main, ["validate", os.path.join(os.path.dirname(__file__), "..", "..", "examples", "demo.py")])
    assert res.exit_code == 0 and "pipeline 'demo' is valid (5 steps)" in res.output


def test_recipe_options_reach_the_steps():
    from shardflow.recipe import build_graph

    text = """\
pipeline: options
steps:
  - {name: docs, use: read_jsonl, args: {paths: x}}
  - {name: kept, use: filter_rows, input: docs, where: "True", fuse: true, rejected: out/rejected}
  - {name: risky, use: map_rows, input: kept, expr: "row", on_failure: continue, retries: 2, retry_backoff: 0.5, cpus: 2, memory: 1000000, batch_size: 64}
  - {name: risky_out, use: write_jsonl, input: risky, args: {path: out/risky}}
  - {name: safe_out, use: write_parquet, input: kept, args: {path: out/safe}}
"""
    graph = build_graph(parse_recipe(text, "o.yaml"), "o.yaml")
    kept, risky = graph.step("kept"), graph.step("risky")
    assert kept.options.fuse and kept.rejected == "out/rejected"
    o = risky.options
    assert (o.on_failure, o.retries, o.retry_backoff, o.cpus, o.memory, o.batch_size) == ("continue", 2, 0.5, 2, 1000000, 64)
    assert [s.name for s in graph.successors(kept)] == ["risky", "safe_out"]
    assert risky.fn({"a": 1}) == {"a": 1}
