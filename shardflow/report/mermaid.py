"""The stage DAG as Mermaid text (for Markdown pages that render Mermaid, and dag.mmd).

Sources are slanted boxes, global steps hexagons, checkpoints dashed, sinks bold; with a
run's states, each node is filled with its state's colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from shardflow.report.dag import STATE_FILL, dag_nodes

if TYPE_CHECKING:
    from shardflow.plan import Plan
    from shardflow.report.status import StageStatus

SHAPES = {"source": ("[/", "/]"), "global": ("{{", "}}"), "shard": ("[", "]")}


def plan_mermaid(plan: "Plan | Mapping[str, Any]", states: "Mapping[str, StageStatus] | None" = None) -> str:
    """Render ``plan`` (or its run.json summary) as a Mermaid flowchart, states optional."""
    lines = ["flowchart LR"]
    nodes = dag_nodes(plan, states)
    for node in nodes:
        left, right = SHAPES[node.kind]
        label = "<br/>".join([f"<b>{node.id}</b>", " → ".join(node.steps), node.progress, " · ".join(node.badges)])
        lines.append(f'  {_node(node.id)}{left}"{label.replace(chr(34), "#quot;")}"{right}')
        classes = node.outputs + ([node.state] if node.state else [])
        lines.append(f"  class {_node(node.id)} {','.join(classes)}")
    for node in nodes:
        for up, label in zip(node.inputs, node.edge_labels):
            lines.append(f"  {_node(up)} -->{f'|{label}|' if label else ''} {_node(node.id)}")
    lines.append("  classDef checkpoint stroke-width:3px,stroke-dasharray: 4 2")
    lines.append("  classDef sink stroke-width:3px")
    for state, fill in STATE_FILL.items():
        if state:
            lines.append(f"  classDef {state} fill:{fill}")
    return "\n".join(lines) + "\n"


def _node(stage_id: str) -> str:
    return "s_" + "".join(c if c.isalnum() else "_" for c in stage_id)
