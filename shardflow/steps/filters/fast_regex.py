r"""spaCy's expressions rewritten so that Python's ``re`` runs them faster, matching the same.

Two rewrites, each exact by construction (and checked by tests/steps/test_fast_regex.py).

Character classes, split at U+FFFF. Python's regex compiler turns a character class into a
bitmap lookup (``BIGCHARSET``) only when every member is in the Basic Multilingual Plane. One member above U+FFFF (spaCy's
symbol and letter classes list emoji and CJK extension ranges) leaves the whole class a
list of hundreds of ranges, scanned one by one for every character tried: spaCy's English
infix expression spent most of its time there. :func:`split_astral_classes` rewrites each
such class ``[...]`` as ``(?:[BMP members]|(?=[\U00010000-\U0010FFFF])[other members])``.
A class is the union of its members however they are grouped, and both alternatives are
one character wide (so the result is still valid inside a lookbehind): the expression
matches exactly what it matched before, only faster.

Lookbehinds moved after the first character. spaCy's infixes are alternatives such as
``(?<=[0-9])[+\-\*^](?=[0-9-])``: at every position of a string, ``re`` evaluates the
lookbehind before it looks at the character itself. :func:`lookbehinds_after_first` writes
such a branch as ``[+\-\*^](?<=[0-9][+\-\*^])(?=[0-9-])``: it starts with the character,
which ``re`` tests before entering the branch at all, and the lookbehind, now one character
longer, checks the same character before the match start. An alternation of fixed strings,
``(?<=L)(?:-|--)``, becomes ``(?:-(?<=L-)|--(?<=L--))``: the same alternatives in the same
order, each with the same condition on what comes before its start.
"""

from __future__ import annotations

import re
from re import _parser  # noqa: PLC2701 - to read an expression as Python's re does
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


def _top_level(pattern: str, stop: str) -> list[int]:
    """Indexes of ``stop`` characters of ``pattern`` outside groups, classes and escapes."""
    found = []
    depth = 0
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 2 if pattern.startswith("]", i + 1) else 1
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                found.append(i)  # the end of the group we started inside
                break
        elif depth == 0 and ch in stop:
            found.append(i)
        i += 1
    return found


def _split_top(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern``."""
    cuts = [-1] + _top_level(pattern, "|") + [len(pattern)]
    return [pattern[a + 1 : b] for a, b in zip(cuts, cuts[1:])]


_ATOM = re.compile(r"\\U[0-9A-Fa-f]{8}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|\\[^0-9A-Za-z]|[^\\()\[\]|*+?{}.^$]")


def _fixed_text(alternative: str) -> bool:
    """Whether ``alternative`` is plain text (literal characters and escaped punctuation)."""
    return all(op is _parser.LITERAL for op, _ in _parser.parse(alternative))


def _first_char_branch(branch: str) -> str:
    """One branch ``(?<=L)X...`` as ``X(?<=LX)...`` where X is one class or plain text."""
    if not branch.startswith("(?<="):
        return branch
    end = 4 + _top_level(branch[4:], "")[0]  # the ")" that closes the lookbehind
    behind, rest = branch[4:end], branch[end + 1 :]
    if rest.startswith("(?:"):
        close = 3 + _top_level(rest[3:], "")[0]
        alternatives = _split_top(rest[3:close])
        if not all(_fixed_text(a) for a in alternatives):
            return branch
        first, after = "(?:" + "|".join(f"{a}(?<={behind}{a})" for a in alternatives) + ")", rest[close + 1 :]
        return first + after
    if rest.startswith("["):
        close = next(i for _, i, _, _ in character_classes(rest))
        atom = rest[:close]
    else:
        m = _ATOM.match(rest)
        if m is None:
            return branch
        atom = m.group()
    after = rest[len(atom) :]
    if after[:1] in ("*", "+", "?", "{"):  # a repeated atom is not one character
        return branch
    return f"{atom}(?<={behind}{atom}){after}"


def lookbehinds_after_first(pattern: str) -> str:
    """``pattern`` with each top-level branch ``(?<=L)X...`` written ``X(?<=LX)...``.

    X must be one character class, one character, or a group of plain-text alternatives;
    other branches are left as they are.
    """
    return "|".join(map(_first_char_branch, _split_top(pattern)))


__all__ = ["character_classes", "lookbehinds_after_first", "split_astral_classes"]
