"""Regex: drop documents in which a regular expression matches (datatrove's RegexFilter)."""

from __future__ import annotations

import re
from typing import Any, Sequence

import pyarrow as pa

from shardflow.steps.filters.base import TextFilter


class RegexFilter(TextFilter):
    """Drop documents where ``pattern`` is found (Python ``re.search``, as datatrove).

    Python's ``re`` (not Arrow's RE2) so that ``\\w``, lookarounds and backreferences mean
    what they mean in datatrove. Reason: ``reason`` (default ``"regex"``).

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

    def judge(self, text: str) -> str | None:
        return self.reason if self._regex.search(text) else None

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        found = list(map(self._regex.search, self.texts(batch)))
        return [m is None for m in found], [None if m is None else self.reason for m in found]


regex_filter = RegexFilter
