"""TextFilter: the base of the quality filters, which judge a document by its text alone."""

from __future__ import annotations

from typing import Any, Sequence

import pyarrow as pa

from shardflow.graph.step import Filter


def require_column(step: Filter, batch: pa.Table, name: str, option: str) -> pa.ChunkedArray:
    """Column ``name`` of ``batch``, or an error naming the step and the ``option`` to set."""
    if name not in batch.column_names:
        raise KeyError(
            f"step {step.name!r}: the input has no column {name!r} "
            f"(columns: {batch.column_names}); pass {option}= to name the right column"
        )
    return batch.column(name)


class TextFilter(Filter):
    """A filter that keeps or drops each row by looking at one text column.

    Subclasses write :meth:`judge`, which returns the reason to drop a text (a short name,
    the same datatrove uses, so stats compare) or None to keep it. ``filter_batch`` calls it
    once per row over the column as a plain list, with no per-row dict.

    Args:
        text_column: The column holding the document text.
        rejected: A directory to write dropped rows to, with their reason.
        **options: The options every step accepts (``name``, ``cpus``, ``batch_size``...).
    """

    def __init__(self, *, text_column: str = "text", **options: Any) -> None:
        super().__init__(**options)
        self.text_column = text_column

    def judge(self, text: str) -> str | None:
        """The reason to drop ``text``, or None to keep it."""
        raise NotImplementedError(f"{type(self).__name__} must implement judge(text)")

    def column(self, batch: pa.Table, name: str, option: str) -> pa.ChunkedArray:
        """Column ``name`` of ``batch``, or an error naming the ``option`` that sets it."""
        return require_column(self, batch, name, option)

    def texts(self, batch: pa.Table) -> list[str]:
        """The batch's texts as Python strings (a missing value reads as "")."""
        return [t if t is not None else "" for t in self.column(batch, self.text_column, "text_column").to_pylist()]

    def filter(self, row: dict[str, Any]) -> bool | tuple[bool, str]:
        reason = self.judge(row.get(self.text_column) or "")
        return True if reason is None else (False, reason)

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        reasons = list(map(self.judge, self.texts(batch)))
        return [r is None for r in reasons], reasons
