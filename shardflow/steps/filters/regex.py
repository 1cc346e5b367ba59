"""Regex: drop documents in which a regular expression matches (datatrove's RegexFilter)."""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.re2_superset import Untranslatable, char_offset, first_match, re2_compiles, re2_superset


class RegexFilter(TextFilter):
    """Drop documents where ``pattern`` is found (Python ``re.search``, as datatrove).

    Decisions are Python's ``re`` (so ``\\w``, ``\\b``, lookarounds and backreferences mean
    what they mean in datatrove), but found fast: the pattern is translated into an RE2
    pattern that matches wherever it does (see ``re2_superset``), Arrow scans the whole
    batch with it, and Python's regex confirms only the rows RE2 matched, from where RE2's
    match starts. Patterns RE2 cannot stand in for (backreferences, conditional groups) are
    searched with Python row by row, as before. Reason: ``reason`` (default ``"regex"``).

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
        self._re2 = prefilter_pattern(pattern, flags)

    def judge(self, text: str) -> str | None:
        return self.reason if self._regex.search(text) else None

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        if self._re2 is None:
            found = [m is not None for m in map(self._regex.search, self.texts(batch))]
        else:
            texts = pc.fill_null(self.column(batch, self.text_column, "text_column"), "")
            starts = first_match(texts, self._re2)
            rows = np.flatnonzero(starts >= 0)
            found = np.zeros(batch.num_rows, dtype=bool)
            search = self._regex.search
            # Python's leftmost match cannot start before RE2's (every Python match is an RE2
            # match), so the confirming search starts there; search(text, pos) still sees the
            # characters before pos for lookbehinds and \b.
            for row, text in zip(rows.tolist(), texts.take(rows).to_pylist()):
                found[row] = search(text, char_offset(text, int(starts[row]))) is not None
        return pa.array(~np.asarray(found, dtype=bool)), [self.reason if f else None for f in found]


def prefilter_pattern(pattern: str, flags: int = 0) -> str | None:
    """The RE2 superset of ``pattern`` to prefilter with, or None to search with Python only."""
    try:
        re2 = re2_superset(pattern, flags)
    except Untranslatable:
        return None
    return re2 if re2_compiles(re2) else None


regex_filter = RegexFilter
