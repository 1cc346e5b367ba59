"""The stage DAG as Mermaid text: stages as boxes listing their steps, edges as data flow."""

from __future__ import annotations

from shardflow.plan import Plan

SHAPES = {"source": ("[/", "/]"), "global": ("{{", "}}"), "shard": ("[", "]")}


def plan_mermaid(plan: Plan) -> str:
    """Render ``plan`` as a Mermaid flowchart (sources slanted, global steps hexagons)."""
    lines = ["flowchart LR"]
    for sp in plan.stages.values():
        left, right = SHAPES[sp.stage.kind]
        steps = " → ".join(sp.stage.steps)
        label = f"{sp.id}<br/>{steps}<br/>{sp.n_tasks} task{'s' if sp.n_tasks != 1 else ''}"
        lines.append(f'  {_node(sp.id)}{left}"{label}"{right}')
        if sp.stage.output == "checkpoint" and sp.id not in plan.leaves:
            lines.append(f"  class {_node(sp.id)} checkpoint")
    for sp in plan.stages.values():
        for up in sp.stage.inputs:
            lines.append(f"  {_node(up)} --> {_node(sp.id)}")
    lines.append("  classDef checkpoint stroke-width:3px,stroke-dasharray: 4 2")
    return "\n".join(lines) + "\n"


def _node(stage_id: str) -> str:
    return "s_" + "".join(c if c.isalnum() else "_" for c in stage_id)
