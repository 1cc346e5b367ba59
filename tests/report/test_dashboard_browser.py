"""The live dashboard in a real browser: it follows a run as it goes and shows a failed task appear."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request

import pytest

from shardflow.report.dashboard import make_server
from tests.report.pipelines import write_docs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture()
def slow_run(tmp_path):
    """The three-branch pipeline, slowed down, in a background process; its flaky branch fails."""
    write_docs(str(tmp_path / "in"))
    wd = str(tmp_path / "wd")
    argv = [sys.executable, os.path.join(HERE, "pipelines.py"), str(tmp_path / "in"), str(tmp_path / "out"), wd, "1"]
    env = {**os.environ, "PYTHONPATH": ROOT, "SHARDFLOW_TEST_SLOW": "0.6"}
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield wd, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


@pytest.fixture()
def dashboard(slow_run):
    wd, _ = slow_run
    os.makedirs(wd, exist_ok=True)
    server = make_server(wd, port=0, refresh=0.3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _done(page) -> tuple[int, int]:
    return int(page.locator("#tasks-done").inner_text()), int(page.locator("#tasks-total").inner_text())


def test_dashboard_follows_a_run_and_shows_its_failure(slow_run, dashboard, browser_page, tmp_path):
    wd, proc = slow_run
    page = browser_page
    page.goto(dashboard)
    # While the source tasks sleep, the page shows the run in progress, some tasks not done.
    page.wait_for_function(
        "() => { const s = document.querySelector('#run-state'); return s && s.textContent.startsWith('running'); }",
        timeout=60_000)
    seen_done, total = _done(page)
    assert total == 16 and seen_done < total
    running = page.locator('svg.dag g[data-state="running"]')
    page.wait_for_function("() => document.querySelectorAll('svg.dag g[data-state=\"running\"]').length > 0",
                           timeout=60_000)
    assert running.count() >= 1

    # The failed task appears, with the end of its log, without reloading the page.
    failure = page.locator('#failures .failure[data-task="flaky/00001"]')
    failure.wait_for(timeout=90_000)
    assert "ValueError: bad document f1-0000" in failure.locator("pre.log").inner_text()

    # The run ends; the page settles on the final numbers, which match the run directory.
    assert proc.wait(timeout=120) == 1
    page.wait_for_function(
        "() => document.querySelector('#run-state').textContent.startsWith('failed')", timeout=30_000)
    assert _done(page) == (15, 16)
    assert page.locator('svg.dag g[data-stage="flaky"]').get_attribute("data-state") == "failed"
    stats = json.load(open(os.path.join(wd, "stats.json")))
    for step in ("read_jsonl", "clean", "long_out"):
        row = page.locator(f'#steps tr[data-step="{step}"]')
        assert row.locator("td.rows_out").inner_text() == f"{stats[step]['rows_out']:,}"
    status = json.loads(urllib.request.urlopen(dashboard + "status.json", timeout=10).read())
    assert status["stages"]["flaky"] == {"done": 3, "total": 4, "running": 0, "failed": ["flaky/00001"], "state": "failed"}
    # Read-only: anything but GET is refused.
    request = urllib.request.Request(dashboard, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 501
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
