"""``shardflow plan --format``: one entry point for every textual view of a plan."""

from __future__ import annotations

import json
from typing import Any, Mapping

from shardflow.report.dot import plan_dot
from shardflow.report.html import plan_html
from shardflow.report.mermaid import plan_mermaid

PLAN_FORMATS = ("text", "mermaid", "dot", "html", "json")


def render_plan(plan: Any, fmt: str, states: Mapping | None = None) -> str:
    """``plan`` as ``mermaid``, ``dot``, ``html`` or ``json`` text, nodes coloured by ``states``."""
    if fmt == "mermaid":
        return plan_mermaid(plan, states)
    if fmt == "dot":
        return plan_dot(plan, states)
    if fmt == "html":
        return plan_html(plan, states)
    if fmt == "json":
        summary = plan.summary()
        if states:
            for stage in summary["stages"]:
                status = states[stage["id"]]
                stage["state"] = {"state": status.state, "done": status.done, "failed": status.failed}
        return json.dumps(summary, indent=2) + "\n"
    raise ValueError(f"unknown plan format {fmt!r}: use one of {', '.join(PLAN_FORMATS)}")
