"""Which graph a newly created step joins: the innermost ``with Pipeline(...)`` block."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from shardflow.graph.dag import Graph

_current: contextvars.ContextVar["Graph | None"] = contextvars.ContextVar(
    "shardflow_graph", default=None
)


def current_graph() -> "Graph | None":
    """Return the graph of the innermost active ``with Pipeline`` block, or None."""
    return _current.get()


@contextmanager
def building(graph: "Graph") -> Iterator["Graph"]:
    """Make ``graph`` the one new steps register with, for the duration of the block."""
    token = _current.set(graph)
    try:
        yield graph
    finally:
        _current.reset(token)
