"""Branches: which stages run on a branch of a fan-out, for event logs and DAG views.

A branch starts at a stage that reads a single stage read by several (a fan-out), and goes
on through every stage that reads only from it, until a fan-in. Pure: works on stage ids
and inputs, so it serves a :class:`~shardflow.plan.Plan` and a plan summary read back
from ``run.json`` alike.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Sequence


def stage_branches(stages: Iterable[tuple[str, Sequence[Any]]]) -> dict[str, str | None]:
    """Map each stage id to the id of the stage that starts its branch (None: on no branch).

    Args:
        stages: ``(id, inputs)`` of every stage, in topological order; an input is a stage
            id or a ``(stage id, exit)`` pair.
    """
    stages = [(sid, [i if isinstance(i, str) else i[0] for i in inputs]) for sid, inputs in stages]
    readers = Counter(up for _, inputs in stages for up in inputs)
    branch: dict[str, str | None] = {}
    for sid, inputs in stages:
        if len(inputs) != 1:
            branch[sid] = None
        elif readers[inputs[0]] > 1:
            branch[sid] = sid
        else:
            branch[sid] = branch.get(inputs[0])
    return branch
