"""Splitting character classes at U+FFFF must leave every expression matching the same text."""

from __future__ import annotations

import random
import re

import pytest

from shardflow.steps.filters.fast_regex import character_classes, lookbehinds_after_first, split_astral_classes
from shardflow.steps.filters.spacy_english import load_rules

# Every code point but the surrogates (which a str may hold, but no rule names).
ALL_CHARS = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


def positions(pattern: str) -> list[int]:
    return [m.start() for m in re.finditer(pattern, ALL_CHARS)]


@pytest.mark.parametrize("rule", ["prefix", "suffix", "infix", "url_match"])
def test_each_split_class_of_spacys_rules_matches_the_same_characters(rule):
    pattern = load_rules()[rule]
    classes = [pattern[start:end] for start, end, _, _ in character_classes(pattern)]
    split = [c for c in classes if split_astral_classes(c) != c]
    assert split, f"{rule}: expected classes with members above U+FFFF"
    for cls in split:
        assert positions(split_astral_classes(cls)) == positions(cls), cls[:80]


@pytest.mark.parametrize(
    "cls, inside, outside",
    [
        (r"[a\U0001F600-\U0001F64F]", ["a", "\U0001F600", "\U0001F64F"], ["b", "\U0001F650", "\uffff"]),
        (r"[\uFFF0-\U00010005x]", ["\ufff0", "\uffff", "\U00010000", "\U00010005", "x"], ["\U00010006", "y"]),
        (r"[\d\-\U00010000]", ["7", "-", "\U00010000", "\U000104A0"], ["a", "\\"]),  # \d: also astral digits
        (r"[\]\U00010000]", ["]", "\U00010000"], ["\\", "["]),
        (r"[\U00010000-\U0010FFFF]", ["\U00010000", "\U0010FFFF"], ["\uffff"]),
    ],
)
def test_split_classes_keep_their_members(cls, inside, outside):
    split = split_astral_classes(cls)
    assert split != cls
    for ch in inside:
        assert re.fullmatch(split, ch), (cls, ch)
    for ch in outside:
        assert not re.fullmatch(split, ch), (cls, ch)


def test_classes_without_astral_members_escapes_and_lookbehinds_are_kept():
    assert split_astral_classes(r"\[a-z](?<=[0-9])[\]x]") == r"\[a-z](?<=[0-9])[\]x]"
    # A split class is one character wide: it stays valid inside a lookbehind.
    looks = split_astral_classes(r"(?<=[a\U00010000])b")
    assert re.search(looks, "\U00010000b") and re.search(looks, "ab") and not re.search(looks, "cb")


def test_negated_class_with_astral_members_is_refused():
    with pytest.raises(ValueError, match="negated"):
        split_astral_classes(r"[^\U00010000]")


# -- lookbehinds moved after the first character ------------------------------------------
INFIX_ALPHABET = "aZé9.,-–—~:/=<>+*^…©😀_'(x"


def strings_over(alphabet: str, longest: int, extra: int, seed: int = 7) -> list[str]:
    """Every string of up to ``longest`` characters of ``alphabet``, and ``extra`` random longer ones."""
    out = [""]
    level = [""]
    for _ in range(longest):
        level = [s + c for s in level for c in alphabet]
        out += level
    rng = random.Random(seed)
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randint(longest + 1, 12))) for _ in range(extra)]
    return out


def spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def test_infix_with_lookbehinds_after_first_finds_the_same_matches():
    infix = load_rules()["infix"]
    rewritten = lookbehinds_after_first(infix)
    assert rewritten != infix and rewritten.count("(?<=") == infix.count("(?<=") + 6  # the dash group: 7 alternatives
    original, fast = re.compile(infix), re.compile(split_astral_classes(rewritten))
    for text in strings_over(INFIX_ALPHABET, 3, 30_000):
        assert spans(fast, text) == spans(original, text), text


@pytest.mark.parametrize(
    "pattern, expected",
    [
        (r"(?<=[0-9])[+\-](?=[0-9])", r"[+\-](?<=[0-9][+\-])(?=[0-9])"),
        (r"(?<=[a-z])\.(?=[A-Z])", r"\.(?<=[a-z]\.)(?=[A-Z])"),
        (r"(?<=a),", r",(?<=a,)"),
        (r"(?<=a)(?:-|--)(?=b)", r"(?:-(?<=a-)|--(?<=a--))(?=b)"),
        (r"x|(?<=a)b+", r"x|(?<=a)b+"),  # a repeated atom stays as it was
        (r"(?<=a)(?:b|c+)", r"(?<=a)(?:b|c+)"),  # so does a group of other than plain text
    ],
)
def test_lookbehinds_after_first_rewrites(pattern, expected):
    assert lookbehinds_after_first(pattern) == expected
    for text in strings_over("ab-cx+0.A,", 4, 2_000):
        assert spans(re.compile(expected), text) == spans(re.compile(pattern), text), text


def test_backtracking_into_a_longer_alternative_is_kept():
    # "a--b": "-" fails the lookahead, so the group backtracks to "--", in both forms.
    pattern = r"(?<=a)(?:-|--)(?=b)"
    assert spans(re.compile(lookbehinds_after_first(pattern)), "a--b") == spans(re.compile(pattern), "a--b") == [(1, 3)]
