"""The HTML report: one self-contained page (inline CSS and SVG, no script, no network).

``report_body`` renders the sections (summary, DAG with states, stages, steps, plots,
failures); the static report wraps it in :func:`page`, and the live dashboard serves the
same body again and again. Every value from the run directory is escaped.
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

from shardflow.report.dag import STATE_FILL
from shardflow.report.dag_svg import plan_svg
from shardflow.report.plots import all_plots
from shardflow.report.rundata import RunData
from shardflow.report.status import STATES

CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #111827; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
table { border-collapse: collapse; font-size: 13px; } th, td { padding: 4px 10px; border-bottom: 1px solid #e5e7eb; }
th { text-align: left; background: #f9fafb; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.state { padding: 1px 8px; border-radius: 10px; font-size: 12px; border: 1px solid #d1d5db; }
.legend span { margin-right: 12px; } .note { color: #6b7280; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; } .plots figure { margin: 0; }
pre.log { background: #111827; color: #e5e7eb; padding: 8px; font-size: 12px; overflow-x: auto; max-height: 320px; }
.dagbox { overflow-x: auto; } code { background: #f3f4f6; padding: 0 3px; }
"""


def page(title: str, body: str, head: str = "") -> str:
    """A complete HTML document around ``body``."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{CSS}</style>{head}</head>"
            f"<body>\n{body}\n</body></html>\n")


def _state(state: str) -> str:
    return f'<span class="state {state}" style="background:{STATE_FILL[state]}">{state}</span>'


def legend() -> str:
    return '<p class="legend">' + "".join(f"<span>{_state(s)}</span>" for s in STATES) + (
        " <span>slanted: source · hexagon: global step · dashed: checkpoint · double border: sink</span></p>")


def _seconds(s: float) -> str:
    return f"{s:,.2f}"


def summary(data: RunData) -> str:
    st = data.status
    total = sum(s.total for s in st.stages)
    done = sum(s.done for s in st.stages)
    if st.holder is not None:
        state = f"running (pid {st.holder.get('pid')} on {escape(str(st.holder.get('host')))})"
    elif st.last_end is not None:
        state = f"{st.last_end.get('status')} after {st.last_end.get('seconds', 0):,.1f}s"
    else:
        state = "stopped before it ended"
    started = st.info.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if started else "?"
    todo = "".join(f"<li>{escape(line)}</li>" for line in st.todo())
    return (f'<section id="summary"><h1>{escape(data.name)}</h1>'
            f'<p>workdir <code>{escape(st.workdir)}</code> · started {when} · '
            f'<b id="run-state">{state}</b> · <b id="tasks-done">{done}</b> of <b id="tasks-total">{total}</b> tasks done</p>'
            f"<ul>{todo}</ul></section>")


def dag_section(data: RunData) -> str:
    states = {s.id: s for s in data.status.stages}
    return (f'<section id="dag"><h2>DAG</h2>{legend()}<div class="dagbox">'
            f"{plan_svg(data.status.info['plan'], states)}</div></section>")


def stages_table(data: RunData) -> str:
    seconds: dict[str, float] = {}
    for t in data.tasks:
        seconds[t.stage] = seconds.get(t.stage, 0.0) + t.seconds
    rows = []
    for s in data.status.stages:
        rows.append(
            f'<tr data-stage="{escape(s.id)}"><td>{escape(s.id)}</td><td>{_state(s.state)}</td>'
            f'<td class="num done">{s.done}</td><td class="num total">{s.total}</td>'
            f'<td class="num">{len(s.running)}</td><td class="num failed">{len(s.failed)}</td>'
            f'<td class="num">{_seconds(seconds.get(s.id, 0.0))}</td><td>{escape(s.plan["reason"])}</td></tr>')
    return ('<section><h2>Stages</h2><table id="stages"><tr><th>stage</th><th>state</th><th>done</th><th>tasks</th>'
            "<th>running</th><th>failed</th><th>task seconds</th><th>why a stage</th></tr>"
            + "".join(rows) + "</table></section>")


def steps_table(data: RunData) -> str:
    rows = []
    for name, s in data.stats.items():
        reasons = "<br>".join(f"{escape(r)}: {n:,}" for r, n in s["dropped"].items()) or ""
        rate = f"{s['rows_in'] / s['seconds']:,.0f}" if s["seconds"] and s["rows_in"] else ""
        rows.append(
            f'<tr data-step="{escape(name)}"><td>{escape(name)}</td><td>{escape(data.step_stage[name])}</td>'
            f'<td class="num tasks">{s["tasks"]}</td><td class="num rows_in">{s["rows_in"]:,}</td>'
            f'<td class="num rows_out">{s["rows_out"]:,}</td>'
            f'<td class="num dropped">{sum(s["dropped"].values()):,}</td><td class="reasons">{reasons}</td>'
            f'<td class="num seconds">{_seconds(s["seconds"])}</td><td class="num">{rate}</td></tr>')
    return ('<section><h2>Steps</h2><table id="steps"><tr><th>step</th><th>stage</th><th>tasks</th><th>rows in</th>'
            "<th>rows out</th><th>dropped</th><th>drop reasons</th><th>seconds</th><th>rows in / s</th></tr>"
            + "".join(rows) + "</table><p class=\"note\">seconds: time spent in the step's own code, "
            "summed over its tasks.</p></section>")


def plots_section(data: RunData) -> str:
    figures = "".join(f'<figure data-plot="{escape(title)}">{svg}</figure>' for title, svg in all_plots(data).items())
    return f'<section id="plots"><h2>Plots</h2><div class="plots">{figures}</div></section>'


def failures_section(data: RunData) -> str:
    if not data.failed:
        return '<section id="failures"><h2>Failed tasks</h2><p class="note">None.</p></section>'
    items = []
    for f in data.failed:
        items.append(
            f'<div class="failure" data-task="{escape(f.task)}"><h3>{escape(f.task)} '
            f'<small>({escape(f.kind)}{", step " + escape(f.step) if f.step else ""}, attempt {f.attempt})</small></h3>'
            f"<p>{escape(f.message)}</p><p class=\"note\">log: <code>{escape(f.log or '-')}</code></p>"
            f'<pre class="log">{escape(f.log_tail)}</pre></div>')
    return '<section id="failures"><h2>Failed tasks</h2>' + "".join(items) + "</section>"


def report_body(data: RunData) -> str:
    """Every section of the report, as HTML."""
    return "\n".join([summary(data), dag_section(data), stages_table(data), steps_table(data),
                      plots_section(data), failures_section(data)])


def report_html(data: RunData) -> str:
    """The report as one self-contained HTML document."""
    return page(f"shardflow report: {data.name}", report_body(data))


def plan_html(plan: Any, states: dict | None = None) -> str:
    """A plan (or its summary) as a self-contained page: the DAG and a table of its stages.

    Args:
        plan: A :class:`~shardflow.plan.Plan` or its summary.
        states: Stage statuses by stage id (from a run directory) to colour the nodes.
    """
    summary_ = plan.summary() if hasattr(plan, "summary") else plan
    rows = "".join(
        f"<tr><td>{escape(s['id'])}</td><td>{escape(' → '.join(s['steps']))}</td>"
        f"<td>{escape(', '.join(i if isinstance(i, str) else i[0] for i in s['inputs']) or '-')}</td>"
        f"<td>{s['kind']}</td><td>{escape(', '.join(s.get('exits', [])))}</td><td class=\"num\">{s['tasks']}</td><td>{escape(s['reason'])}</td>"
        f"<td><code>{s['key']}</code></td></tr>"
        for s in summary_["stages"])
    body = (f"<section><h1>{escape(summary_['name'])}</h1><p>{len(summary_['stages'])} stages, {summary_['tasks']} tasks</p>"
            f"{legend()}<div class=\"dagbox\">{plan_svg(summary_, states)}</div></section>"
            "<section><h2>Stages</h2><table><tr><th>stage</th><th>steps</th><th>reads</th><th>kind</th><th>exits</th>"
            f"<th>tasks</th><th>why a stage</th><th>key</th></tr>{rows}</table></section>")
    return page(f"shardflow plan: {summary_['name']}", body)
