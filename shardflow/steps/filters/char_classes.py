"""Faster character classes for Python's ``re``: the same sets, split at U+FFFF.

Python's regex compiler turns a character class into a bitmap lookup (``BIGCHARSET``) only
when every member is in the Basic Multilingual Plane. One member above U+FFFF (spaCy's
symbol and letter classes list emoji and CJK extension ranges) leaves the whole class a
list of hundreds of ranges, scanned one by one for every character tried: spaCy's English
infix expression spent most of its time there. :func:`split_astral_classes` rewrites each
such class ``[...]`` as ``(?:[BMP members]|(?=[\\U00010000-\\U0010FFFF])[other members])``.
A class is the union of its members however they are grouped, and both alternatives are
one character wide (so the result is still valid inside a lookbehind): the expression
matches exactly what it matched before, only faster.
"""

from __future__ import annotations

import re
from typing import Iterator

_BMP_END = 0xFFFF
# One member of a class: an escape (\uXXXX, \UXXXXXXXX, \xXX, \N{...} is not used by the
# rules, \d, \-, ...) or one character.
_MEMBER = re.compile(r"\\U[0-9A-Fa-f]{8}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|\\.|[^\\]", re.S)
_ESCAPED_CODE = re.compile(r"\\[Uux]([0-9A-Fa-f]+)")
_CATEGORY_ESCAPES = frozenset("dDwWsS")


def _code(member: str) -> int | None:
    """The code point of one class member, or None for a category escape such as ``\\d``."""
    m = _ESCAPED_CODE.fullmatch(member)
    if m:
        return int(m.group(1), 16)
    if member.startswith("\\"):
        return None if member[1] in _CATEGORY_ESCAPES else ord(member[1])
    return ord(member)


def _escape(code: int) -> str:
    return f"\\U{code:08X}" if code > _BMP_END else f"\\u{code:04X}"


def _split_class(body: str) -> str | None:
    """``body`` (the inside of a class) as a split group, or None if it has no astral member."""
    members = _MEMBER.findall(body)
    bmp: list[str] = []
    astral: list[str] = []
    i = 0
    while i < len(members):
        first = members[i]
        if i + 2 < len(members) and members[i + 1] == "-":  # a range first-last
            last = members[i + 2]
            lo, hi = _code(first), _code(last)
            if lo is None or hi is None:
                raise ValueError(f"character class range with a category escape: {first}-{last}")
            if hi <= _BMP_END:
                bmp.append(f"{first}-{last}")
            elif lo > _BMP_END:
                astral.append(f"{first}-{last}")
            else:
                bmp.append(f"{first}-{_escape(_BMP_END)}")
                astral.append(f"{_escape(_BMP_END + 1)}-{last}")
            i += 3
            continue
        code = _code(first)
        (astral if code is not None and code > _BMP_END else bmp).append(first)
        i += 1
    if not astral:
        return None
    other = "(?=[\\U00010000-\\U0010FFFF])[" + "".join(astral) + "]"
    return f"(?:[{''.join(bmp)}]|{other})" if bmp else other


def character_classes(pattern: str) -> Iterator[tuple[int, int, bool, str]]:
    """Each character class of ``pattern``: (its start, its end, negated?, the inside)."""
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch != "[":
            i += 1
            continue
        # The class runs to the first unescaped "]" (one right after "[" or "[^" is literal).
        j = i + 1
        negated = pattern.startswith("^", j)
        j += negated
        start = j
        if pattern.startswith("]", j):
            j += 1
        while pattern[j] != "]":
            j += 2 if pattern[j] == "\\" else 1
        yield i, j + 1, negated, pattern[start:j]
        i = j + 1


def split_astral_classes(pattern: str) -> str:
    """``pattern`` with every character class that has members above U+FFFF split in two.

    Only plain classes are rewritten; a negated class (``[^...]``) with such members, which
    would need a different rewrite, raises ValueError (spaCy's English rules have none).
    """
    out: list[str] = []
    done = 0
    for start, end, negated, body in character_classes(pattern):
        split = _split_class(body)
        if split is None:
            continue
        if negated:
            raise ValueError(f"cannot split the negated character class [^{body[:40]}...]")
        out += [pattern[done:start], split]
        done = end
    out.append(pattern[done:])
    return "".join(out)


__all__ = ["character_classes", "split_astral_classes"]
