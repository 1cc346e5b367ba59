"""Reading a batch of texts at once (Arrow split, distinct chunks) gives the words of each text."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from shardflow.steps.filters import words as words_module
from shardflow.steps.filters.words import EnglishWords

SAMPLE = Path(__file__).parent.parent / "data" / "en_docs_sample.jsonl"
# Every code point str.split() splits on, between, before and after chunks.
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
ODD_TEXTS = [
    "", "   ", "\n\nword", "word  \t", " (Hello), world!  It's 10km. ", "a\x1cb\x1dc\x1ed\x1ff",
    f"x{WHITESPACE}y", WHITESPACE.join(["don't", "U.S.", "e.g.", "café", "😀!"]), "same text", "same text",
]


def per_text(texts: list[str]) -> list[tuple]:
    lex = EnglishWords()
    return [(lex.words(t), lex.counts(t), lex.word_ids(t)[1].tolist()) for t in texts]


def batch_read(texts: list, lex: EnglishWords | None = None) -> list[tuple]:
    lex = lex or EnglishWords()
    plain = [t or "" for t in texts]
    lex.read_batch(plain, pa.chunked_array([pa.array(texts[:3], pa.string()), pa.array(texts[3:], pa.string())]))
    return [(lex.words(t), lex.counts(t), lex.word_ids(t)[1].tolist()) for t in plain]


def sample_texts() -> list[str]:
    with SAMPLE.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def test_arrow_splits_on_the_whitespace_of_str_split():
    import pyarrow.compute as pc

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = ["a" + c + "b" for c in chars]
    split = pc.utf8_split_whitespace(pa.array(texts)).to_pylist()
    assert [t.split() for t in texts] == [[p for p in parts if p] for parts in split]


def test_batch_read_gives_each_texts_words():
    texts = ODD_TEXTS + sample_texts()
    assert batch_read(texts) == per_text(texts)


def test_missing_texts_read_as_empty():
    texts = ["one two", None, "three"]
    assert batch_read(texts) == per_text(["one two", "", "three"])


def test_a_batch_without_any_text_reads_as_empty_texts():
    lex = EnglishWords()
    lex.read_batch(["", ""], pa.array([None, None]))
    assert lex.counts("").words == 0 and lex.words("") == []


def test_texts_outside_the_batch_are_split_one_by_one():
    lex = EnglishWords()
    batch_read(["first text"], lex)
    assert lex.words("another (text)") == ["another", "(", "text", ")"]


def test_lexicon_starting_again_mid_batch_keeps_numbers_right(monkeypatch):
    # A small lexicon starts again while the batch is read and while it is judged.
    monkeypatch.setattr(words_module, "_MAX_CHUNKS", 300)
    monkeypatch.setattr(words_module, "_KEPT_CHUNKS", 100)
    texts = sample_texts()
    lex = EnglishWords()
    assert batch_read(texts[:10], lex) == per_text(texts[:10])
    assert lex._generation == 0 and len(lex._chunks) > 300
    got = batch_read(texts[10:20], lex)  # the lexicon is full: it starts again first
    assert lex._generation == 1
    assert got == per_text(texts[10:20])
    lex.chunk("a-new-chunk-that-starts-it-again")  # the batch's numbers are void: read per text
    assert lex._generation == 2
    assert [lex.words(t) for t in texts[10:13]] == [w for w, _, _ in per_text(texts[10:13])]


@pytest.mark.parametrize("stop_words", [["the", "of"], ["and", "zzz"], ["don't"]])
def test_has_chunks_finds_whole_chunks_only(stop_words):
    lex = EnglishWords()
    text = "the end of (the) story and don't"
    assert lex.has_chunks(text, stop_words) == [w for w in stop_words if w in text.split()]


def test_rows_of_the_batch_read_last_are_not_read_again():
    lex = EnglishWords()
    texts = sample_texts()[:6]
    batch_read(texts, lex)
    numbers = lex._batch_numbers
    kept = texts[1:4]  # what an earlier filter of the chain kept
    lex.read_batch(kept, pa.array(kept))
    assert lex._batch_numbers is numbers
    assert [lex.words(t) for t in kept] == [w for w, _, _ in per_text(kept)]
    lex.read_batch(kept + ["a new text"], pa.array(kept + ["a new text"]))
    assert lex._batch_numbers is not numbers and lex.words("a new text") == ["a", "new", "text"]


def test_counts_follow_datatroves_definitions():
    from shardflow.steps.filters.words import PUNCTUATION_SET

    lex = EnglishWords()
    texts = ODD_TEXTS + sample_texts() + ["²³ x² — ... ½ ǅ 🙂🙂 ---"]
    plain = [t or "" for t in texts]
    lex.read_batch(plain, pa.array(plain))
    for t in plain:
        words = lex.words(t)
        symbols = [w for w in words if all(ch in PUNCTUATION_SET for ch in w)]
        expected = (len(words), len(words) - len(symbols), sum(map(len, words)) - sum(map(len, symbols)),
                    sum(1 for w in words if any(ch.isalpha() for ch in w)))
        assert tuple(lex.counts(t)) == expected, t[:60]


def test_chunks_learned_one_by_one_count_as_in_bulk():
    texts = ODD_TEXTS + sample_texts()[:8]
    one_by_one = EnglishWords()
    for t in texts:
        for c in t.split():
            one_by_one.chunk(c)  # a few new chunks at a time: the plain loop
    assert len(one_by_one._chunks) > 700
    assert [(one_by_one.words(t), one_by_one.counts(t), one_by_one.word_ids(t)[1].tolist()) for t in texts] == batch_read(texts)


@pytest.mark.parametrize("step_name", ["gopher_repetition", "gopher_quality", "fineweb_quality", "c4_quality"])
def test_filters_judge_a_batch_as_they_judge_each_text(step_name):
    import shardflow.steps as steps

    texts = ODD_TEXTS + sample_texts()
    # Repeated lines and words, so that every check fires on some text.
    texts += ["spam spam spam eggs\n" * 40, "the cat sat on the mat. " * 30, "\n".join(["- item"] * 20)]
    batch = pa.table({"text": texts})
    words_module.english_words().clear()
    keep, reasons = getattr(steps, step_name)().filter_batch(batch)
    words_module.english_words().clear()
    one_by_one = [getattr(steps, step_name)().judge(t) for t in texts]
    assert list(reasons) == one_by_one
    assert list(keep) == [r is None for r in one_by_one]
    assert len(set(one_by_one)) >= 3  # kept, and dropped for at least two reasons


def test_gopher_repetition_batch_where_no_text_needs_words():
    import shardflow.steps as steps

    batch = pa.table({"text": ["x\nx\nx\nx", "", None]})
    keep, reasons = steps.gopher_repetition().filter_batch(batch)
    assert list(keep) == [False, False, False]
    assert list(reasons) == ["dup_line_frac", "empty", "empty"]
