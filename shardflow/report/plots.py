"""The report's plots, drawn by matplotlib as inline SVG (text kept as text, no network).

* document lengths read vs written (from the per-step length histograms in stats);
* rows dropped per filter, by reason;
* task durations over time (one bar per task, by stage; failures marked);
* throughput over time (rows read per second, per stage).

matplotlib is the ``report`` extra; without it each plot is replaced by a note saying how
to install it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Callable

from shardflow.graph.stats import length_bin_edges

if TYPE_CHECKING:
    from shardflow.report.rundata import RunData

MISSING = ('<p class="note">Plots need matplotlib: <code>pip install "shardflow[report]"</code></p>')
COLORS = ["#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#92400e"]
FAILED = "#dc2626"


def _svg(draw: Callable, width: float = 7.0, height: float = 3.2) -> str:
    """Run ``draw(ax)`` on a new figure and return the figure as an ``<svg>`` element."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"svg.fonttype": "none", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            draw(ax)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg")
        finally:
            plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _note(text: str) -> str:
    return f'<p class="note">{text}</p>'


def length_histograms(data: "RunData") -> str:
    """Lengths of the documents the sources read and of those each sink wrote."""
    stages = {st["id"]: st for st in data.status.info["plan"]["stages"]}
    series = []
    for name, s in data.stats.items():
        st = stages[data.step_stage[name]]
        first = st["steps"][0]
        if st["kind"] == "source" and name == first:
            series.append((f"read: {name}", s["lengths"]))
        elif name in st.get("sinks", ()):
            series.append((f"written: {name}", s["lengths"]))
    series = [(label, h) for label, h in series if h]
    if not series:
        return _note("No length histogram: the steps' data has no <code>text</code> column, or nothing ran yet.")

    def draw(ax) -> None:
        for i, (label, hist) in enumerate(series):
            bins = sorted(int(b) for b in hist)
            edges = [length_bin_edges(b)[0] for b in bins] + [length_bin_edges(bins[-1])[1]]
            # Rows per bin, drawn as a step outline so that several series stay readable.
            ax.stairs([hist[str(b)] for b in bins], edges, label=label, color=COLORS[i % len(COLORS)],
                      linewidth=1.5, fill=i == 0, alpha=0.35 if i == 0 else 1.0)
        ax.set_xscale("log")
        ax.set_xlabel("document length (characters, log scale)")
        ax.set_ylabel("documents")
        ax.legend(fontsize=8)
        ax.set_title("Document lengths: read vs written")

    return _svg(draw)


def drop_reasons(data: "RunData") -> str:
    """Rows dropped per step and reason, as horizontal bars."""
    bars = [(f"{name}: {reason}", n) for name, s in data.stats.items() for reason, n in s["dropped"].items() if n]
    if not bars:
        return _note("No rows were dropped.")

    def draw(ax) -> None:
        labels, values = zip(*bars)
        ax.barh(range(len(bars)), values, color=FAILED)
        ax.set_yticks(range(len(bars)), labels)
        ax.invert_yaxis()
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:,}", va="center", fontsize=8)
        ax.set_xlabel("rows dropped")
        ax.set_title("Rows dropped, by step and reason")

    return _svg(draw, height=max(1.6, 0.35 * len(bars) + 1.0))


def _origin(data: "RunData") -> float | None:
    starts = [t.started for t in data.tasks] + [e["t"] for e in data.events if e.get("event") == "task_failed"]
    return min(starts) if starts else None


def task_timeline(data: "RunData") -> str:
    """Each completed task as a bar from its start to its end, one row per task, by stage."""
    t0 = _origin(data)
    if t0 is None:
        return _note("No task has finished yet.")
    order = [st["id"] for st in data.status.info["plan"]["stages"]]
    tasks = sorted(data.tasks, key=lambda t: (order.index(t.stage), t.started))
    failures = [e for e in data.events if e.get("event") == "task_failed" and e["t"] >= t0]

    def draw(ax) -> None:
        rows = {t.task: i for i, t in enumerate(tasks)}
        for stage_i, sid in enumerate(order):
            mine = [t for t in tasks if t.stage == sid]
            if mine:
                ax.barh([rows[t.task] for t in mine], [t.seconds for t in mine],
                        left=[t.started - t0 for t in mine], color=COLORS[stage_i % len(COLORS)], label=sid, height=0.8)
        if failures:
            ax.scatter([e["t"] - t0 for e in failures], [rows.get(e["task"], -1) for e in failures],
                       marker="x", color=FAILED, label="failed", zorder=3)
        ax.invert_yaxis()
        ax.set_yticks([])
        ax.set_xlabel("seconds since the first task started")
        ax.set_ylabel("tasks")
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title("Task durations over time")

    return _svg(draw, height=max(2.4, min(6.0, 0.12 * len(tasks) + 1.6)))


def throughput(data: "RunData", bins: int = 60) -> str:
    """Rows read per second over time, per stage: each task's rows spread over its run time."""
    t0 = _origin(data)
    if t0 is None or not data.tasks:
        return _note("No task has finished yet.")
    end = max(t.started + t.seconds for t in data.tasks)
    width = max((end - t0) / bins, 1e-3)
    per_stage: dict[str, list[float]] = {}
    for t in data.tasks:
        rate = t.rows / max(t.seconds, 1e-9)
        series = per_stage.setdefault(t.stage, [0.0] * bins)
        a, b = t.started - t0, t.started - t0 + t.seconds
        for i in range(max(0, int(a / width)), min(bins, int(b / width) + 1)):
            overlap = min(b, (i + 1) * width) - max(a, i * width)
            if overlap > 0:
                series[i] += rate * overlap / width

    def draw(ax) -> None:
        xs = [(i + 0.5) * width for i in range(bins)]
        for i, (sid, ys) in enumerate(per_stage.items()):
            ax.plot(xs, ys, label=sid, color=COLORS[i % len(COLORS)], linewidth=1.5)
        ax.set_xlabel("seconds since the first task started")
        ax.set_ylabel("rows read / s")
        ax.legend(fontsize=8)
        ax.set_title("Throughput over time")

    return _svg(draw)


def all_plots(data: "RunData") -> dict[str, str]:
    """Every plot by title, as SVG or a note (a note for all if matplotlib is missing)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return {"Plots": MISSING}
    return {
        "Document lengths": length_histograms(data),
        "Dropped rows": drop_reasons(data),
        "Task durations": task_timeline(data),
        "Throughput": throughput(data),
    }
