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
        if any(e not in sp.stage.sinks and e not in plan.leaves for e in sp.stage.exits):
            lines.append(f"  class {_node(sp.id)} checkpoint")
    for sp in plan.stages.values():
        for up, exit in sp.stage.inputs:
            label = f"|{exit.split(':', 1)[1]}|" if ":" in exit else ""
            lines.append(f"  {_node(up)} -->{label} {_node(sp.id)}")
    lines.append("  classDef checkpoint stroke-width:3px,stroke-dasharray: 4 2")
    return "\n".join(lines) + "\n"


def _node(stage_id: str) -> str:
    return "s_" + "".join(c if c.isalnum() else "_" for c in stage_id)
