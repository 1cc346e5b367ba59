"""English words and sentences exactly as datatrove 0.10.1 sees them, without spaCy.

datatrove's quality filters count words with ``split_into_words(text, "eng")``, which is
spaCy's blank English tokenizer (prefix / suffix / infix rules, ~1,300 special cases such as
``don't -> do n't``, a URL matcher), and count C4 sentences with spaCy's rule-based
sentencizer. Every ratio of the Gopher, FineWeb and C4 heuristics depends on those counts, so
to give the same keep/drop decisions we reproduce that tokenizer: this module is a port of the
algorithm of spaCy's ``Tokenizer`` (``_split_affixes``, ``_attach_tokens``, the special-case
matcher) driven by spaCy 3.8's English rules, exported to ``data/spacy_en_tokenizer.json``
(spaCy is MIT-licensed; see ``data/NOTICE``).

It is fast because text is split on whitespace in C (``str.split``) and each distinct
whitespace-separated chunk is tokenized once per process and cached, like spaCy does; the
per-token attributes the filters need (length, "has a non-punctuation char", "has a letter")
are kept in dicts so that statistics are ``sum(map(dict.get, words))`` at C speed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from itertools import chain
from typing import Iterable, NamedTuple

# datatrove.utils.text.PUNCTUATION: a word made only of these is a "symbol" for Gopher.
_PUNCTUATION = "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»" + "".join(
    map(chr, (x for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for x in range(a, b)))
)
# datatrove.utils.text.TERMINAL_PUNCTUATION, used by FineWeb's line_punct_ratio.
TERMINAL_PUNCTUATION = frozenset(
    "᪩？⁈𑩂．꩞𑅃﹗𑂾\u1b7d፧𑅂꡶꘎⁉࠾᪨𑊩𑱂᱿𖩮᥅\U00011f43\U00011f44﹒𑈹𑈸።܂؞꛳\U00010f88𑗍𐩖𑙂\u061d꩟᠉"
    "\u1b7e𑗗᰼𑻸؟𑪜꧉𑗉𐽙𖫵𖬷܀꓿᜵𑗏𑁇𑗓𑥄៖𑥆𑗑𑗒꯫۔𐩗\U00010f86꡷\u2e54｡៕߹⸮.𑇅࠹𛲟꫰꤯𐽗᭞𑜼፨𑃁꣏𑇟𖬸𑪛𑜾"
    "࠷𝪈?𑃀𑗃！։꣎॥𑗖᭛᠃!၊𖺘⁇𑗌𑑋𖭄᭟𑅁𑙁⸼꩝𑗋。꧈꫱𑜽𐽖𑂿᙮។꛷\U00010f89៚᥄𑗕𑗎᪪᭚࠽𑇞𑗊𐽘\u2e53𑗔"
    "𖩯𑇍𑻷𐽕𑩃।𑗂𑇆𑁈။᱾𑱁꘏܁᜶‼𑈻‽᪫﹖𑑌𑈼\U00010f87𑗐៙᰻"
)
PUNCTUATION_SET = frozenset(_PUNCTUATION) | TERMINAL_PUNCTUATION

# Cleared when it holds more distinct chunks than this, so memory stays bounded per worker.
_MAX_CACHED_CHUNKS = 300_000
# spaCy's English suffix rules: at most 5 characters (but runs of dots) after a lookbehind of
# at most 2 (see EnglishWords._suffix_len; checked by tests/steps/test_filter_words.py).
_SUFFIX_MAX_BOUNDED = 5
_SUFFIX_TAIL = 8
# Punctuation that spaCy's English suffix rules always split off the end of a word.
_SPLIT_AFTER_LETTERS = frozenset(',;:!?)]"')


_FIELD = (1 << 32) - 1  # one WordCounts field of a packed chunk count (texts < 4 G words)


class WordCounts(NamedTuple):
    """Counts over a text's words.

    Attributes:
        words: Tokens, as ``len(split_into_words(text))``.
        non_symbol: Tokens with a character outside datatrove's punctuation (Gopher's words).
        non_symbol_chars: Total length of those.
        alpha: Tokens with an alphabetic character.
    """

    words: int
    non_symbol: int
    non_symbol_chars: int
    alpha: int


def _load_rules() -> dict:
    text = resources.files("shardflow.steps.filters").joinpath("data/spacy_en_tokenizer.json").read_text("utf-8")
    return json.loads(text)


class EnglishWords:
    """spaCy's English tokenization (as used by datatrove), cached per whitespace chunk.

    Use :func:`english_words` to get the process-wide instance.

    Attributes:
        nonsymbol: token -> 1 if it has a character outside datatrove's punctuation, else 0.
        nonsymbol_len: token -> its length if ``nonsymbol`` else 0.
        alpha: token -> 1 if it has an alphabetic character, else 0.
        token_id: token -> a small int, the same for equal tokens (for n-gram arithmetic).
    """

    def __init__(self) -> None:
        rules = _load_rules()
        # Every prefix alternative is anchored with ^, so match() finds what spaCy's search()
        # finds without trying every position.
        self._prefix = re.compile(rules["prefix"]).match
        self._suffix_search = re.compile(rules["suffix"]).search
        self._infix = re.compile(rules["infix"]).finditer
        self._url = re.compile(rules["url_match"]).match
        self._specials: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in rules["rules"].items()}
        self.sentence_punct = frozenset(rules["sentence_punct_chars"])
        self._suffix_cache: dict[str, int] = {}
        self._patterns = self._special_patterns()
        # A match can only change tokens if it spans two or more (one-token special cases
        # are their own tokenization), so a chunk needs a pattern's first two tokens in a row.
        self._pattern_pairs = frozenset(p[:2] for group in self._patterns.values() for p in group if len(p) > 1)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._chunk_counts: dict[str, int] = {}  # the 4 WordCounts, 32 bits each, in one int
        self._sentence_cache: dict[str, tuple[int, int, int, int]] = {}
        self.nonsymbol: dict[str, int] = {}
        self.nonsymbol_len: dict[str, int] = {}
        self.alpha: dict[str, int] = {}
        self.token_id: dict[str, int] = {}

    # -- the tokenizer ----------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """The words of ``text``: datatrove's ``split_into_words(text, "eng")``."""
        chunks = self._known(text.split())
        return list(chain.from_iterable(map(self._cache.__getitem__, chunks)))

    def counts(self, text: str) -> tuple[WordCounts, list[str]]:
        """The word counts of ``text`` without listing its words, and its chunks."""
        chunks = self._known(text.split())
        packed = sum(map(self._chunk_counts.__getitem__, chunks))
        return WordCounts(*((packed >> (32 * k)) & _FIELD for k in range(4))), chunks

    def _known(self, chunks: list[str]) -> list[str]:
        """``chunks``, after tokenizing (once) those not seen before."""
        if len(self._cache) > _MAX_CACHED_CHUNKS:
            self.clear()
        cache = self._cache
        if None in map(cache.get, chunks):
            for chunk in set(chunks).difference(cache):
                self.chunk(chunk)
        return chunks

    def chunk(self, chunk: str) -> tuple[str, ...]:
        """The tokens of one whitespace-free chunk (cached), registering new tokens."""
        toks = self._cache.get(chunk)
        if toks is None:
            toks = self._tokenize(chunk, with_specials=True)
            if len(toks) > 1 and not self._pattern_pairs.isdisjoint(zip(toks, toks[1:])):
                toks = self._apply_special_matches(toks)
            self._cache[chunk] = toks
            for tok in toks:
                if tok not in self.token_id:
                    self._register(tok)
            nonsym = self.nonsymbol
            self._chunk_counts[chunk] = (
                len(toks)
                | sum(map(nonsym.__getitem__, toks)) << 32
                | sum(map(self.nonsymbol_len.__getitem__, toks)) << 64
                | sum(map(self.alpha.__getitem__, toks)) << 96
            )
        return toks

    def _register(self, tok: str) -> None:
        if tok.isalpha():
            nonsym = alpha = 1
        else:
            nonsym = 1 if any(ch not in PUNCTUATION_SET for ch in tok) else 0
            alpha = 1 if any(ch.isalpha() for ch in tok) else 0
        self.nonsymbol[tok] = nonsym
        self.nonsymbol_len[tok] = len(tok) if nonsym else 0
        self.alpha[tok] = alpha
        self.token_id[tok] = len(self.token_id)

    def clear(self) -> None:
        """Forget every cached chunk and token (call between documents only)."""
        for table in (self._cache, self._chunk_counts, self._suffix_cache, self._sentence_cache, self.nonsymbol, self.nonsymbol_len, self.alpha, self.token_id):
            table.clear()

    def _shortcut(self, chunk: str, specials: dict) -> tuple[str, ...] | None:
        """The tokens of the commonest chunk shapes without running the rules (None: other).

        What the full algorithm does on them, derived from the rules (and checked against it
        on every chunk of the benchmark corpus by tests/steps/test_filter_words.py): letters
        alone match no prefix, infix or suffix (those need punctuation, symbols, or a digit
        before a unit); nor do ASCII digits alone. A letters-only word followed by one
        punctuation mark of ``_SPLIT_AFTER_LETTERS`` (or by "." after a lowercase ASCII
        letter) loses that mark as a suffix, then the rest is a special case or one token.
        """
        if chunk.isalpha() or (chunk.isdecimal() and chunk.isascii()):
            return (chunk,)
        last = chunk[-1]
        core = chunk[:-1]
        if core.isalpha() and (last in _SPLIT_AFTER_LETTERS or (last == "." and "a" <= core[-1] <= "z")):
            return specials.get(core, (core,)) + (last,)
        return None

    def _tokenize(self, chunk: str, with_specials: bool, fast: bool = True) -> tuple[str, ...]:
        specials = self._specials if with_specials else {}
        if chunk in specials:
            return specials[chunk]
        if fast:
            shortcut = self._shortcut(chunk, specials)
            if shortcut is not None:
                return shortcut
        string, prefixes, suffixes = self._split_affixes(chunk, specials)
        tokens = prefixes
        if string:
            if string in specials:
                tokens.extend(specials[string])
            elif self._url(string):
                tokens.append(string)
            elif string.isalnum():  # infixes are punctuation, symbols or hyphens
                tokens.append(string)
            else:
                tokens.extend(self._split_infixes(string))
        tokens.extend(reversed(suffixes))
        return tuple(tokens)

    def _split_affixes(self, string: str, specials: dict) -> tuple[str, list[str], list[str]]:
        # spacy/tokenizer.pyx Tokenizer._split_affixes, line for line (English has no token_match).
        prefixes: list[str] = []
        suffixes: list[str] = []
        last_size = 0
        while string and len(string) != last_size:
            if string in specials:
                break
            last_size = len(string)
            m = self._prefix(string)
            pre_len = m.end() - m.start() if m else 0
            if pre_len:
                prefix, minus_pre = string[:pre_len], string[pre_len:]
                if minus_pre and minus_pre in specials:
                    prefixes.append(prefix)
                    string = minus_pre
                    break
            suf_len = self._suffix_len(string[pre_len:])
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

    def _suffix_len(self, string: str) -> int:
        """The length of spaCy's ``suffix_search(string)`` match (0: none), memoized by tail.

        Every suffix rule ends with ``$`` and, but for runs of dots, matches at most 5
        characters after a lookbehind of at most 2: the answer depends only on the last
        ``_SUFFIX_TAIL`` characters, which repeat a lot ("ing," "tion."). A longer match is
        a run of dots that may go on before the tail: then the whole string is searched.
        """
        tail = string[-_SUFFIX_TAIL:]
        n = self._suffix_cache.get(tail)
        if n is None:
            m = self._suffix_search(tail)
            n = self._suffix_cache[tail] = m.end() - m.start() if m else 0
        if n > _SUFFIX_MAX_BOUNDED and len(string) > len(tail):
            m = self._suffix_search(string)
            n = m.end() - m.start() if m else 0
        return n

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
            toks = self._tokenize(string, with_specials=False)
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

    # -- sentences (spaCy's Sentencizer, as datatrove's split_into_sentences) ----------------
    def count_sentences(self, line: str) -> int:
        """Sentences spaCy's sentencizer finds in ``line`` (a stripped, non-empty line).

        A sentence starts at a token that is not punctuation after a token that is one of
        the sentencizer's ``punct_chars``. Whitespace runs other than a single space are
        tokens too, and count as "not punctuation".
        """
        count = 1
        seen = False
        parts = _WHITESPACE_RUNS.split(line)
        for k, part in enumerate(parts):
            if k % 2:  # a whitespace run between chunks
                if part != " ":
                    if seen:
                        count += 1
                        seen = False
                continue
            if not part:
                continue
            summary = self._sentence_cache.get(part)
            if summary is None:
                summary = self._sentence_summary(self.chunk(part))
                self._sentence_cache[part] = summary
            starts, seen = (summary[2], summary[3]) if seen else (summary[0], summary[1])
            count += starts
        return count

    def _sentence_summary(self, toks: Iterable[str]) -> tuple[int, int, int, int]:
        """(starts, seen_after) for a chunk entered without and with a pending period."""
        out = []
        for seen in (False, True):
            starts = 0
            for tok in toks:
                in_punct = tok in self.sentence_punct
                if seen and not in_punct and not _is_punct(tok):
                    starts += 1
                    seen = False
                elif in_punct:
                    seen = True
            out += [starts, seen]
        return tuple(out)  # type: ignore[return-value]


_WHITESPACE_RUNS = re.compile(r"(\s+)")


def _is_punct(text: str) -> bool:
    # spacy.lang.lex_attrs.is_punct
    return all(unicodedata.category(ch).startswith("P") for ch in text)


@lru_cache(maxsize=1)
def english_words() -> EnglishWords:
    """The process-wide :class:`EnglishWords` (its chunk cache is shared by all filters)."""
    return EnglishWords()


__all__ = ["EnglishWords", "WordCounts", "english_words", "PUNCTUATION_SET", "TERMINAL_PUNCTUATION"]
