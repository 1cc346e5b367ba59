"""Every shortcut of the English tokenizer gives what spaCy's algorithm gives without it.

The reference is ``SpacyEnglish.tokenize(chunk, fast=False)``: spaCy's loop asking the prefix
and suffix expressions at every step, no shortcut, then the special-case matcher (as
``__call__`` applies it). bench/tokenizer_spacy.py checks the tokenizer against spaCy itself
on every distinct chunk of corpus shards.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from shardflow.steps.filters.affix_chars import single_char_affixes
from shardflow.steps.filters.spacy_english import SpacyEnglish, load_rules
from shardflow.steps.filters.words import EnglishWords

SAMPLE = Path(__file__).parent.parent / "data" / "en_docs_sample.jsonl"
# Characters the rules treat differently: letters (ASCII, accented, upper), digits, each kind
# of punctuation the prefix, suffix and infix rules name, currency, units, symbols, emoji.
ALPHABET = "aZé9.,-–—:/=<>+*^…©😀_'’\"()[]$%#!?°ksm~"


@pytest.fixture(scope="module")
def tok() -> SpacyEnglish:
    return SpacyEnglish()


def reference(tok: SpacyEnglish, chunk: str) -> tuple[str, ...]:
    tokens = tok.tokenize(chunk, fast=False)
    return tok._apply_special_matches(tokens) if len(tokens) > 1 else tokens


def generated_chunks(longest: int, extra: int, seed: int = 3) -> list[str]:
    """Every chunk of up to ``longest`` characters of ALPHABET, and ``extra`` longer random ones
    (some around real words and special cases, such as "don't" or "U.S.")."""
    chunks, level = [], [""]
    for _ in range(longest):
        level = [s + c for s in level for c in ALPHABET]
        chunks += level
    rng = random.Random(seed)
    cores = ["word", "Dr", "don't", "U.S.", "e.g", "10km", "5pm", "x2", "http://a.io/b", "a_b", "f(x)", "C++", "8)"]
    for _ in range(extra):
        around = lambda: "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 4)))  # noqa: E731
        chunks.append(around() + rng.choice(cores) + around())
    return chunks


def sample_chunks() -> set[str]:
    with SAMPLE.open(encoding="utf-8") as f:
        return {c for line in f for c in json.loads(line)["text"].split()}


def test_sample_has_many_distinct_chunks():
    assert len(sample_chunks()) > 3000  # the test below is only as good as its input


def test_tokenizer_equals_reference_on_every_chunk_of_the_sample(tok):
    for chunk in sorted(sample_chunks()):
        assert tok(chunk) == reference(tok, chunk), chunk


def test_tokenizer_equals_reference_on_generated_chunks(tok):
    for chunk in generated_chunks(3, 20_000):
        assert tok(chunk) == reference(tok, chunk), chunk


def test_tokenizer_equals_reference_around_every_special_case(tok):
    # The affix loop stops where what is left is a special case ("Dr." in "(Dr.),"): wrap
    # every special case in marks that the rules strip, alone and in runs.
    for special in tok._specials:
        for before in ["", "(", '"', "([", "'", "$"]:
            for after in ["", ",", ")", ".", ").", '",', "!?", "'s", "%"]:
                chunk = before + special + after
                assert tok(chunk) == reference(tok, chunk), chunk


def test_tokenize_many_equals_one_by_one(tok):
    chunks = sorted(sample_chunks()) + ["cannot", "Cannot", "gonna", "naïve", "ǅemal"]
    assert tok.tokenize_many(chunks) == [reference(tok, c) for c in chunks]


# -- characters always split alone --------------------------------------------------------
CONTEXTS = ["", "a", "Z", "9", "é", ".", "..", "°F", "'", "US", "km", "(", ")", "…", "-", "+", "$", "😀"]


def test_single_suffixes_are_matched_alone_after_anything():
    rules = load_rules()
    search = re.compile(rules["suffix"]).search
    single = single_char_affixes(rules["suffix"], suffix=True)
    assert {")", ",", ";", "]", '"', "!", "?", "'"} <= single
    assert not {".", "%", "+", "…", "s", "m", "$"} & single  # ".." runs, units, currency after digits
    for c in single:
        for before in CONTEXTS:
            m = search(before + c)
            assert m and m.group() == c, (before, c)


def test_single_prefixes_are_matched_alone_before_anything():
    rules = load_rules()
    match = re.compile(rules["prefix"]).match
    single = single_char_affixes(rules["prefix"], suffix=False)
    assert {"(", "[", '"', "'", "$", "#", "*"} <= single
    assert not {".", "+", "…", "U", "C", "A"} & single  # "..", "+" before a digit, "……", "US$"
    for c in single:
        for after in CONTEXTS:
            m = match(c + after)
            assert m and m.group() == c, (c, after)


@pytest.mark.parametrize(
    "pattern, suffix, expected",
    [
        (r"\)$|,$|\.\.+$", True, {")", ","}),
        (r"\)$|(?<=[0-9])\)$", True, set()),  # a conditional branch ends with ")" too
        (r"\)$|x\)$", True, set()),  # so does a longer one
        (r"\)|,$", True, set()),  # a branch not anchored at the end: no shortcut at all
        (r"^\(|^\+(?![0-9])|^…|^……", False, {"("}),
        (r"^\(|^[^a]", False, set()),  # a negated class may be anything
    ],
)
def test_single_char_affixes_reads_branches_conservatively(pattern, suffix, expected):
    assert single_char_affixes(pattern, suffix=suffix) == expected


def test_lexicon_counts_are_those_of_the_reference_tokens():
    lex = EnglishWords()
    text = SAMPLE.read_text(encoding="utf-8")
    texts = [json.loads(line)["text"] for line in text.splitlines()]
    for t in texts:
        expected = [tok for c in t.split() for tok in reference(lex.tokenizer, c)]
        assert lex.words(t) == expected
        assert lex.counts(t).words == len(expected)


def test_url_match_without_scheme_or_user_agrees_where_used(tok):
    from shardflow.steps.filters.spacy_english import _without_scheme_or_user

    url = load_rules()["url_match"]
    assert len(_without_scheme_or_user(url)) < len(url)  # both groups were found and taken out
    full = re.compile(url).match
    strings = [c for c in sample_chunks() if "." in c] + [
        "a.b", "x.io", "www.example.com/a?b", "10.0.0.1", "192.168.1.1:80", "1.2.3.4", "exa_mple.com",
        "例子.测试", "a.b.c.d.e.f.g.h.i.j.k", "foo.bar()", "A.B", "a.co:8080/x#y", "-.com", "e.g.", "..a.com",
        "me@x.com", "http://x.com", "ftp://a.b", "a:b@c.de",
    ]
    for s in strings:
        assert tok._is_url(s) == bool(full(s)), s
