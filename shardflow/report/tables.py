"""Stats as a rich table: one row per step, drop reasons spelled out."""

from __future__ import annotations

from typing import Any, Mapping

from rich.table import Table


def stats_table(stats: Mapping[str, Mapping[str, Any]], title: str | None = None) -> Table:
    """A table of per-step stats (as in stats.json)."""
    table = Table(title=title)
    for col in ("step", "tasks", "rows in", "rows out", "dropped", "seconds"):
        table.add_column(col, justify="left" if col in ("step", "dropped") else "right")
    for name, s in stats.items():
        dropped = "\n".join(f"{r}: {n:,}" for r, n in s["dropped"].items()) or "0"
        table.add_row(name, str(s["tasks"]), f"{s['rows_in']:,}", f"{s['rows_out']:,}", dropped, f"{s['seconds']:.2f}")
    return table
