"""Characters that spaCy's prefix or suffix rules always split off alone, read from the rules.

spaCy's tokenizer strips a chunk's affixes one at a time, asking its prefix expression (a
``match`` at the start) and its suffix expression (a ``search`` anchored at the end) at each
step. For most punctuation the answer does not depend on the rest of the string: a chunk that
ends with ")" always loses exactly ")" as a suffix. :func:`single_char_affixes` finds those
characters by reading the expression's branches (Python's own regex parser), so the tokenizer
can skip the expression for them:

- a character c is a *single suffix* if some branch is one character wide, has no lookaround
  and matches c, and no other branch can end with c (then any match on a string ending with
  c is that branch's, one character long: ``search`` finds the leftmost match, and every
  branch is anchored at the end);
- a *single prefix* likewise for the first character, where ``match`` takes the first branch
  that matches: no other branch may start with c at all.

Anything the reader does not understand counts as "may be any character", which only makes
the sets smaller. Letters, digits and whitespace are left out whatever the rules say.
"""

from __future__ import annotations

from re import _parser  # noqa: PLC2701 - the parser of the very expressions we read
from typing import Iterable

_ZERO_WIDTH = {_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT}
_LOOKAROUND = {_parser.ASSERT, _parser.ASSERT_NOT}
_ANY = None  # "may be any character"


def _class_chars(items: list) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _parser.LITERAL:
            chars.add(chr(av))
        elif op is _parser.RANGE:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:  # NEGATE, CATEGORY (\d, \w...)
            return _ANY
    return chars


def _edge_chars(items: list, last: bool) -> set[str] | None:
    """The characters the first (or last) consumed character of a sequence may be."""
    consuming = [(op, av) for op, av in items if op not in _ZERO_WIDTH]
    if not consuming:
        return _ANY
    op, av = consuming[-1 if last else 0]
    if op is _parser.LITERAL:
        return {chr(av)}
    if op is _parser.IN:
        return _class_chars(av)
    if op is _parser.SUBPATTERN:
        return _edge_chars(list(av[-1]), last)
    if op is _parser.BRANCH:
        chars: set[str] = set()
        for alternative in av[1]:
            sub = _edge_chars(list(alternative), last)
            if sub is _ANY:
                return _ANY
            chars |= sub
        return chars
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT) and av[0] >= 1:
        return _edge_chars(list(av[2]), last)
    return _ANY


def _has_lookaround(items: Iterable) -> bool:
    for op, av in items:
        if op in _LOOKAROUND:
            return True
        if op is _parser.SUBPATTERN and _has_lookaround(av[-1]):
            return True
        if op is _parser.BRANCH and any(_has_lookaround(alt) for alt in av[1]):
            return True
        if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT) and _has_lookaround(av[2]):
            return True
    return False


def single_char_affixes(pattern: str, suffix: bool) -> frozenset[str]:
    """The characters that ``pattern`` (spaCy's prefix or suffix rules) always takes alone.

    Args:
        pattern: The expression, an alternation of branches anchored with ``^`` or ``$``.
        suffix: True for the suffix rules (branches end at the end), False for prefixes.
    """
    parsed = _parser.parse(pattern)
    anchor = (_parser.AT, _parser.AT_END if suffix else _parser.AT_BEGINNING)
    # The parser moves an anchor all branches share ("^") out in front of the alternation.
    shared = list(parsed)[:1] == [anchor]
    items = list(parsed)[1:] if shared else list(parsed)
    branches = [list(b) for b in items[0][1][1]] if len(items) == 1 and items[0][0] is _parser.BRANCH else [items]
    if not all(shared or (b[-1] if suffix else b[0]) == anchor for b in branches):
        return frozenset()  # a branch that may match away from the edge: no shortcut
    alone: set[str] = set()
    other: set[str] = set()
    for branch in branches:
        chars = _edge_chars(branch, last=suffix)
        if chars is _ANY:
            return frozenset()
        simple = _parser.SubPattern(parsed.state, branch).getwidth() == (1, 1) and not _has_lookaround(branch)
        (alone if simple else other).update(chars)
    return frozenset(c for c in alone - other if not (c.isalnum() or c.isspace()))


__all__ = ["single_char_affixes"]
