"""What every DAG view draws: one node per stage, its kind, its badges and its state.

The Mermaid, Graphviz and SVG views all render the same :class:`DagNode` list, so they show
the same things: sources, global steps, checkpoints, sinks and branches look different,
and a node is filled with its stage's state when a run directory is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from shardflow.plan.branches import stage_branches

if TYPE_CHECKING:
    from shardflow.plan import Plan
    from shardflow.report.status import StageStatus

#: Fill colour of each stage state (no state given: white).
STATE_FILL = {
    "pending": "#f3f4f6",
    "running": "#dbeafe",
    "partial": "#fef3c7",
    "done": "#dcfce7",
    "failed": "#fee2e2",
    None: "#ffffff",
}
#: Border colour of each stage kind.
KIND_STROKE = {"source": "#0f766e", "shard": "#374151", "global": "#7c3aed"}


@dataclass(frozen=True)
class DagNode:
    """One stage as the DAG views draw it.

    Attributes:
        id: The stage id.
        steps: Its steps, in order.
        inputs: Ids of the stages it reads.
        edge_labels: Per input, a label for the edge (a router's route), or "".
        kind: ``source``, ``shard`` or ``global``.
        sinks: Its sinks (steps writing files).
        checkpoint: Whether it materializes output in the run directory for other stages.
        tasks: Its task count.
        branch: Id of the stage that starts its branch, or None.
        state: Its state in a run (see :data:`shardflow.report.status.STATES`), or None.
        progress: e.g. ``"3/8 done, 1 failed"`` in a run, else ``"8 tasks"``.
    """

    id: str
    steps: tuple[str, ...]
    inputs: tuple[str, ...]
    edge_labels: tuple[str, ...]
    kind: str
    sinks: tuple[str, ...]
    checkpoint: bool
    tasks: int
    branch: str | None
    state: str | None = None
    progress: str = ""

    @property
    def badges(self) -> list[str]:
        """Words that say what the stage is: its kind, checkpoint or sink, and its branch."""
        words = [{"source": "source", "global": "global step", "shard": "shard-wise"}[self.kind]]
        words += self.outputs
        if self.branch:
            words.append(f"branch {self.branch}")
        return words

    @property
    def outputs(self) -> list[str]:
        """``checkpoint`` and / or ``sink``: what leaves the stage."""
        return (["checkpoint"] if self.checkpoint else []) + (["sink"] if self.sinks else [])

    @property
    def fill(self) -> str:
        return STATE_FILL[self.state]

    @property
    def stroke(self) -> str:
        return KIND_STROKE.get(self.kind, "#374151")


def _progress(status: "StageStatus | None", tasks: int) -> str:
    if status is None:
        return f"{tasks} task{'s' if tasks != 1 else ''}"
    text = f"{status.done}/{status.total} done"
    if status.running:
        text += f", {len(status.running)} running"
    if status.failed:
        text += f", {len(status.failed)} failed"
    return text


def dag_nodes(plan: "Plan | Mapping[str, Any]", states: "Mapping[str, StageStatus] | None" = None) -> list[DagNode]:
    """The nodes of ``plan`` (a :class:`Plan` or its summary from run.json), with states if given."""
    summary = plan.summary() if hasattr(plan, "summary") else plan
    stages = summary["stages"]
    branches = stage_branches((s["id"], s["inputs"]) for s in stages)
    nodes = []
    for s in stages:
        status = (states or {}).get(s["id"])
        nodes.append(DagNode(
            id=s["id"],
            steps=tuple(s["steps"]),
            inputs=tuple(i if isinstance(i, str) else i[0] for i in s["inputs"]),
            edge_labels=tuple("" if isinstance(i, str) or ":" not in i[1] else i[1].split(":", 1)[1] for i in s["inputs"]),
            kind=s["kind"],
            sinks=tuple(s.get("sinks", ())),
            checkpoint=any(e not in s.get("sinks", ()) for e in s.get("exits", ())),
            tasks=s["tasks"],
            branch=branches.get(s["id"]),
            state=status.state if status is not None else None,
            progress=_progress(status, s["tasks"]),
        ))
    return nodes
