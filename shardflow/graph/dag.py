"""The DAG of steps a pipeline declares. Pure structure: no planning, no running."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from shardflow.graph.step import Step


class Graph:
    """Steps and the edges between them, in the order they were declared.

    Edge order matters: a fan-in concatenates its inputs in the order they were connected,
    and a fan-out lists its branches in that order.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[Step] = []
        self._ids: set[int] = set()
        self._succ: dict[int, list[Step]] = {}
        self._pred: dict[int, list[Step]] = {}

    # -- building --------------------------------------------------------------------------
    def add_step(self, step: "Step") -> None:
        """Register ``step`` (idempotent)."""
        if id(step) in self._ids:
            return
        self._ids.add(id(step))
        self._steps.append(step)
        self._succ[id(step)] = []
        self._pred[id(step)] = []
        step._graph = self

    def add_edge(self, src: "Step", dst: "Step") -> None:
        """Connect ``src >> dst``; both steps join this graph if they are not in it yet."""
        for step in (src, dst):
            owner = getattr(step, "_graph", None)
            if owner is not None and owner is not self:
                raise ValueError(
                    f"step {step!r} belongs to pipeline {owner.name!r}, not {self.name!r}: "
                    "create each step inside the pipeline that uses it"
                )
            self.add_step(step)
        if any(s is dst for s in self._succ[id(src)]):
            raise ValueError(f"{src.name!r} >> {dst.name!r} is connected twice")
        self._succ[id(src)].append(dst)
        self._pred[id(dst)].append(src)

    # -- reading ---------------------------------------------------------------------------
    @property
    def steps(self) -> list["Step"]:
        return list(self._steps)

    def successors(self, step: "Step") -> list["Step"]:
        return list(self._succ[id(step)])

    def predecessors(self, step: "Step") -> list["Step"]:
        return list(self._pred[id(step)])

    def step(self, name: str) -> "Step":
        for s in self._steps:
            if s.name == name:
                return s
        raise KeyError(f"no step named {name!r} in pipeline {self.name!r}")

    def leaves(self) -> list["Step"]:
        return [s for s in self._steps if not self._succ[id(s)]]

    def find_cycle(self) -> list["Step"] | None:
        """Return the steps of one cycle, in order, or None if the graph is acyclic."""
        color: dict[int, int] = {}  # 1 = on the current path, 2 = finished
        path: list[Step] = []

        def visit(step: "Step") -> list["Step"] | None:
            color[id(step)] = 1
            path.append(step)
            for nxt in self._succ[id(step)]:
                if color.get(id(nxt)) == 1:
                    return path[path.index(nxt):] + [nxt]
                if id(nxt) not in color:
                    found = visit(nxt)
                    if found:
                        return found
            path.pop()
            color[id(step)] = 2
            return None

        for s in self._steps:
            if id(s) not in color:
                found = visit(s)
                if found:
                    return found
        return None

    def topological(self) -> list["Step"]:
        """Steps in a dependency order that is stable: ties keep declaration order."""
        indeg = {id(s): len(self._pred[id(s)]) for s in self._steps}
        order: list[Step] = []
        ready = [s for s in self._steps if indeg[id(s)] == 0]
        position = {id(s): i for i, s in enumerate(self._steps)}
        while ready:
            ready.sort(key=lambda s: position[id(s)])
            step = ready.pop(0)
            order.append(step)
            for nxt in self._succ[id(step)]:
                indeg[id(nxt)] -= 1
                if indeg[id(nxt)] == 0:
                    ready.append(nxt)
        if len(order) != len(self._steps):
            raise ValueError("the pipeline has a cycle; call validate() for its members")
        return order

    def __iter__(self) -> Iterator["Step"]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)
