"""The stage DAG as Graphviz DOT text (render it with ``dot -Tsvg``).

Sources are parallelograms, global steps hexagons, checkpoints dashed, sinks drawn with a
double border; with a run's states, each node is filled with its state's colour.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from shardflow.report.dag import dag_nodes

if TYPE_CHECKING:
    from shardflow.plan import Plan
    from shardflow.report.status import StageStatus

SHAPES = {"source": "parallelogram", "global": "hexagon", "shard": "box"}


def plan_dot(plan: "Plan | Mapping[str, Any]", states: "Mapping[str, StageStatus] | None" = None) -> str:
    """Render ``plan`` (or its run.json summary) as a DOT digraph, states optional."""
    nodes = dag_nodes(plan, states)
    name = plan.name if hasattr(plan, "name") else plan["name"]
    lines = [
        f"digraph {json.dumps(name)} {{",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=11, style="filled"];',
        '  edge [color="#6b7280"];',
    ]
    for node in nodes:
        label = "\n".join([node.id, " → ".join(node.steps), node.progress, " · ".join(node.badges)])
        style = ["filled"] + (["dashed"] if node.checkpoint else [])
        attrs = {
            "label": label,
            "shape": SHAPES[node.kind],
            "style": ",".join(style),
            "fillcolor": node.fill,
            "color": node.stroke,
            "penwidth": "2",
            "peripheries": "2" if node.sinks else "1",
            "class": " ".join([node.kind, *node.outputs] + ([node.state] if node.state else [])),
        }
        body = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in attrs.items())
        lines.append(f"  {json.dumps(node.id)} [{body}];")
    for node in nodes:
        for up, label in zip(node.inputs, node.edge_labels):
            attrs = f" [label={json.dumps(label)}]" if label else ""
            lines.append(f"  {json.dumps(up)} -> {json.dumps(node.id)}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"
