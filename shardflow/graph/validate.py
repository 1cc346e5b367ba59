"""Checks run when a pipeline is built, before anything runs.

Each problem names the culprit and the fix; all problems are reported together.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING

import cloudpickle

from shardflow.graph.step import Converge, Filter, Router, Sink, Source

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph


class PipelineError(ValueError):
    """A pipeline that cannot run; ``problems`` lists every reason."""

    def __init__(self, pipeline: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"pipeline {pipeline!r} is not valid:\n{lines}")


def assign_names(graph: "Graph") -> None:
    """Make automatic names unique (``filter_rows``, ``filter_rows_1``, ...) in declaration order."""
    taken = Counter(s.name for s in graph if s._explicit_name)
    seen: Counter = Counter()
    for step in graph:
        if step._explicit_name:
            continue
        # Remember the name before numbering so that validating twice numbers the same way.
        base = step._base_name = getattr(step, "_base_name", None) or step.name
        n = seen[base]
        name = base if n == 0 else f"{base}_{n}"
        while taken[name]:
            n += 1
            name = f"{base}_{n}"
        seen[base] = n + 1
        step.name = name


def validate(graph: "Graph") -> None:
    """Raise :class:`PipelineError` listing every problem of ``graph``; return if none."""
    assign_names(graph)
    problems: list[str] = []
    if not len(graph):
        raise PipelineError(graph.name, ["it has no steps: add a source, e.g. read_jsonl(...)"])

    for step in graph:
        if not hasattr(step, "options"):
            problems.append(
                f"step {type(step).__name__} was never initialised: call "
                "super().__init__(**options) in its __init__"
            )
    if problems:
        raise PipelineError(graph.name, problems)

    for name, n in Counter(s.name for s in graph).items():
        if n > 1:
            problems.append(f"{n} steps are named {name!r}: give each a unique name=...")

    cycle = graph.find_cycle()
    if cycle:
        members = " >> ".join(s.name for s in cycle)
        problems.append(f"cycle: {members}; a pipeline must be acyclic, remove one of these edges")

    for step in graph:
        preds, succs = graph.predecessors(step), graph.successors(step)
        if isinstance(step, Source) and preds:
            problems.append(
                f"source {step.name!r} has inputs ({', '.join(p.name for p in preds)}): "
                "a source reads data and takes none"
            )
        if not isinstance(step, Source) and not preds:
            problems.append(
                f"step {step.name!r} has no input: connect it, e.g. `docs >> {step.name}`"
            )
        if isinstance(step, Router) and not succs:
            problems.append(f"router {step.name!r} has no successors: route to at least one step")
        if isinstance(step, Converge) and any(isinstance(p, Router) for p in preds):
            problems.append(
                f"converge {step.name!r} reads a router directly: put the routed steps between them"
            )
        if isinstance(step, Sink) and succs:
            problems.append(
                f"sink {step.name!r} has successors ({', '.join(s.name for s in succs)}): "
                "connect them to the step before the sink instead"
            )

    writers: dict[str, list[str]] = {}
    for step in graph:
        paths = [step.path] if isinstance(step, Sink) else []
        if isinstance(step, Filter) and step.rejected:
            paths.append(step.rejected)
        for path in paths:
            writers.setdefault(os.path.normpath(str(path)).rstrip("/"), []).append(step.name)
    for path, names in writers.items():
        if len(names) > 1:
            problems.append(
                f"steps {', '.join(map(repr, names))} all write to {path!r}: give each its own "
                "output directory"
            )

    for step in graph:
        try:
            cloudpickle.dumps(step)
        except Exception as exc:  # noqa: BLE001 - any pickling failure is reported as is
            problems.append(
                f"step {step.name!r} cannot be sent to a worker process ({type(exc).__name__}: "
                f"{exc}); keep open files, locks and clients out of __init__ and create them in "
                "setup() instead"
            )
    if problems:
        raise PipelineError(graph.name, problems)
