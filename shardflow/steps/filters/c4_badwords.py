"""C4 bad words: drop pages containing a word of the LDNOOBW list (Raffel et al. 2020)."""

from __future__ import annotations

import re
from typing import Any, Sequence

import pyarrow as pa

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.sampler import unit_hash
from shardflow.steps.filters.wordlists import any_word_regex, file_lines, shipped_lines

# datatrove removes these from every list: common sub-words of languages written without spaces.
ALLOWLIST = frozenset({"sm", "グロ", "女の子", "性"})
# Languages written without spaces: words match anywhere, not between non-word characters.
UNSPACED = ("ja", "th", "zh")


class C4BadWords(TextFilter):
    """Drop documents containing a bad word, as C4 and datatrove's ``C4BadWordsFilter`` do.

    The lowercased text is searched for any listed word (or phrase) between non-word
    characters. The English list (LDNOOBW, the revision C4 used, CC BY 4.0) ships with
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
        texts = self.texts(batch)
        n = batch.num_rows
        languages = batch.column(self.language_column).to_pylist() if self.language_column in batch.column_names else [None] * n
        ids = self.column(batch, self.id_column, "id_column").to_pylist() if self.keep_fraction > 0 else [None] * n
        reasons = list(map(self.judge, texts, languages, ids))
        return [r is None for r in reasons], reasons


c4_badwords = C4BadWords
