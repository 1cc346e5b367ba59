"""A port of spaCy's English tokenizer, without spaCy: whitespace-free chunks to tokens.

datatrove 0.10.1 counts English words with ``spacy.blank("en")``: a tokenizer driven by prefix,
suffix and infix expressions, ~1,300 special cases (``don't -> do n't``) and a URL matcher.
This is the algorithm of spaCy's ``Tokenizer`` (``_split_affixes``, ``_attach_tokens``, the
special-case matcher), line for line, run with spaCy 3.8's English rules exported to
``data/spacy_en_tokenizer.json`` (spaCy is MIT-licensed; see ``data/NOTICE``). Python's ``re``
runs the same expressions spaCy compiles with ``re``, so the tokens are the same.

A first pass over a corpus tokenizes hundreds of thousands of distinct chunks, so the hot
path takes shortcuts, each equal to the plain algorithm (``tokenize(chunk, fast=False)``, the
reference of tests/steps/test_tokenizer_shortcuts.py; bench/tokenizer_spacy.py compares with
spaCy itself on every distinct chunk of corpus shards): letters or ASCII digits alone are one
token; a chunk that starts with a letter or digit only loses suffixes; punctuation that the
rules always take alone (:mod:`.affix_chars`) skips the expressions; the expressions
themselves are rewritten to run faster in ``re`` (:mod:`.fast_regex`); the URL expression
drops its scheme and user groups for strings without "://" or "@".
"""

from __future__ import annotations

import json
import re
from importlib import resources

from shardflow.steps.filters.affix_chars import single_char_affixes
from shardflow.steps.filters.fast_regex import lookbehinds_after_first, split_astral_classes

# spaCy's English suffix rules: at most 5 characters (but runs of dots) after a lookbehind of
# at most 2 (see SpacyEnglish._suffix_len; checked by tests/steps/test_filter_words.py).
_SUFFIX_MAX_BOUNDED = 5
_SUFFIX_TAIL = 8
# The only prefix rules that start with a letter or digit (currencies).
_LETTER_PREFIXES = ("US$", "C$", "A$")
_DIGIT_OR_APOSTROPHE = re.compile("[0-9'’]")
# Letters, digits and "_": no infix rule matches any of them (and a URL needs a dot).
_WORD_CHARS_ONLY = re.compile(r"\w+").fullmatch


def _compile(pattern: str) -> re.Pattern:
    # The same expression with its character classes split for speed (see fast_regex).
    return re.compile(split_astral_classes(pattern))


# The optional leading groups of spaCy's URL expression: a scheme ("http://") and a user ("me@").
_URL_SCHEME = r"(?:(?:[\w\+\-\.]{2,})://)?"
_URL_USER = r"(?:\S+(?::\S*)?@)?"


def _without_scheme_or_user(url_match: str) -> str:
    """``url_match`` without its scheme and user groups, for strings that have neither "://"
    nor "@" (the groups end with them, so they can only match empty there)."""
    if _URL_SCHEME not in url_match or _URL_USER not in url_match:
        return url_match  # other rules: keep the whole expression
    return url_match.replace(_URL_SCHEME, "", 1).replace(_URL_USER, "", 1)


def load_rules() -> dict:
    """spaCy 3.8's English tokenizer rules and sentencizer punctuation, as shipped."""
    text = resources.files("shardflow.steps.filters").joinpath("data/spacy_en_tokenizer.json").read_text("utf-8")
    return json.loads(text)


