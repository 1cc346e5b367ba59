"""A live, read-only dashboard of a run directory, served on 127.0.0.1 (stdlib http.server).

It shows what the HTML report shows, re-read from the run directory every few seconds
while a run goes on, including failed tasks with the tail of their logs. Routes (GET only;
nothing ever writes to the run directory):

* ``/``: the page; a few lines of script fetch ``/body`` every ``refresh`` seconds and swap
  it in (with no script, the page still shows the run as it was when loaded);
* ``/body``: the report's sections as HTML;
* ``/status.json``: per-stage counts, for scripts.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from html import escape

import orjson

from shardflow.report.html import page, report_body
from shardflow.report.rundata import MarkerCache, load_run

SCRIPT = """<script>
async function refresh() {
  try {
    const r = await fetch('body', {cache: 'no-store'});
    if (r.ok) { document.getElementById('live').innerHTML = await r.text();
                document.getElementById('updated').textContent = new Date().toLocaleTimeString(); }
  } catch (e) { document.getElementById('updated').textContent = 'dashboard unreachable: ' + e; }
}
setInterval(refresh, REFRESH_MS);
</script>"""


class Dashboard:
    """Renders a run directory for the dashboard; one :class:`MarkerCache` across requests.

    Args:
        workdir: The run directory to show.
        refresh: Seconds between two refreshes of the page.
    """

    def __init__(self, workdir: str, refresh: float = 2.0) -> None:
        self.workdir = workdir
        self.refresh = refresh
        self._cache = MarkerCache()
        self._lock = threading.Lock()  # one render at a time: the cache is shared

    def body(self) -> str:
        with self._lock:
            try:
                return report_body(load_run(self.workdir, self._cache))
            except FileNotFoundError as exc:
                return f'<section><p class="note">Waiting for the run to start: {escape(str(exc))}</p></section>'

    def page(self) -> str:
        script = SCRIPT.replace("REFRESH_MS", str(int(self.refresh * 1000)))
        header = (f'<p class="note">live view of <code>{escape(self.workdir)}</code>, refreshed every '
                  f'{self.refresh:g}s · last update <span id="updated">now</span></p>')
        return page(f"shardflow: {self.workdir}", header + f'<div id="live">{self.body()}</div>', head=script)

    def status_json(self) -> bytes:
        with self._lock:
            data = load_run(self.workdir, self._cache)
        return orjson.dumps({
            "name": data.name,
            "running": data.status.holder is not None,
            "stages": {s.id: {"done": s.done, "total": s.total, "running": len(s.running),
                              "failed": s.failed, "state": s.state} for s in data.status.stages},
        })


def _handler(dashboard: Dashboard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            routes = {
                "/": (dashboard.page, "text/html; charset=utf-8"),
                "/body": (dashboard.body, "text/html; charset=utf-8"),
                "/status.json": (dashboard.status_json, "application/json"),
            }
            if path not in routes:
                self.send_error(HTTPStatus.NOT_FOUND, "routes: /, /body, /status.json")
                return
            render, ctype = routes[path]
            try:
                content = render()
            except Exception as exc:  # noqa: BLE001 - show the error, keep serving
                self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}")
                return
            data = content.encode() if isinstance(content, str) else content
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: one line per refresh is noise
            pass

    return Handler


def make_server(workdir: str, port: int = 8765, host: str = "127.0.0.1", refresh: float = 2.0) -> ThreadingHTTPServer:
    """A dashboard server for ``workdir`` (not started: call ``serve_forever``; port 0 picks a free one)."""
    server = ThreadingHTTPServer((host, port), _handler(Dashboard(workdir, refresh)))
    server.daemon_threads = True
    return server
