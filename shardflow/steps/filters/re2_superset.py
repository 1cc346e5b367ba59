"""RE2 patterns that find a superset of what a Python regex finds, to prefilter Arrow batches.

Arrow's regex kernels (RE2, a linear-time DFA in C++) scan a whole batch many times faster
than Python's ``re`` scans it row by row, but RE2 is not ``re``: its ``\\w \\d \\s \\b`` are
ASCII-only, it has no lookarounds or backreferences, and its case folding is not Python's.
So the filters here never take RE2's word for a match. They translate the Python pattern into
an RE2 pattern that matches *at least* wherever Python's matches (a superset: assertions
dropped, classes widened), run it over the batch, and confirm the few candidate rows with the
exact Python regex. A row RE2 does not match cannot match in Python, so decisions are
exactly Python's; only the time changes.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import _sre  # CPython's regex engine: its lowercase mapping is the one ``re`` matches with

try:  # Python 3.11+
    from re import _casefix, _constants as C, _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

    _casefix = None

MAX_CHAR = 0x10FFFF
# Superset classes (as RE2 class bodies) of Python's Unicode categories: the ASCII part exact,
# every non-ASCII character allowed (Python's \w \d \s also match some non-ASCII ones).
_CATEGORY_SUPERSET = {
    C.CATEGORY_DIGIT: [(0x30, 0x39), (0x80, MAX_CHAR)],
    C.CATEGORY_NOT_DIGIT: [(0, 0x2F), (0x3A, MAX_CHAR)],
    C.CATEGORY_SPACE: [(0x09, 0x0D), (0x1C, 0x20), (0x80, MAX_CHAR)],
    C.CATEGORY_NOT_SPACE: [(0, 0x08), (0x0E, 0x1B), (0x21, MAX_CHAR)],
    C.CATEGORY_WORD: [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A), (0x80, MAX_CHAR)],
    C.CATEGORY_NOT_WORD: [(0, 0x2F), (0x3A, 0x40), (0x5B, 0x5E), (0x60, 0x60), (0x7B, MAX_CHAR)],
}
# Subset classes of the same categories (only ASCII characters, each surely in the category):
# what a negated class ``[^\w]`` can safely exclude.
_CATEGORY_SUBSET = {
    C.CATEGORY_DIGIT: [(0x30, 0x39)],
    C.CATEGORY_NOT_DIGIT: [(0, 0x2F), (0x3A, 0x7F)],
    C.CATEGORY_SPACE: [(0x09, 0x0D), (0x1C, 0x20)],
    C.CATEGORY_NOT_SPACE: [(0, 0x08), (0x0E, 0x1B), (0x21, 0x7F)],
    C.CATEGORY_WORD: [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    C.CATEGORY_NOT_WORD: [(0, 0x2F), (0x3A, 0x40), (0x5B, 0x5E), (0x60, 0x60), (0x7B, 0x7F)],
}
# RE2 rejects counted repetitions above 1000.
_RE2_MAX_REPEAT = 1000


class Untranslatable(ValueError):
    """The pattern has a construct with no RE2 superset worth running (e.g. a backreference)."""


@functools.lru_cache(maxsize=1)
def _simple_lower_sources() -> dict[int, tuple[int, ...]]:
    """code point -> the other code points whose simple lowercase it is (one scan, ~0.1 s)."""
    lower = _sre.unicode_tolower
    table: dict[int, list[int]] = {}
    for cp in range(MAX_CHAR + 1):
        lo = lower(cp)
        if lo != cp:
            table.setdefault(lo, []).append(cp)
    return {k: tuple(v) for k, v in table.items()}


def lowered_from(ch: str) -> str:
    """Every character whose ``str.lower()`` contains ``ch`` (``ch`` included).

    ``str.lower`` is the simple lowercase mapping except for "İ" (-> "i" + U+0307) and the
    final sigma ("Σ" -> "ς" at the end of a word), which are added here.
    """
    cp = ord(ch)
    chars = {cp, *_simple_lower_sources().get(cp, ())}
    if cp == 0x307:
        chars.add(0x130)
    if cp == 0x3C2:
        chars.add(0x3A3)
    return "".join(map(chr, sorted(chars)))


def _ignorecase_chars(cp: int) -> set[int]:
    """The characters ``re.IGNORECASE`` matches for literal ``cp`` (see sre_compile)."""
    lo = _sre.unicode_tolower(cp)
    chars = {cp, lo, *_simple_lower_sources().get(lo, ())}
    if _casefix is not None:
        for fix in _casefix._EXTRA_CASES.get(lo, ()):
            chars.add(fix)
            chars.update(_simple_lower_sources().get(fix, ()))
    return chars


def re2_class(ranges: list[tuple[int, int]], negate: bool = False) -> str:
    """An RE2 character class of code point ranges, e.g. ``[a-z\\x{80}-\\x{10FFFF}]``."""
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    body = "".join(_re2_char(lo) if lo == hi else f"{_re2_char(lo)}-{_re2_char(hi)}" for lo, hi in merged)
    if not merged:
        return "(?s:.)" if negate else "[^\\x00-\\x{10FFFF}]"
    return f"[{'^' if negate else ''}{body}]"


def _re2_char(cp: int) -> str:
    ch = chr(cp)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{cp:X}}}"


def _class_of(chars: set[int]) -> str:
    return re2_class([(c, c) for c in chars])


class _Translator:
    """Walks ``re``'s parse tree and writes the RE2 superset of each node."""

    def __init__(self, flags: int, anchors: bool = True) -> None:
        self.flags = flags
        self.anchors = anchors

    def seq(self, items: Any, flags: int) -> str:
        return "".join(self.node(op, av, flags) for op, av in items)

    def node(self, op: Any, av: Any, flags: int) -> str:
        icase = bool(flags & re.IGNORECASE)
        if op is C.LITERAL:
            return _class_of(_ignorecase_chars(av)) if icase else re2_class([(av, av)])
        if op is C.NOT_LITERAL:
            return "(?s:.)" if icase else re2_class([(av, av)], negate=True)
        if op is C.ANY:
            return "(?s:.)" if flags & re.DOTALL else "[^\\n]"
        if op is C.IN:
            return self.charset(av, icase)
        if op is C.BRANCH:
            return "(?:" + "|".join(self.seq(branch, flags) for branch in av[1]) + ")"
        if op is C.SUBPATTERN:
            _group, add, remove, items = av
            return "(?:" + self.seq(items, (flags | add) & ~remove) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) or op is getattr(C, "POSSESSIVE_REPEAT", None):
            lo, hi, items = av
            body = "(?:" + self.seq(items, flags) + ")"
            if lo > _RE2_MAX_REPEAT or (hi is not C.MAXREPEAT and hi > _RE2_MAX_REPEAT):
                return body + "*"  # any count: still a superset
            return body + ("{%d,}" % lo if hi is C.MAXREPEAT else "{%d,%d}" % (lo, hi))
        if op is getattr(C, "ATOMIC_GROUP", None):
            return "(?:" + self.seq(av, flags) + ")"
        if op is C.AT:
            return self.at(av, flags)
        if op in (C.ASSERT, C.ASSERT_NOT):
            return ""  # a lookaround only removes matches: without it, a superset
        raise Untranslatable(f"{op} (backreferences and conditionals need Python's engine)")

    def at(self, where: Any, flags: int) -> str:
        # Kept only where RE2's anchor means exactly Python's; the others (\b, \B, $ which in
        # Python also matches before a final newline) are dropped, which widens the match.
        if not self.anchors:
            return ""
        if where is C.AT_BEGINNING_STRING:
            return "^"
        if where is C.AT_BEGINNING:  # sre_compile makes it "start of any line" under re.M
            return "(?m:^)" if flags & re.MULTILINE else "^"
        if where is C.AT_END_STRING:
            return "\\z"
        return ""

    def charset(self, items: list, icase: bool) -> str:
        negate = bool(items) and items[0][0] is C.NEGATE
        if negate:
            items = items[1:]
            if icase:
                return "(?s:.)"
        ranges: list[tuple[int, int]] = []
        for op, av in items:
            if op is C.LITERAL:
                ranges.append((av, av))
            elif op is C.RANGE:
                ranges.append(av)
            elif op is C.CATEGORY:
                ranges += (_CATEGORY_SUBSET if negate else _CATEGORY_SUPERSET)[av]
            else:
                raise Untranslatable(f"{op} in a character class")
        if icase:
            # Case variants: exact for ASCII letters; any non-ASCII character for the rest.
            extra: set[int] = set()
            for lo, hi in list(ranges):
                if hi >= 0x80:
                    ranges.append((0, MAX_CHAR))
                    break
                for cp in range(lo, hi + 1):
                    extra |= _ignorecase_chars(cp)
            ranges += [(c, c) for c in extra]
        return re2_class(ranges, negate=negate)


def re2_superset(pattern: str, flags: int = 0, anchors: bool = True) -> str:
    """An RE2 pattern matching wherever Python's ``re.search(pattern, text, flags)`` does.

    The RE2 pattern may match more (it is confirmed with Python after), never less.

    Args:
        pattern: The Python regular expression.
        flags: Its ``re`` flags.
        anchors: Keep the anchors RE2 means as Python does (``^``, ``\\z``); False drops
            them too, for texts scanned concatenated (where a row does not start the text).

    Raises:
        Untranslatable: for backreferences and conditional groups.
    """
    parsed = sre_parse.parse(pattern, flags)
    all_flags = parsed.state.flags if hasattr(parsed, "state") else parsed.pattern.flags
    return _Translator(all_flags, anchors).seq(parsed, all_flags)


def first_match(texts: pa.Array | pa.ChunkedArray, re2_pattern: str) -> np.ndarray:
    """Per row, the byte offset where ``re2_pattern`` first matches, or -1 (null text: -1)."""
    found = pc.find_substring_regex(texts, re2_pattern)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False)


def re2_compiles(re2_pattern: str) -> bool:
    """Whether Arrow's RE2 accepts ``re2_pattern`` (some supersets exceed its size limits)."""
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), re2_pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True
