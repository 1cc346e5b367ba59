"""Gopher quality: the document-level heuristics of Rae et al. 2021 (MassiveText), table A1.

Same parameters, defaults, order of checks and drop reasons as datatrove's
``GopherQualityFilter``; words are counted with datatrove's English tokenizer (see
:mod:`shardflow.steps.filters.words`).
"""

from __future__ import annotations

from operator import methodcaller
from typing import Any, Iterable

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.words import ReadsWordsByBatch, english_words

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
# Per-line tests applied with map() (in C) rather than a Python loop over lines.
_STARTS_WITH_BULLET = methodcaller("startswith", ("•", "-"))
_ENDS_WITH_ELLIPSIS = methodcaller("endswith", ("...", "…"))


class GopherQuality(ReadsWordsByBatch, TextFilter):
    """Drop documents with too few / too long words, symbols, bullets, ellipses, no stop words.

    A "word" is a token with a character outside punctuation. Any threshold set to None is
    not checked. Reasons: ``gopher_short_doc``, ``gopher_long_doc``,
    ``gopher_below_avg_threshold``, ``gopher_above_avg_threshold``, ``gopher_too_many_hashes``,
    ``gopher_too_many_ellipsis``, ``gopher_too_many_bullets``, ``gopher_too_many_end_ellipsis``,
    ``gopher_below_alpha_threshold``, ``gopher_enough_stop_words``.

    Args:
        min_doc_words: Fewest words.
        max_doc_words: Most words.
        min_avg_word_length: Smallest mean word length.
        max_avg_word_length: Largest mean word length.
        max_symbol_word_ratio: Most ``#`` (and, separately, ellipses) per token.
        max_bullet_lines_ratio: Largest share of lines starting with a bullet.
        max_ellipsis_lines_ratio: Largest share of lines ending with an ellipsis.
        max_non_alpha_words_ratio: Smallest share of tokens with a letter (named as datatrove).
        min_stop_words: Fewest distinct stop words present.
        stop_words: The stop words (default: the, be, to, of, and, that, have, with).

    Example:
        ``docs >> gopher_quality(min_doc_words=100, rejected="out/rejected/gopher")``
    """

    default_name = "gopher_quality"

    def __init__(
        self,
        min_doc_words: int | None = 50,
        max_doc_words: int | None = 100000,
        min_avg_word_length: int | None = 3,
        max_avg_word_length: int | None = 10,
        max_symbol_word_ratio: float | None = 0.1,
        max_bullet_lines_ratio: float | None = 0.9,
        max_ellipsis_lines_ratio: float | None = 0.3,
        max_non_alpha_words_ratio: float | None = 0.8,
        min_stop_words: int | None = 2,
        stop_words: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.min_doc_words = min_doc_words
        self.max_doc_words = max_doc_words
        self.min_avg_word_length = min_avg_word_length
        self.max_avg_word_length = max_avg_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.max_non_alpha_words_ratio = max_non_alpha_words_ratio
        self.min_stop_words = min_stop_words
        self.stop_words = sorted(set(STOP_WORDS if stop_words is None else stop_words))

    def judge(self, text: str) -> str | None:
        lex = english_words()
        counts = lex.counts(text)
        n_words, n_non_symbol = counts.words, counts.non_symbol
        if self.min_doc_words and n_non_symbol < self.min_doc_words:
            return "gopher_short_doc"
        if self.max_doc_words and n_non_symbol > self.max_doc_words:
            return "gopher_long_doc"

        # datatrove takes np.mean of the lengths: nan (every comparison false) when empty.
        avg = counts.non_symbol_chars / n_non_symbol if n_non_symbol else float("nan")
        if self.min_avg_word_length and avg < self.min_avg_word_length:
            return "gopher_below_avg_threshold"
        if self.max_avg_word_length and avg > self.max_avg_word_length:
            return "gopher_above_avg_threshold"

        if self.max_symbol_word_ratio and n_words:
            if text.count("#") / n_words > self.max_symbol_word_ratio:
                return "gopher_too_many_hashes"
            if (text.count("...") + text.count("…")) / n_words > self.max_symbol_word_ratio:
                return "gopher_too_many_ellipsis"

        lines = text.splitlines()
        if lines and self.max_bullet_lines_ratio:
            bullets = sum(map(_STARTS_WITH_BULLET, map(str.lstrip, lines)))
            if bullets / len(lines) > self.max_bullet_lines_ratio:
                return "gopher_too_many_bullets"
        if lines and self.max_ellipsis_lines_ratio:
            ellipses = sum(map(_ENDS_WITH_ELLIPSIS, map(str.rstrip, lines)))
            if ellipses / len(lines) > self.max_ellipsis_lines_ratio:
                return "gopher_too_many_end_ellipsis"

        if self.max_non_alpha_words_ratio and n_words:
            if counts.alpha / n_words < self.max_non_alpha_words_ratio:
                return "gopher_below_alpha_threshold"

        if self.min_stop_words and self._stop_words_found(lex, text) < self.min_stop_words:
            return "gopher_enough_stop_words"
        return None

    def _stop_words_found(self, lex, text: str) -> int:
        # Most stop words stand alone ("the"): look for them as whole chunks first, and list
        # every word only if that did not find enough.
        alone = [w for w in self.stop_words if w in lex.chunk(w)]
        found = len(lex.has_chunks(text, alone))
        if found < self.min_stop_words:
            present = set(lex.words(text))
            found = sum(1 for w in self.stop_words if w in present)
        return found


gopher_quality = GopherQuality
