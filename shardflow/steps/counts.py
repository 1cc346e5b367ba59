"""Per-document counts as columns: ``count_text`` (words, lines, characters), columnar."""

from __future__ import annotations

from typing import Any, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from shardflow.graph.step import Transform

MEASURES = ("words", "lines", "chars")


class CountText(Transform):
    """Add ``n_words``, ``n_lines`` and ``n_chars`` columns (int64).

    * words: runs of non-whitespace characters (``len(text.split())``);
    * lines: ``\\n``-separated lines; a final newline does not start a line, and an empty
      text has none (``len(text.splitlines())`` for ``\\n`` line ends);
    * chars: Unicode code points (``len(text)``).

    The totals are added to the step's counters (``words``, ``lines``, ``chars``).

    Args:
        measures: Which of ``"words"``, ``"lines"``, ``"chars"`` to add.
        text_column: The column to measure.
        prefix: Prefix of the new columns' names.

    Example:
        ``docs >> count_text(measures=["words", "chars"])``
    """

    default_name = "count_text"

    def __init__(self, *, measures: Sequence[str] = MEASURES, text_column: str = "text", prefix: str = "n_",
                 **options: Any) -> None:
        super().__init__(**options)
        unknown = [m for m in measures if m not in MEASURES]
        if unknown or not measures:
            raise ValueError(f"measures={list(measures)}: choose among {MEASURES}")
        self.measures = list(measures)
        self.text_column = text_column
        self.prefix = prefix

    def process(self, batch: pa.Table) -> pa.Table:
        text = batch.column(self.text_column)
        for measure in self.measures:
            values = _MEASURE[measure](text).cast(pa.int64())
            self.stats.count(measure, pc.sum(values).as_py() or 0)
            name = self.prefix + measure
            if name in batch.column_names:
                batch = batch.set_column(batch.column_names.index(name), name, values)
            else:
                batch = batch.append_column(name, values)
        return batch


def _words(text):
    # CPython's str.split is as fast as any columnar way tried (Arrow's split builds a string
    # per word; a numpy pass over the UTF-8 bytes only tied with it), and exact by definition.
    return pa.array([len(t.split()) if t is not None else None for t in text.to_pylist()], pa.int64())


def _lines(text):
    newlines = pc.count_substring(text, "\n")
    open_last = pc.and_(pc.greater(pc.utf8_length(text), 0), pc.invert(pc.ends_with(text, "\n")))
    return pc.add(newlines.cast(pa.int64()), pc.cast(open_last, pa.int64()))


def _chars(text):
    return pc.utf8_length(text)


_MEASURE = {"words": _words, "lines": _lines, "chars": _chars}

count_text = CountText
