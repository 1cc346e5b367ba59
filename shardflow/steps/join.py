"""``join``: combine two inputs on a key column (a global step: it needs every shard of both)."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import pyarrow as pa

from shardflow.graph.step import GlobalStep
from shardflow.run.stream import concat

JOIN_TYPES = ("inner", "left outer", "right outer", "full outer", "left semi", "left anti")
_LEFT, _RIGHT = "__shardflow_left_row", "__shardflow_right_row"


class Join(GlobalStep):
    """Join the first input (left) with the second (right) on key columns, with Arrow's join.

    Rows come out in a deterministic order: by the left row's position in the input, then
    the right row's. Columns of the right side whose names clash get ``right_suffix``.

    Args:
        on: Key column(s), present in both inputs.
        how: One of ``inner`` (default), ``left outer``, ``right outer``, ``full outer``,
            ``left semi``, ``left anti``.
        right_suffix: Suffix for right-side columns that clash with left-side ones.

    Example:
        ``[docs, labels] >> join(on="id") >> write_parquet("out/labelled")``
    """

    default_name = "join"

    def __init__(self, on: str | Sequence[str], *, how: str = "inner", right_suffix: str = "_right", **options: Any) -> None:
        super().__init__(**options)
        if how not in JOIN_TYPES:
            raise ValueError(f"how={how!r} is not a join type; use one of {', '.join(JOIN_TYPES)}")
        self.on = [on] if isinstance(on, str) else list(on)
        self.how = how
        self.right_suffix = right_suffix

    def process_inputs(self, inputs: list[Iterator[pa.Table]]) -> pa.Table | None:
        if len(inputs) != 2:
            raise ValueError(f"join {self.name!r} needs exactly two inputs, `[left, right] >> join(...)`; it has {len(inputs)}")
        left, right = (self._whole(side) for side in inputs)
        if left is None or right is None:
            return left if self.how in ("left outer", "left anti") else None
        for side, table in (("left", left), ("right", right)):
            missing = [k for k in self.on if k not in table.column_names]
            if missing:
                raise KeyError(f"join {self.name!r}: the {side} input has no column {missing}; it has {table.column_names}")
        # Arrow's join cannot carry nested columns, so join keys and row numbers only, then
        # take whole rows from each side: any column type works, and the order is explicit.
        left_keys = pa.table({**{k: left[k] for k in self.on}, _LEFT: pa.array(range(left.num_rows), pa.int64())})
        right_keys = pa.table({**{k: right[k] for k in self.on}, _RIGHT: pa.array(range(right.num_rows), pa.int64())})
        pairs = left_keys.join(right_keys, keys=self.on, join_type=self.how, coalesce_keys=True, use_threads=False)
        pairs = pairs.sort_by([(c, "ascending") for c in (_LEFT, _RIGHT) if c in pairs.column_names])
        columns: dict[str, pa.ChunkedArray] = {}
        if _LEFT in pairs.column_names:
            taken = left.take(pairs[_LEFT])
            columns.update({name: taken[name] for name in left.column_names})
        for key in self.on:
            columns[key] = pairs[key]  # coalesced: filled from whichever side matched
        if _RIGHT in pairs.column_names:
            taken = right.drop_columns(self.on).take(pairs[_RIGHT])
            for name in taken.column_names:
                columns[name + self.right_suffix if name in columns else name] = taken[name]
        return pa.table(columns)

    @staticmethod
    def _whole(side: Iterator[pa.Table]) -> pa.Table | None:
        tables = list(side)
        return concat(tables) if tables else None


join = Join
