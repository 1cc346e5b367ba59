"""Text length: keep documents whose length in characters (or words) is within bounds."""

from __future__ import annotations

from typing import Any, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.filters.base import TextFilter


class TextLength(TextFilter):
    """Drop documents shorter than ``min_chars`` or longer than ``max_chars`` characters.

    Columnar: the lengths come from Arrow (``utf8_length``, code points, as Python's
    ``len``), with no per-row Python. Reasons: ``too_short``, ``too_long``.

    Args:
        min_chars: Fewest characters (None: no minimum).
        max_chars: Most characters (None: no maximum).

    Example:
        ``docs >> text_length(min_chars=200, max_chars=100_000)``
    """

    default_name = "text_length"

    def __init__(self, min_chars: int | None = None, max_chars: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        if min_chars is None and max_chars is None:
            raise ValueError("text_length needs min_chars=, max_chars= or both")
        self.min_chars = min_chars
        self.max_chars = max_chars

    def judge(self, text: str) -> str | None:
        if self.min_chars is not None and len(text) < self.min_chars:
            return "too_short"
        if self.max_chars is not None and len(text) > self.max_chars:
            return "too_long"
        return None

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        lengths = pc.fill_null(pc.utf8_length(self.column(batch, self.text_column, "text_column")), 0)
        short = pc.less(lengths, self.min_chars) if self.min_chars is not None else None
        long = pc.greater(lengths, self.max_chars) if self.max_chars is not None else None
        reasons = pa.nulls(batch.num_rows, pa.string())
        if long is not None:
            reasons = pc.if_else(long, "too_long", reasons)
        if short is not None:
            reasons = pc.if_else(short, "too_short", reasons)
        keep = pc.is_null(reasons)
        return keep, reasons.to_pylist()


text_length = TextLength
