"""The word tokenizer and n-gram statistics the quality filters count with.

Expected tokens and sentences are spaCy 3.8's (``spacy.blank("en")`` with a sentencizer, which
is what datatrove 0.10.1 uses for English); the n-gram statistics are checked against a direct
transcription of datatrove's own functions on random word sequences.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from shardflow.steps.filters.ngrams import NGrams
from shardflow.steps.filters.words import EnglishWords


@pytest.fixture(scope="module")
def lex() -> EnglishWords:
    return EnglishWords()


@pytest.mark.parametrize(
    "text, tokens",
    [
        (
            "Hello, world! It's U.S.A. e-mail don't 3.14 $5 http://x.com/a?b=c #tag ... …  \n\n line two—dash",
            ["Hello", ",", "world", "!", "It", "'s", "U.S.A.", "e", "-", "mail", "do", "n't", "3.14", "$", "5",
             "http://x.com/a?b=c", "#", "tag", "...", "…", "line", "two", "—", "dash"],
        ),
        ("(see e.g. the [docs]).", ["(", "see", "e.g.", "the", "[", "docs", "]", ")", "."]),
        ("10km at 5pm; Mr. O'Neil can't.", ["10", "km", "at", "5", "pm", ";", "Mr.", "O'Neil", "ca", "n't", "."]),
        ("[=](auto", ["[=", "]", "(", "auto"]),  # an emoticon special case, re-merged
        ("wait.......", ["wait", "......."]),
    ],
)
def test_words_are_spacy_english_tokens(lex, text, tokens):
    assert lex.words(text) == tokens


def test_suffix_shortcut_equals_full_search(lex):
    # The tail-only suffix lookup must give spaCy's full-string answer, dots runs included.
    full = re.compile(lex.tokenizer._suffix_search.__self__.pattern).search
    for s in ["word.", "U.S.A.", "10km", "a" * 30 + "......", "." * 40, "x...", "end)", "he's", "50%", "no"]:
        m = full(s)
        assert lex.tokenizer._suffix_len(s) == (m.end() - m.start() if m else 0), s


@pytest.mark.parametrize(
    "line, sentences",
    [
        ("Hello world. This is Dr. Smith. ok? yes! e.g. this one", 5),
        ("One sentence only", 1),
        ("Ends here.  Two spaces then more.", 2),  # the double space is a token, ending sentence 1
        ("Wait... what?! Really.", 2),  # "..." is not a sentence end, "?!" is
        ("", 1),  # datatrove counts one (empty) sentence for an empty line
    ],
)
def test_sentence_count_follows_spacy_sentencizer(lex, line, sentences):
    assert lex.count_sentences(line) == sentences


# -- n-grams against datatrove's functions (gopher_repetition_filter.py), transcribed -------
def top_duplicate(words: list[str], n: int) -> int:
    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def all_duplicate(words: list[str], n: int) -> int:
    unique, repeated, idx = set(), 0, 0
    while idx < len(words) - n + 1:
        gram = tuple(words[idx : idx + n])  # datatrove joins with "": same unless words merge
        if gram in unique:
            repeated += sum(map(len, gram))
            idx += n
        else:
            unique.add(gram)
            idx += 1
    return repeated


@pytest.mark.parametrize("seed", range(25))
def test_ngram_statistics_match_datatrove(seed):
    rng = random.Random(seed)
    vocab = ["the", "a", "server", "port", "of", "listen", ".", ",", "request", "to"][: rng.randint(2, 10)]
    words = [rng.choice(vocab) for _ in range(rng.randint(1, 120))]
    ids = [vocab.index(w) for w in words]
    grams = NGrams(ids, [len(w) for w in words])
    for n in range(1, 11):
        while grams.n < n:
            grams.advance()
        if len(words) >= n:
            assert grams.top_chars() == top_duplicate(words, n), (seed, n)
        assert grams.duplicate_chars() == all_duplicate(words, n), (seed, n)
        # The bound gopher_repetition uses to skip the checks of larger n.
        assert all(grams.covered_chars() >= all_duplicate(words, m) for m in range(n, 11)), (seed, n)


def test_shortcuts_give_what_the_full_rules_give(lex):
    from tests.steps import filter_docs as D

    chunks = {c for name in dir(D) if name.isupper() for c in str(getattr(D, name)).split()}
    chunks |= {"word,", "Word.", "USA.", "etc.", "Dr.", "dont,", "cant!", "A.", "é.", "naïve;", "x)", 'said"',
               "2024", "١٢", "²", "3.", "can't", "o'clock", "ain't?", "e.g.", "(word", "abc'"}
    # Words in brackets, quotes and trailing marks, including cores of special cases ("8)").
    for core in ["word", "8", "o", "dont", "Dr", "e", "D", "x", "12", "Im"]:
        for before in ["", "(", '"', "([", "“"]:
            for after in ["", ")", ",", '"', ":", ");", '",', "”!", ")]"]:
                chunks.add(before + core + after)
    for chunk in chunks:
        if chunk in lex.tokenizer._specials:
            continue
        assert lex.tokenizer.tokenize(chunk) == lex.tokenizer.tokenize(chunk, True, fast=False), chunk


def test_suffix_rules_are_short_but_for_dot_runs(lex):
    # _suffix_len relies on every suffix rule matching at most 5 characters (after a
    # lookbehind of at most 2), except runs of dots: check the shipped rules still say so.
    from re import _parser

    from shardflow.steps.filters.spacy_english import load_rules

    branches = _parser.parse(load_rules()["suffix"])[0][1][1]
    unbounded = [b for b in branches if b.getwidth()[1] > 5]
    assert [str(b) for b in unbounded] == [str(_parser.parse(r"\.\.+$"))]
    lookbehinds = [item for b in branches for op, item in b if op == _parser.ASSERT and item[0] == -1]
    assert all(sub.getwidth()[1] <= 2 for _, sub in lookbehinds)


def test_character_classes_match_datatroves_definitions():
    from shardflow.steps.filters.words import _HAS_NON_PUNCTUATION, _MAYBE_ALPHA, PUNCTUATION_SET

    for code in range(0x10000):
        ch = chr(code)
        assert bool(_HAS_NON_PUNCTUATION.search(ch)) == (ch not in PUNCTUATION_SET), hex(code)
        assert not ch.isalpha() or _MAYBE_ALPHA.search(ch), hex(code)
