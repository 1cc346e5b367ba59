"""FineWeb quality: the line-level heuristics FineWeb added to Gopher and C4 (Penedo et al. 2024).

Same parameters, defaults, order of checks and drop reasons as datatrove's
``FineWebQualityFilter``.
"""

from __future__ import annotations

from operator import itemgetter, methodcaller
from typing import Any, Iterable

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.gopher_repetition import duplicates
from shardflow.steps.filters.words import TERMINAL_PUNCTUATION, english_words


class FineWebQuality(TextFilter):
    """Drop documents whose lines rarely end a sentence, are mostly short, repeat, or are lists.

    Reasons: ``empty``, ``line_punct_ratio``, ``short_line_ratio``, ``char_dup_ratio``,
    ``list_ratio``.

    Args:
        line_punct_thr: Smallest share of (non-blank) lines ending with ``stop_chars``.
        line_punct_exclude_zero: Keep documents where no line ends with one (share 0).
        stop_chars: Line endings that count as terminal punctuation (default: datatrove's set).
        short_line_thr: Largest share of lines of at most ``short_line_length`` characters.
        short_line_length: What a short line is, in characters.
        char_duplicates_ratio: Largest share of characters (newlines aside) in repeated lines.
        new_line_ratio: Most newlines per word.

    Example:
        ``docs >> fineweb_quality(line_punct_thr=0.1)``
    """

    default_name = "fineweb_quality"

    def __init__(
        self,
        line_punct_thr: float = 0.12,
        line_punct_exclude_zero: bool = False,
        stop_chars: Iterable[str] | None = None,
        short_line_thr: float = 0.67,
        short_line_length: int = 30,
        char_duplicates_ratio: float = 0.01,
        new_line_ratio: float = 0.3,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.line_punct_thr = line_punct_thr
        self.line_punct_exclude_zero = line_punct_exclude_zero
        self.stop_chars = sorted(TERMINAL_PUNCTUATION if stop_chars is None else set(stop_chars))
        self.short_line_thr = short_line_thr
        self.short_line_length = short_line_length
        self.char_duplicates_ratio = char_duplicates_ratio
        self.new_line_ratio = new_line_ratio
        self._single_chars = frozenset(self.stop_chars) if all(len(c) == 1 for c in self.stop_chars) else None
        self._endings = tuple(self.stop_chars)

    def judge(self, text: str) -> str | None:
        # Whole-list operations (map, filter, sum) run in C: no Python loop over lines.
        lines = list(filter(str.strip, text.split("\n")))  # the non-blank lines, unstripped
        if not lines:
            return "empty"
        if self._single_chars is not None:  # a set lookup instead of endswith(150 strings)
            punct = sum(map(self._single_chars.__contains__, map(itemgetter(-1), lines)))
        else:
            punct = sum(map(methodcaller("endswith", self._endings), lines))
        ratio = punct / len(lines)
        if ratio < self.line_punct_thr and not (ratio == 0 and self.line_punct_exclude_zero):
            return "line_punct_ratio"

        if sum(map(self.short_line_length.__ge__, map(len, lines))) / len(lines) > self.short_line_thr:
            return "short_line_ratio"

        if duplicates(lines)[1] / (len(text) - text.count("\n")) > self.char_duplicates_ratio:
            return "char_dup_ratio"

        # Every whitespace-separated chunk holds at least one word, so if there are few
        # newlines per chunk there are as few per word: no need to count the words then.
        newlines = text.count("\n")
        if newlines / len(text.split()) > self.new_line_ratio:
            if newlines / english_words().counts(text).words > self.new_line_ratio:
                return "list_ratio"
        return None


fineweb_quality = FineWebQuality
