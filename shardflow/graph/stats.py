"""Per-step counters: rows in and out, rows dropped by reason, time, custom counts.

One :class:`StepStats` exists per step per task; the engine merges them across tasks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepStats:
    """Counters of one step over one or more tasks.

    Attributes:
        rows_in: Rows the step received.
        rows_out: Rows the step emitted.
        dropped: Rows dropped, by reason. Every row a step removes is counted here.
        counters: Free counters a step may add (``stats.count("tokens", n)``).
        seconds: Wall time spent inside the step's own methods.
        tasks: How many tasks these counters cover.
    """

    rows_in: int = 0
    rows_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    counters: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    tasks: int = 0

    def drop(self, reason: str, n: int = 1) -> None:
        """Count ``n`` rows dropped for ``reason``."""
        self.dropped[reason] += n

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the free counter ``name``."""
        self.counters[name] += n

    def merge(self, other: "StepStats") -> "StepStats":
        """Add ``other``'s counters into this one and return self."""
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.dropped.update(other.dropped)
        self.counters.update(other.counters)
        self.seconds += other.seconds
        self.tasks += other.tasks
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": dict(sorted(self.dropped.items())),
            "counters": dict(sorted(self.counters.items())),
            "seconds": round(self.seconds, 6),
            "tasks": self.tasks,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StepStats":
        return cls(
            rows_in=data.get("rows_in", 0),
            rows_out=data.get("rows_out", 0),
            dropped=Counter(data.get("dropped", {})),
            counters=Counter(data.get("counters", {})),
            seconds=data.get("seconds", 0.0),
            tasks=data.get("tasks", 0),
        )
