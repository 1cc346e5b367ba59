"""DAG views: sources, global steps, checkpoints, sinks and branches look different; states colour nodes."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import shardflow as sf
from click.testing import CliRunner

from shardflow.cli import main
from shardflow.report.dag import STATE_FILL
from shardflow.report.dag_svg import plan_svg
from shardflow.report.dot import plan_dot
from shardflow.report.html import plan_html
from shardflow.report.mermaid import plan_mermaid
from shardflow.report.status import run_status
from shardflow.steps import filter_rows, read_jsonl, write_jsonl
from tests.report.pipelines import build, write_docs

SVG = "{http://www.w3.org/2000/svg}"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Dedup(sf.GlobalStep):
    def process_all(self, batches):
        return list(batches)


def _plan(tmp_path):
    write_docs(str(tmp_path / "in"), files=2)
    with sf.Pipeline("views") as p:
        docs = read_jsonl(str(tmp_path / "in" / "*.jsonl"))
        kept = docs >> filter_rows(lambda d: len(d["text"]) > 10, name="kept")
        kept >> write_jsonl(str(tmp_path / "out" / "a"), name="a")
        kept >> Dedup(name="dedup") >> write_jsonl(str(tmp_path / "out" / "b"), name="b")
    return p.plan()


def _nodes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("data-stage"): g for g in root.iter(f"{SVG}g") if g.get("data-stage")}


def test_svg_distinguishes_kinds_outputs_and_branches(tmp_path):
    plan = _plan(tmp_path)
    nodes = _nodes(plan_svg(plan))
    assert set(nodes) == {"read_jsonl", "a", "dedup", "b"}
    classes = {sid: set(g.get("class").split()) for sid, g in nodes.items()}
    assert {"source", "checkpoint"} <= classes["read_jsonl"]
    assert {"global", "checkpoint"} <= classes["dedup"]
    assert {"shard", "sink"} <= classes["a"]
    # Shapes: a source is a 4-point polygon, a global step a 6-point one, a sink two rects.
    assert len(nodes["read_jsonl"].find(f"{SVG}polygon").get("points").split()) == 4
    assert len(nodes["dedup"].find(f"{SVG}polygon").get("points").split()) == 6
    assert len(nodes["a"].findall(f"{SVG}rect")) == 2
    assert nodes["read_jsonl"].find(f"{SVG}polygon").get("stroke-dasharray")  # checkpoint: dashed
    badges = {sid: g.find(f"{SVG}text[@class='badges']").text for sid, g in nodes.items()}
    assert badges == {
        "read_jsonl": "source · checkpoint",
        "a": "shard-wise · sink · branch a",
        "dedup": "global step · checkpoint · branch dedup",
        "b": "shard-wise · sink · branch dedup",
    }
    assert len(ET.fromstring(plan_svg(plan)).findall(f"{SVG}path[@class='edge']")) == 3


def test_mermaid_and_dot_carry_the_same_distinctions(tmp_path):
    plan = _plan(tmp_path)
    mmd = plan_mermaid(plan)
    assert 's_read_jsonl[/"' in mmd and 's_dedup{{"' in mmd and 's_a["' in mmd
    assert "class s_read_jsonl checkpoint" in mmd and "class s_a sink" in mmd
    assert "s_read_jsonl --> s_a" in mmd and "s_dedup --> s_b" in mmd
    dot = plan_dot(plan)
    line = {sid: next(ln for ln in dot.splitlines() if ln.strip().startswith(f'"{sid}" [')) for sid in ("read_jsonl", "a", "dedup")}
    assert 'shape="parallelogram"' in line["read_jsonl"] and "dashed" in line["read_jsonl"]
    assert 'shape="hexagon"' in line["dedup"]
    assert 'peripheries="2"' in line["a"] and 'peripheries="2"' not in line["dedup"]
    assert '"read_jsonl" -> "dedup";' in dot


def test_states_from_a_workdir_colour_the_nodes(tmp_path):
    write_docs(str(tmp_path / "in"))
    pipeline = build(str(tmp_path / "in"), str(tmp_path / "out"), fail=True)
    pipeline.run(workdir=str(tmp_path / "wd"), workers=2, raise_on_failure=False, progress=False)
    status = run_status(str(tmp_path / "wd"))
    states = {s.id: s for s in status.stages}
    nodes = _nodes(plan_svg(status.info["plan"], states))
    assert {sid: g.get("data-state") for sid, g in nodes.items()} == {
        "read_jsonl": "done", "long": "done", "count": "done", "flaky": "failed"}
    assert nodes["flaky"].find(f"{SVG}rect").get("fill") == STATE_FILL["failed"]
    assert nodes["flaky"].find(f"{SVG}text[@class='progress']").text == "3/4 done, 1 failed"
    assert "class s_flaky sink,failed" in plan_mermaid(status.info["plan"], states)
    assert f'fillcolor="{STATE_FILL["done"]}"' in plan_dot(status.info["plan"], states)


def test_plan_command_formats_and_workdir(tmp_path):
    write_docs(str(tmp_path / "in"))
    script = tmp_path / "p.py"
    script.write_text(
        f"import sys; sys.path.insert(0, {ROOT!r})\n"
        "from tests.report.pipelines import build\n"
        f"pipeline = build({str(tmp_path / 'in')!r}, {str(tmp_path / 'out')!r})\n")
    runner = CliRunner()
    build(str(tmp_path / "in"), str(tmp_path / "out")).run(workdir=str(tmp_path / "wd"), workers=2, progress=False)
    dot = runner.invoke(main, ["plan", str(script), "--format", "dot"])
    assert dot.exit_code == 0 and dot.output.startswith('digraph "three_branches"')
    out = tmp_path / "plan.html"
    res = runner.invoke(main, ["plan", str(script), "--format", "html", "--workdir", str(tmp_path / "wd"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    svg = html[html.index("<svg"):html.index("</svg>") + 6]
    assert {g.get("data-state") for g in _nodes(svg).values()} == {"done"}
    as_json = json.loads(runner.invoke(main, ["plan", str(script), "--format", "json", "--workdir", str(tmp_path / "wd")]).output)
    assert [s["state"]["done"] for s in as_json["stages"]] == [4, 4, 4, 4]
    assert plan_html(_plan(tmp_path)).count('class="stage ') == 4
