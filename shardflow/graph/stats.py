"""Per-step counters: rows in and out, rows dropped by reason, time, custom counts.

One :class:`StepStats` exists per step per task; the engine merges them across tasks.
Sources and sinks also keep a histogram of the lengths of the documents they read or wrote,
so a report can show the length distribution before and after filtering without reading the
data again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Length histogram bins per doubling of length: bin ``b`` holds lengths in
#: ``[2**(b/4), 2**((b+1)/4))`` characters; bin -1 holds empty documents. Fixed bins merge
#: across tasks by simple addition.
LENGTH_BINS_PER_OCTAVE = 4


def length_bin_edges(b: int) -> tuple[float, float]:
    """The ``[low, high)`` lengths, in characters, of histogram bin ``b``."""
    if b < 0:
        return (0.0, 1.0)
    return (2 ** (b / LENGTH_BINS_PER_OCTAVE), 2 ** ((b + 1) / LENGTH_BINS_PER_OCTAVE))


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
        lengths: Histogram of the ``text`` lengths (characters) of the rows a source read
            or a sink wrote, by bin (see :data:`LENGTH_BINS_PER_OCTAVE`); empty for
            other steps.
    """

    rows_in: int = 0
    rows_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    counters: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    tasks: int = 0
    lengths: Counter = field(default_factory=Counter)

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
        self.lengths.update(other.lengths)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": dict(sorted(self.dropped.items())),
            "counters": dict(sorted(self.counters.items())),
            "seconds": round(self.seconds, 6),
            "tasks": self.tasks,
            "lengths": {str(b): n for b, n in sorted(self.lengths.items())},
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
            lengths=Counter({int(b): n for b, n in data.get("lengths", {}).items()}),
        )
