"""Gopher repetition: duplicate lines, paragraphs and n-grams (Rae et al. 2021, table A1).

Same parameters, defaults, order of checks and drop reasons as datatrove's
``GopherRepetitionFilter``.
"""

from __future__ import annotations

from typing import Any, Sequence

import pyarrow as pa

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.ngrams import NGrams
from shardflow.steps.filters.words import english_words

# judge_lines' answer for a text that only its words can judge.
_WORDS = "(words)"


def paragraphs_of(text: str) -> list[str]:
    """``re.split(r"\\n{2,}", text.strip())`` (datatrove's paragraphs), with ``str.split``.

    ``split("\\n\\n")`` cuts a run of k newlines into k // 2 separators: it leaves empty
    pieces for the extra pairs, and a leading newline on the next piece when k is odd.
    """
    stripped = text.strip()
    if not stripped:
        return [""]
    return [p[1:] if p[:1] == "\n" else p for p in stripped.split("\n\n") if p]


def lines_of(text: str) -> list[str]:
    """``re.split("\\n+", text)`` (datatrove's lines), with the much faster ``str.split``.

    Splitting on runs of newlines leaves an empty piece only at the start or the end of a
    text that starts or ends with a newline; ``split("\\n")`` leaves one per extra newline.
    """
    lines = list(filter(None, text.split("\n")))
    if text.startswith("\n"):
        lines.append("")
    if text.endswith("\n"):
        lines.append("")
    return lines


def duplicates(parts: list[str]) -> tuple[int, int]:
    """(elements, characters) that repeat an earlier element: datatrove's find_duplicates."""
    unique = set(parts)
    return len(parts) - len(unique), sum(map(len, parts)) - sum(map(len, unique))


class GopherRepetition(TextFilter):
    """Drop documents made of repeated lines, paragraphs or n-grams.

    Fractions are of elements (lines, paragraphs) or of characters of the whole text. A
    threshold set to None (or an empty n-gram list) is not checked. Reasons: ``empty``,
    ``dup_para_frac``, ``dup_para_char_frac``, ``dup_line_frac``, ``dup_line_char_frac``,
    ``top_{n}_gram``, ``duplicated_{n}_n_grams``.

    Args:
        dup_line_frac: Largest share of duplicate lines.
        dup_para_frac: Largest share of duplicate paragraphs.
        dup_line_char_frac: Largest share of characters in duplicate lines.
        dup_para_char_frac: Largest share of characters in duplicate paragraphs.
        top_n_grams: ``(n, fraction)``: largest share of characters in the most frequent n-gram.
        dup_n_grams: ``(n, fraction)``: largest share of characters in repeated n-grams.

    Example:
        ``docs >> gopher_repetition(dup_line_frac=0.2)``
    """

    default_name = "gopher_repetition"

    def __init__(
        self,
        dup_line_frac: float | None = 0.3,
        dup_para_frac: float | None = 0.3,
        dup_line_char_frac: float | None = 0.2,
        dup_para_char_frac: float | None = 0.2,
        top_n_grams: Sequence[tuple[int, float]] = ((2, 0.2), (3, 0.18), (4, 0.16)),
        dup_n_grams: Sequence[tuple[int, float]] = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)),
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.dup_line_frac = dup_line_frac
        self.dup_para_frac = dup_para_frac
        self.dup_line_char_frac = dup_line_char_frac
        self.dup_para_char_frac = dup_para_char_frac
        self.top_n_grams = [(int(n), float(f)) for n, f in top_n_grams]
        self.dup_n_grams = [(int(n), float(f)) for n, f in dup_n_grams]

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        texts = TextFilter.texts(self, batch)
        reasons = list(map(self.judge_lines, texts))
        # Only the texts that pass the line checks are split into words (the words of a
        # rejected text would be learned for nothing).
        rows = [i for i, reason in enumerate(reasons) if reason is _WORDS]
        if rows:
            column = self.column(batch, self.text_column, "text_column")
            english_words().read_batch([texts[i] for i in rows], column.take(pa.array(rows, pa.int64())))
        for i in rows:
            reasons[i] = self.judge_words(texts[i])
        return [r is None for r in reasons], reasons

    def judge(self, text: str) -> str | None:
        reason = self.judge_lines(text)
        return self.judge_words(text) if reason is _WORDS else reason

    def judge_lines(self, text: str) -> str | None:
        """The reason to drop ``text`` for its paragraphs or lines; None to keep it, or
        ``_WORDS`` when the n-gram checks (:meth:`judge_words`) decide."""
        if not text:
            return "empty"
        size = len(text)
        paragraphs = paragraphs_of(text)
        dup, dup_chars = duplicates(paragraphs)
        if self.dup_para_frac and dup / len(paragraphs) > self.dup_para_frac:
            return "dup_para_frac"
        if self.dup_para_char_frac and dup_chars / size > self.dup_para_char_frac:
            return "dup_para_char_frac"

        lines = lines_of(text)
        dup, dup_chars = duplicates(lines)
        if self.dup_line_frac and dup / len(lines) > self.dup_line_frac:
            return "dup_line_frac"
        if self.dup_line_char_frac and dup_chars / size > self.dup_line_char_frac:
            return "dup_line_char_frac"

        if not self.top_n_grams and not self.dup_n_grams:
            return None
        return _WORDS

    def judge_words(self, text: str) -> str | None:
        """The reason to drop ``text`` for its repeated word n-grams, or None to keep it."""
        size = len(text)
        ids, lengths = english_words().word_ids(text)
        n_words = len(ids)
        grams = NGrams(ids, lengths)

        def at(n: int) -> NGrams:
            # n-grams are built incrementally; the default checks ask for increasing n.
            nonlocal grams
            if grams.n > n:
                grams = NGrams(ids, lengths)
            while grams.n < n:
                grams.advance()
            return grams

        for n, frac in self.top_n_grams:
            if n_words >= n and at(n).top_chars() / size > frac:
                return f"top_{n}_gram"
        for k, (n, frac) in enumerate(self.dup_n_grams):
            if n_words < n:
                continue
            if grams.n <= n and grams.covered_chars() / size <= min(f for _, f in self.dup_n_grams[k:]):
                # What repeated n-grams cover bounds every later check: none can fire.
                return None
            if at(n).duplicate_chars() / size > frac:
                return f"duplicated_{n}_n_grams"
        return None


gopher_repetition = GopherRepetition
