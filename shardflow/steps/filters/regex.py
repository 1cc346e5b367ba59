"""Regex: drop documents in which a regular expression matches (datatrove's RegexFilter)."""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.batch_search import BatchSearch, char_starts


class RegexFilter(TextFilter):
    """Drop documents where ``pattern`` is found (Python ``re.search``, as datatrove).

    Decisions are Python's ``re`` (so ``\\w``, ``\\b``, lookarounds and backreferences mean
    what they mean in datatrove), but found fast: the pattern is translated into an RE2
    pattern that matches wherever it does (see ``re2_superset``), Arrow scans the whole
    batch with it, and Python's regex confirms only the rows RE2 matched, from where RE2's
    match starts. Patterns RE2 cannot stand in for (backreferences, conditional groups) are
    searched with Python row by row, as before. Where hyperscan is installed and compiles the
    superset, it scans the batch instead of RE2 (see ``batch_search``): same decisions. Reason: ``reason`` (default ``"regex"``).

    Args:
        pattern: The regular expression.
        flags: ``re`` flags, e.g. ``re.IGNORECASE``.
        reason: The drop reason counted in stats.

    Example:
        ``docs >> regex_filter(r"(?i)lorem ipsum", reason="lorem")``
    """

    default_name = "regex_filter"

    def __init__(self, pattern: str, flags: int = 0, reason: str = "regex", **options: Any) -> None:
        super().__init__(**options)
        try:
            self._regex = re.compile(pattern, flags)
        except re.error as exc:
            raise ValueError(f"regex_filter: {pattern!r} is not a valid regular expression: {exc}") from exc
        self.pattern = pattern
        self.flags = int(flags)
        self.reason = reason
        self._search = BatchSearch(pattern, flags)
        self._re2 = self._search.re2

    def setup(self) -> None:
        super().setup()
        self._search.engine  # compiles hyperscan's database now, not in the first batch

    def judge(self, text: str) -> str | None:
        return self.reason if self._regex.search(text) else None

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        if not self._search.available:
            found = [m is not None for m in map(self._regex.search, self.texts(batch))]
        else:
            texts = self.column(batch, self.text_column, "text_column")
            if texts.null_count:
                texts = pc.fill_null(texts, "")
            starts = self._search.starts(texts)
            rows = np.flatnonzero(starts >= 0)
            found = np.zeros(batch.num_rows, dtype=bool)
            search = self._regex.search
            # Python's leftmost match cannot start before ``starts`` (see BatchSearch.starts),
            # so the confirming search starts there; search(text, pos) still sees the
            # characters before pos for lookbehinds and \b.
            candidates = texts.take(rows)
            strings = candidates.to_pylist()
            for row, text, pos in zip(rows.tolist(), strings, char_starts(candidates, strings, starts[rows])):
                found[row] = search(text, pos) is not None
        return pa.array(~np.asarray(found, dtype=bool)), [self.reason if f else None for f in found]


regex_filter = RegexFilter
