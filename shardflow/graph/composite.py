"""A composite: several steps that the user wires as one, ``docs >> composite >> sink``.

Some work needs more than one stage: a dedup computes keys shard by shard, decides globally
which rows to drop, then filters shard by shard. A composite creates its steps when it is
created (inside ``with Pipeline(...)``, so they join the graph as ordinary steps) and
connects them to each other; ``>>`` then connects the outside: an upstream step is attached
to every inner step that reads it (:meth:`Composite.attach`), and downstream steps read
:attr:`Composite.output`. Planning and running see only the inner steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Sequence

if TYPE_CHECKING:
    from pydantic import BaseModel

    from shardflow.graph.step import Step


class Composite:
    """Base of steps made of steps. Subclasses build their steps in ``__init__``.

    Attributes:
        output: The inner step whose output is the composite's output.
        args_model: Optional pydantic model of the constructor's own arguments; recipes
            validate a step's ``args`` with it before building anything.
    """

    output: "Step"
    args_model: ClassVar["type[BaseModel] | None"] = None

    def attach(self, upstream: "Step") -> None:
        """Connect ``upstream`` to every inner step that reads the composite's input."""
        raise NotImplementedError(f"{type(self).__name__} must implement attach(upstream)")

    @property
    def name(self) -> str:
        """The name of the output step (what stats and results list)."""
        return self.output.name

    def __rshift__(self, other: "Step | Composite | Sequence[Step | Composite]") -> Any:
        return self.output >> other

    def __rrshift__(self, other: "Step | Composite | Sequence[Step | Composite]") -> "Composite":
        for upstream in other if isinstance(other, (list, tuple)) else [other]:
            self.attach(upstream.output if isinstance(upstream, Composite) else upstream)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(getattr(self, 'output', None), 'name', '?')!r}>"