class SpacyEnglish:
    """spaCy's English tokenizer rules and algorithm, for one chunk at a time (no cache).

    Attributes:
        sentence_punct: The characters after which spaCy's sentencizer ends a sentence.
    """

    def __init__(self) -> None:
        rules = load_rules()
        # Every prefix alternative is anchored with ^, so match() finds what spaCy's search()
        # finds without trying every position.
        self._prefix = _compile(rules["prefix"]).match
        self._suffix_search = _compile(rules["suffix"]).search
        self._infix = _compile(lookbehinds_after_first(rules["infix"])).finditer
        self._url = _compile(rules["url_match"]).match
        self._url_without_scheme_or_user = _compile(_without_scheme_or_user(rules["url_match"])).match
        self._specials: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in rules["rules"].items()}
        # Punctuation that the rules always strip alone, whatever comes before or after it.
        self._single_prefix = single_char_affixes(rules["prefix"], suffix=False)
        self._single_suffix = single_char_affixes(rules["suffix"], suffix=True)
        self.sentence_punct = frozenset(rules["sentence_punct_chars"])
        self._suffix_cache: dict[str, int] = {}
        self._patterns = self._special_patterns()
        # A match can only change tokens if it spans two or more (one-token special cases
        # are their own tokenization), so a chunk needs a pattern's first two tokens in a row.
        self._pattern_pairs = frozenset(p[:2] for group in self._patterns.values() for p in group if len(p) > 1)

    def __call__(self, chunk: str) -> tuple[str, ...]:
        """The tokens of ``chunk`` (no whitespace in it), special-case matches applied."""
        toks = self.tokenize(chunk)
        if len(toks) > 1 and not self._pattern_pairs.isdisjoint(zip(toks, toks[1:])):
            toks = self._apply_special_matches(toks)
        return toks

    def tokenize_many(self, chunks: list[str]) -> list[tuple[str, ...]]:
        """The tokens of each chunk, as :meth:`__call__` gives them.

        A chunk of letters only is one token unless it is a special case ("cannot"): no
        prefix, suffix or infix rule matches letters alone (see :meth:`tokenize`).
        """
        specials = self._specials
        return [(c,) if c.isalpha() and c not in specials else self(c) for c in chunks]

    def forget(self) -> None:
        """Drop the memoized suffix lookups."""
        self._suffix_cache.clear()

    def tokenize(self, chunk: str, with_specials: bool = True, fast: bool = True) -> tuple[str, ...]:
        """The tokens of one whitespace-free chunk, as spaCy's English tokenizer gives them
        (before the special-case matcher; ``fast=False``: without any shortcut)."""
        specials = self._specials if with_specials else {}
        if chunk in specials:
            return specials[chunk]
        if fast and (chunk.isalpha() or (chunk.isdecimal() and chunk.isascii())):
            return (chunk,)  # letters alone, or ASCII digits alone, match no prefix, suffix or infix
        string, prefixes, suffixes = self._split_affixes(chunk, specials, fast)
        tokens = prefixes
        if string:
            if string in specials:
                tokens.extend(specials[string])
            elif _WORD_CHARS_ONLY(string):  # one token, URL or not: infixes are punctuation or symbols
                tokens.append(string)
            elif "." in string and self._is_url(string):  # every URL the pattern takes has a dot
                tokens.append(string)
            else:
                tokens.extend(self._split_infixes(string))
        tokens.extend(reversed(suffixes))
        return tuple(tokens)

    def _split_affixes(self, string: str, specials: dict, fast: bool = True) -> tuple[str, list[str], list[str]]:
        # spacy/tokenizer.pyx Tokenizer._split_affixes, line for line (English has no token_match);
        # fast=False asks the expressions every time (the reference the shortcuts are tested on).
        if fast and string[0].isalnum() and not string.startswith(_LETTER_PREFIXES):
            return self._split_suffixes(string, specials)
        prefix_len, suffix_len = self._prefix_len, self._suffix_len
        if not fast:
            prefix_len, suffix_len = self._prefix_len_full, self._suffix_len_full
        prefixes: list[str] = []
        suffixes: list[str] = []
        last_size = 0
        while string and len(string) != last_size:
            if string in specials:
                break
            last_size = len(string)
            pre_len = prefix_len(string)
            if pre_len:
                prefix, minus_pre = string[:pre_len], string[pre_len:]
                if minus_pre and minus_pre in specials:
                    prefixes.append(prefix)
                    string = minus_pre
                    break
            suf_len = suffix_len(string[pre_len:])
            if suf_len:
                suffix, minus_suf = string[-suf_len:], string[:-suf_len]
                if minus_suf and minus_suf in specials:
                    suffixes.append(suffix)
                    string = minus_suf
                    break
            if pre_len and suf_len and pre_len + suf_len <= len(string):
                string = string[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                string = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                string = minus_suf
                suffixes.append(suffix)
        return string, prefixes, suffixes

    def _split_suffixes(self, string: str, specials: dict) -> tuple[str, list[str], list[str]]:
        """:meth:`_split_affixes` for a string that starts with a letter or digit.

        No prefix rule matches it, and removing suffixes keeps its first character, so the
        loop only ever removes suffixes: until none matches, or what is left is a special
        case (the caller has checked ``string`` itself) or empty.
        """
        suffixes: list[str] = []
        single = self._single_suffix
        while True:
            n = 1 if string[-1] in single else self._suffix_len(string)
            if not n:
                return string, [], suffixes
            suffixes.append(string[-n:])
            string = string[:-n]
            if not string or string in specials:
                return string, [], suffixes

    def _prefix_len(self, string: str) -> int:
        """The length of spaCy's ``prefix_search(string)`` match (0: none), with shortcuts."""
        first = string[0]
        if first.isalnum() and not string.startswith(_LETTER_PREFIXES):
            return 0  # prefix rules start with punctuation or symbols, but these
        if first in self._single_prefix:
            return 1
        m = self._prefix(string)
        return m.end() - m.start() if m else 0

    def _prefix_len_full(self, string: str) -> int:
        m = self._prefix(string)
        return m.end() - m.start() if m else 0

    def _suffix_len_full(self, string: str) -> int:
        m = self._suffix_search(string)
        return m.end() - m.start() if m else 0

    def _suffix_len(self, string: str) -> int:
        """The length of spaCy's ``suffix_search(string)`` match (0: none), memoized by tail.

        Every suffix rule ends with ``$`` and, but for runs of dots, matches at most 5
        characters after a lookbehind of at most 2: the answer depends only on the last
        ``_SUFFIX_TAIL`` characters, which repeat a lot ("ing," "tion."). A longer match is
        a run of dots that may go on before the tail: then the whole string is searched.
        """
        last = string[-1:]
        if last in self._single_suffix:
            return 1
        if last.isascii() and last.isalpha() and not _DIGIT_OR_APOSTROPHE.search(string, len(string) - 7):
            # Rules that end with a letter are "'s" and units after a digit: neither here.
            return 0
        tail = string[-_SUFFIX_TAIL:]
        n = self._suffix_cache.get(tail)
        if n is None:
            m = self._suffix_search(tail)
            n = self._suffix_cache[tail] = m.end() - m.start() if m else 0
        if n > _SUFFIX_MAX_BOUNDED and len(string) > len(tail):
            m = self._suffix_search(string)
            n = m.end() - m.start() if m else 0
        return n

    def _is_url(self, string: str) -> bool:
        """Whether spaCy's ``url_match`` takes ``string``; without the optional scheme
        ("x://") and user ("x@") groups, which cannot match, when it has neither "://" nor "@"."""
        if "@" in string or "://" in string:
            return self._url(string) is not None
        return self._url_without_scheme_or_user(string) is not None

    def _split_infixes(self, string: str) -> list[str]:
        out: list[str] = []
        start = 0
        for match in self._infix(string):
            infix_start, infix_end = match.start(), match.end()
            if infix_start == 0:  # spaCy skips an infix at the very start of the string
                continue
            if infix_start != start:
                out.append(string[start:infix_start])
            if infix_start != infix_end:
                out.append(string[infix_start:infix_end])
            start = infix_end
        if string[start:]:
            out.append(string[start:])
        return out

    # -- spaCy's special-case matcher (Tokenizer._apply_special_cases) -----------------------
    def _special_patterns(self) -> dict[str, list[tuple[str, ...]]]:
        """Special cases that affix rules would split, keyed by their first token.

        spaCy re-merges such token sequences after tokenizing (e.g. ``:)`` or ``a.m.`` inside
        a longer chunk). Only matches inside one chunk can change anything (the merged text
        must be a special case, and none contains a space), so we apply them per chunk.
        """
        patterns: dict[str, list[tuple[str, ...]]] = {}
        for string in sorted(self._specials):
            if not (self._prefix(string) or self._suffix_len(string) or any(True for _ in self._infix(string))):
                continue
            toks = self.tokenize(string, with_specials=False)
            patterns.setdefault(toks[0], []).append(toks)
        return patterns

    def _apply_special_matches(self, toks: tuple[str, ...]) -> tuple[str, ...]:
        patterns = self._patterns
        matches = []
        for i, tok in enumerate(toks):
            for pattern in patterns.get(tok, ()):
                if toks[i : i + len(pattern)] == pattern:
                    matches.append((i, i + len(pattern)))
        if not matches:
            return toks
        # Longest first, then leftmost; a span is kept if its first and last tokens are free.
        matches.sort(key=lambda m: (m[0] - m[1], m[0]))
        seen: set[int] = set()
        kept = []
        for start, end in matches:
            if start not in seen and end - 1 not in seen:
                kept.append((start, end))
            seen.update(range(start, end))
        out: list[str] = []
        i = 0
        for start, end in sorted(kept):
            out.extend(toks[i:start])
            text = "".join(toks[start:end])
            out.extend(self._specials.get(text, toks[start:end]))
            i = end
        out.extend(toks[i:])
        return tuple(out)
