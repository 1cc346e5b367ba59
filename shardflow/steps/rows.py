"""Steps from plain functions: ``filter_rows``, ``map_rows`` and ``map_batches``."""

from __future__ import annotations

from typing import Any, Callable

import pyarrow as pa

from shardflow.graph.step import Converge, Filter, Mapper, Router, Transform


class FilterRows(Filter):
    """Keep the rows for which ``fn(row)`` is true.

    ``fn`` may return ``(False, "reason")`` to name why a row is dropped; otherwise dropped
    rows are counted under the step's name. Lambdas and closures work.

    Example:
        ``docs >> filter_rows(lambda d: len(d["text"]) > 200, name="long_enough")``
    """

    default_name = "filter_rows"

    def __init__(self, fn: Callable[[dict[str, Any]], Any], **options: Any) -> None:
        super().__init__(**options)
        self.fn = fn

    def filter(self, row: dict[str, Any]) -> bool | tuple[bool, str]:
        return self.fn(row)


class MapRows(Mapper):
    """Replace each row by ``fn(row)`` (a dict); rows mapped to None are dropped and counted.

    Example:
        ``docs >> map_rows(lambda d: {**d, "n_chars": len(d["text"])})``
    """

    default_name = "map_rows"

    def __init__(self, fn: Callable[[dict[str, Any]], dict[str, Any] | None], **options: Any) -> None:
        super().__init__(**options)
        self.fn = fn

    def map(self, row: dict[str, Any]) -> dict[str, Any] | None:
        return self.fn(row)


class MapBatches(Transform):
    """Apply ``fn`` to each Arrow table (columnar: fastest for vectorised work).

    Example:
        ``docs >> map_batches(lambda t: t.append_column("n", pc.utf8_length(t["text"])))``
    """

    default_name = "map_batches"

    def __init__(self, fn: Callable[[pa.Table], pa.Table | None], **options: Any) -> None:
        super().__init__(**options)
        self.fn = fn

    def process(self, batch: pa.Table) -> pa.Table | None:
        return self.fn(batch)


filter_rows = FilterRows
map_rows = MapRows
map_batches = MapBatches


class RouteBatches(Router):
    """Send each batch to the successors ``fn(batch, seq)`` names (indices or step names).

    Example (round-robin over three replicas, merged back in order)::

        routed = docs >> route_batches(lambda batch, seq: [seq % 3])
        replicas = [routed >> map_rows(clean, name=f"clean_{i}") for i in range(3)]
        replicas >> converge() >> write_jsonl("out/clean")
    """

    default_name = "route_batches"

    def __init__(self, fn: Callable[[pa.Table, int], list[int | str]], **options: Any) -> None:
        super().__init__(**options)
        self.fn = fn

    def route(self, batch: pa.Table, seq: int) -> list[int | str]:
        return self.fn(batch, seq)


class ConvergeBatches(Converge):
    """Merge routed branches back into the original batch order. Example: ``[a, b] >> converge()``."""

    default_name = "converge"


route_batches = RouteBatches
converge = ConvergeBatches
