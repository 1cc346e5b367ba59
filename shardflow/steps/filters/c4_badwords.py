"""C4 bad words: drop pages containing a word of the LDNOOBW list (Raffel et al. 2020)."""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.re2_superset import lowered_from, re2_class
from shardflow.steps.filters.sampler import unit_hash
from shardflow.steps.filters.wordlists import any_word_regex, file_lines, shipped_lines

# datatrove removes these from every list: common sub-words of languages written without spaces.
ALLOWLIST = frozenset({"sm", "グロ", "女の子", "性"})
# Languages written without spaces: words match anywhere, not between non-word characters.
UNSPACED = ("ja", "th", "zh")


class C4BadWords(TextFilter):
    """Drop documents containing a bad word, as C4 and datatrove's ``C4BadWordsFilter`` do.

    The lowercased text is searched for any listed word (or phrase) between non-word
    characters. Batches are first scanned by Arrow (RE2) for any row that could match (see
    :func:`prefilter_pattern`); only those are lowercased and searched with Python's regex,
    so the decisions are exactly the Python search's. The English list (LDNOOBW, the revision C4 used, CC BY 4.0) ships with
    shardflow; give others with ``word_lists={"fr": "path/to/fr.txt"}``. The language of a
    row is read from ``language_column`` when the input has it (e.g. after language
    identification), else ``default_language``. Reason: ``document_removed_with_badwords``.

    Args:
        keep_fraction: Share of documents with bad words to keep anyway. Chosen by a hash of
            ``seed`` and the row's id, so it does not depend on workers (datatrove draws
            from a random stream instead, so those choices differ from its).
        seed: Seed of that choice.
        default_language: Language of rows without a language column or value.
        language_column: Column with each row's language code.
        word_lists: Extra or replacement lists: language code -> path of a text file.
        fail_on_missing_language: Raise on a language without a list (else keep and count).
        id_column: The id column, for ``keep_fraction``.

    Example:
        ``docs >> c4_badwords(rejected="out/rejected/badwords")``
    """

    default_name = "c4_badwords"

    def __init__(
        self,
        keep_fraction: float = 0.0,
        seed: int = 0,
        default_language: str = "en",
        language_column: str = "language",
        word_lists: dict[str, str] | None = None,
        fail_on_missing_language: bool = True,
        id_column: str = "id",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.keep_fraction = float(keep_fraction)
        self.seed = int(seed)
        self.default_language = default_language
        self.language_column = language_column
        self.word_lists = dict(word_lists or {})
        self.fail_on_missing_language = fail_on_missing_language
        self.id_column = id_column
        self._regexes: dict[str, re.Pattern | None] = {}
        self._prefilters: dict[str, str] = {}

    def setup(self) -> None:
        self._regex(self.default_language)

    def _regex(self, language: str) -> re.Pattern | None:
        if language not in self._regexes:
            if language in self.word_lists:
                lines = file_lines(self.word_lists[language])
            elif language == "en":
                lines = shipped_lines("c4_badwords_en.txt")
            elif self.fail_on_missing_language:
                raise ValueError(
                    f"c4_badwords: no bad-word list for language {language!r}; pass "
                    f"word_lists={{{language!r}: 'path/to/list.txt'}} or fail_on_missing_language=False"
                )
            else:
                self._regexes[language] = None
                return None
            words = {line.strip() for line in lines} - ALLOWLIST
            alternation = any_word_regex(words)
            # datatrove's (?:\W|^)word(?:\W|$), as lookarounds: the same texts match, faster.
            pattern = alternation if language in UNSPACED else rf"(?<!\w)(?:{alternation})(?!\w)"
            self._regexes[language] = re.compile(pattern)
            self._prefilters[language] = prefilter_pattern(words, spaced=language not in UNSPACED)
        return self._regexes[language]

    def judge(self, text: str, language: str | None = None, doc_id: Any = None) -> str | None:
        regex = self._regex(language or self.default_language)
        if regex is None:
            if self.stats is not None:
                self.stats.count(f"missing_badwords_lang_{language}")
            return None
        if regex.search(text.lower()) is None:
            return None
        if self.keep_fraction > 0.0 and unit_hash(self.seed, str(doc_id)) < self.keep_fraction:
            return None
        return "document_removed_with_badwords"

    def filter(self, row: dict[str, Any]) -> bool | tuple[bool, str]:
        reason = self.judge(row.get(self.text_column) or "", row.get(self.language_column), row.get(self.id_column))
        return True if reason is None else (False, reason)

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        n = batch.num_rows
        texts = pc.fill_null(self.column(batch, self.text_column, "text_column"), "")
        if self.language_column in batch.column_names:
            raw = batch.column(self.language_column).cast(pa.string())
            languages = pc.if_else(pc.fill_null(pc.not_equal(raw, ""), False), raw, self.default_language)
        else:
            raw, languages = None, pa.repeat(pa.scalar(self.default_language), n)
        candidates = np.zeros(n, dtype=bool)
        distinct = pc.unique(languages).to_pylist()
        for language in distinct:
            if len(distinct) == 1:
                rows, subset = np.arange(n), texts
            else:
                rows = np.flatnonzero(pc.equal(languages, language).to_numpy(zero_copy_only=False))
                subset = texts.take(rows)
            if self._regex(language) is None:
                candidates[rows] = True  # no list: judge() keeps the row and counts it
            else:
                found = pc.match_substring_regex(subset, self._prefilters[language])
                candidates[rows[found.to_numpy(zero_copy_only=False)]] = True
        # Only the candidates are judged exactly (lowercased, Python regex, keep_fraction).
        reasons: list[str | None] = [None] * n
        picked = np.flatnonzero(candidates)
        if len(picked):
            none = [None] * len(picked)
            ids = self.column(batch, self.id_column, "id_column").take(picked).to_pylist() if self.keep_fraction > 0 else none
            langs = raw.take(picked).to_pylist() if raw is not None else none
            for row, text, language, doc_id in zip(picked.tolist(), texts.take(picked).to_pylist(), langs, ids):
                reasons[row] = self.judge(text, language, doc_id)
        return [r is None for r in reasons], reasons


def prefilter_pattern(words: set[str], spaced: bool) -> str:
    """An RE2 pattern over the original text matching every row the Python search matches.

    Python lowercases the text, then looks for a word flanked by non-word characters (or
    anywhere, for unspaced languages). Here each character of a word becomes the class of
    every character that lowercases to it (``lowered_from``: "K" for k, "Σ" for ς), and the
    flanks become "not an ASCII word character" (Python's \\W is a subset of it). Only "İ"
    lowers to two characters, so any row containing it is a candidate too.
    """
    if not words or "" in words:
        return ""  # an empty word matches everywhere in Python too: every row is a candidate
    alternation = "|".join(sorted("".join(_char_class(ch) for ch in word) for word in words))
    body = f"(?:^|[^0-9A-Za-z_])(?:{alternation})(?:[^0-9A-Za-z_]|$)" if spaced else f"(?:{alternation})"
    return f"{body}|\\x{{130}}"


def _char_class(ch: str) -> str:
    sources = lowered_from(ch)
    return re2_class([(ord(c), ord(c)) for c in sources])


c4_badwords = C4BadWords
