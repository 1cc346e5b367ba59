"""C4 quality: the line and page rules of Raffel et al. 2020 (C4), as datatrove applies them.

Same parameters, defaults, order of checks and drop reasons as datatrove's
``C4QualityFilter``. Like it, the step also *rewrites* the text of the documents it keeps:
only the lines that passed the line rules remain (turn off with ``rewrite_text=False``).
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import pyarrow as pa

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.words import english_words

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
ELLIPSIS = "..."
POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


class C4Quality(TextFilter):
    """Keep the lines that look like sentences; drop pages with too few, or with code / lorem ipsum.

    A line is kept if it has no word over ``max_word_length`` characters, ends with terminal
    punctuation (not an ellipsis), has at least ``min_words_per_line`` words, and mentions
    neither "javascript" nor a cookie / terms-of-use phrase. Reasons: ``lorem_ipsum``,
    ``curly_bracket`` (a kept line has either), ``too_few_sentences`` (fewer than
    ``min_num_sentences`` in the kept lines, counted as spaCy's sentencizer does).

    Args:
        split_paragraph: Judge lines (True, as C4) rather than sentences.
        remove_citations: Remove wikipedia-style citations (``[1]``, ``[edit]``) from lines.
        filter_no_terminal_punct: Drop lines without terminal punctuation.
        min_num_sentences: Fewest sentences in the kept lines (-1: no minimum).
        min_words_per_line: Fewest words in a kept line (-1: any).
        max_word_length: Drop lines with a longer word (-1: no limit).
        filter_lorem_ipsum: Drop pages with "lorem ipsum" in a kept line.
        filter_javascript: Drop lines mentioning "javascript".
        filter_curly_bracket: Drop pages with ``{`` in a kept line.
        filter_policy: Drop lines with a cookie / terms-of-use phrase.
        rewrite_text: Replace a kept document's text by its kept lines, as datatrove does.

    Example:
        ``docs >> c4_quality(rejected="out/rejected/c4")``
    """

    default_name = "c4_quality"

    def __init__(
        self,
        split_paragraph: bool = True,
        remove_citations: bool = True,
        filter_no_terminal_punct: bool = True,
        min_num_sentences: int = 5,
        min_words_per_line: int = 3,
        max_word_length: int = 1000,
        filter_lorem_ipsum: bool = True,
        filter_javascript: bool = True,
        filter_curly_bracket: bool = True,
        filter_policy: bool = True,
        rewrite_text: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if not split_paragraph:
            raise ValueError(
                "c4_quality(split_paragraph=False) (judging spaCy sentences instead of lines) "
                "is not supported; use the default split_paragraph=True, as C4 does"
            )
        self.split_paragraph = split_paragraph
        self.remove_citations = remove_citations
        self.filter_no_terminal_punct = filter_no_terminal_punct
        self.min_num_sentences = min_num_sentences
        self.min_words_per_line = min_words_per_line
        self.max_word_length = max_word_length
        self.filter_lorem_ipsum = filter_lorem_ipsum
        self.filter_javascript = filter_javascript
        self.filter_curly_bracket = filter_curly_bracket
        self.filter_policy = filter_policy
        self.rewrite_text = rewrite_text

    def clean(self, text: str) -> tuple[str | None, str]:
        """(reason to drop or None, the text of the kept lines)."""
        sentences = 0
        wanted = self.min_num_sentences
        kept = []
        lex = english_words()
        for line in text.splitlines():
            line = line.strip()
            words = line.split()
            if self.max_word_length != -1 and any(len(w) > self.max_word_length for w in words):
                continue
            if self.remove_citations and "[" in line:
                line = CITATION.sub("", line)
            if self.filter_no_terminal_punct and (not line.endswith(END_PUNCTUATION) or line.endswith(ELLIPSIS)):
                continue
            if len(words) < self.min_words_per_line:
                continue
            lower = line.lower()
            if self.filter_lorem_ipsum and "lorem ipsum" in lower:
                return "lorem_ipsum", text
            if self.filter_javascript and "javascript" in lower:
                continue
            if self.filter_curly_bracket and "{" in line:
                return "curly_bracket", text
            if self.filter_policy and any(p in lower for p in POLICY_SUBSTRINGS):
                continue
            # Only "at least min_num_sentences" matters: stop counting once there.
            if wanted != -1 and sentences < wanted:
                sentences += lex.count_sentences(line)
            kept.append(line)
        if sentences < wanted:
            return "too_few_sentences", text
        return None, "\n".join(kept).strip()

    def judge(self, text: str) -> str | None:
        return self.clean(text)[0]

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        results = [self.clean(t) for t in self.texts(batch)]
        reasons = [reason for reason, _ in results]
        # The base class's process() calls this; ours then puts these texts in the kept rows.
        self._kept_texts = [text for reason, text in results if reason is None]
        return [r is None for r in reasons], reasons

    def process(self, batch: pa.Table) -> pa.Table:
        out = super().process(batch)  # counts and writes the rejected rows, as they came
        kept, self._kept_texts = self._kept_texts, None
        if not self.rewrite_text or out.num_rows == 0:
            return out
        index = out.column_names.index(self.text_column)
        return out.set_column(index, self.text_column, pa.array(kept, type=out.schema.field(index).type))

    _kept_texts: list[str] | None = None


c4_quality = C4Quality
