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
    full = re.compile(lex._suffix_search.__self__.pattern).search
    for s in ["word.", "U.S.A.", "10km", "a" * 30 + "......", "." * 40, "x...", "end)", "he's", "50%", "no"]:
        m = full(s)
        assert lex._suffix_len(s) == (m.end() - m.start() if m else 0), s


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
