"""The HTML report in a real browser: the DAG, the tables and the plots show the run's real numbers."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from shardflow.cli import main
from tests.report.pipelines import build, write_docs


def _oracle(inp: str) -> dict[str, int]:
    """Rows each step sees, computed from the input files in plain Python."""
    texts = []
    for name in sorted(os.listdir(inp)):
        with open(os.path.join(inp, name), encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f]
    clean = [t for t in texts if len(t) >= 20]
    return {"read": len(texts), "clean": len(clean), "long": len([t for t in clean if len(t) > 150])}


def test_report_shows_the_runs_numbers(tmp_path, browser_page):
    inp, wd = str(tmp_path / "in"), str(tmp_path / "wd")
    write_docs(inp)
    build(inp, str(tmp_path / "out"), fail=True).run(workdir=wd, workers=2, raise_on_failure=False, progress=False)
    html = tmp_path / "report.html"
    res = CliRunner().invoke(main, ["report", wd, "-o", str(html)])
    assert res.exit_code == 0, res.output
    text = html.read_text()
    # Self-contained: no script, no stylesheet or image from anywhere.
    assert "<script" not in text and "src=" not in text and "<link" not in text

    stats = json.load(open(os.path.join(wd, "stats.json")))
    page = browser_page
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file://") else route.continue_())
    page.goto(f"file://{html}")

    # The DAG: one node per stage, in its state, with its task counts.
    nodes = page.locator("svg.dag g.stage")
    assert nodes.count() == 4
    states = {nodes.nth(i).get_attribute("data-stage"): nodes.nth(i).get_attribute("data-state") for i in range(4)}
    assert states == {"read_jsonl": "done", "long": "done", "count": "done", "flaky": "failed"}
    assert page.locator('svg.dag g[data-stage="flaky"] text.progress').text_content() == "3/4 done, 1 failed"
    assert page.locator('svg.dag g[data-stage="long"] text.progress').text_content() == "4/4 done"
    assert page.locator("#tasks-done").inner_text() == "15" and page.locator("#tasks-total").inner_text() == "16"

    # The steps table matches stats.json, which matches the oracle.
    oracle = _oracle(inp)
    assert stats["read_jsonl"]["rows_out"] == oracle["read"]
    assert stats["clean"]["rows_out"] == oracle["clean"]
    assert stats["long"]["rows_out"] == oracle["long"]
    for step, s in stats.items():
        row = page.locator(f'#steps tr[data-step="{step}"]')
        assert row.locator("td.rows_in").inner_text() == f"{s['rows_in']:,}", step
        assert row.locator("td.rows_out").inner_text() == f"{s['rows_out']:,}", step
        assert row.locator("td.tasks").inner_text() == str(s["tasks"]), step
    dropped = oracle["read"] - oracle["clean"]
    assert page.locator('#steps tr[data-step="clean"] td.reasons').inner_text() == f"clean: {dropped:,}"
    assert page.locator('#stages tr[data-stage="flaky"] td.failed').inner_text() == "1"

    # Four plots, drawn as inline SVG with text a reader can find.
    figures = page.locator("#plots figure")
    assert figures.count() == 4
    assert all(figures.nth(i).locator("svg").count() == 1 for i in range(4))
    lengths = page.locator('figure[data-plot="Document lengths"]').text_content()
    assert "read: read_jsonl" in lengths and "written: long_out" in lengths
    assert f"{dropped:,}" in page.locator('figure[data-plot="Dropped rows"]').text_content()

    # The failed task, with the end of its log.
    failure = page.locator('#failures .failure[data-task="flaky/00001"]')
    assert "ValueError: bad document f1-0000" in failure.locator("pre.log").inner_text()

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
