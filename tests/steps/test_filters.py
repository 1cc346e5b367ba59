"""The quality filters: decisions and reasons on documents built to trip one rule each.

Every expected reason follows from the published rule and threshold (see filter_docs.py for
the arithmetic); they were also checked against datatrove 0.10.1 (bench/filters_agreement.py
compares on the real corpus).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from shardflow.graph.stats import StepStats
from shardflow.steps import c4_quality, fineweb_quality, gopher_quality, gopher_repetition
from tests.steps import filter_docs as D


def decide(step, text: str) -> str | None:
    return step.judge(text)


@pytest.mark.parametrize(
    "text, reason",
    [
        (D.GOOD, None),
        (D.SHORT, "gopher_short_doc"),
        (D.SHORT_WORDS, "gopher_below_avg_threshold"),
        (D.LONG_WORDS, "gopher_above_avg_threshold"),
        (D.HASHES, "gopher_too_many_hashes"),
        (D.BULLETS, "gopher_too_many_bullets"),
        (D.END_ELLIPSIS, "gopher_too_many_end_ellipsis"),
        (D.NUMBERS, "gopher_below_alpha_threshold"),
        (D.NO_STOP_WORDS, "gopher_enough_stop_words"),
    ],
)
def test_gopher_quality_rules(text, reason):
    assert decide(gopher_quality(), text) == reason


def test_gopher_quality_thresholds_are_parameters():
    # SHORT: 13 words of mean length 38 / 13 = 2.9, and none of the default stop words.
    assert decide(gopher_quality(min_doc_words=5), D.SHORT) == "gopher_below_avg_threshold"
    assert decide(gopher_quality(min_doc_words=5, min_avg_word_length=2.9), D.SHORT) == "gopher_enough_stop_words"
    assert decide(gopher_quality(min_doc_words=None, min_stop_words=None, min_avg_word_length=None), D.SHORT) is None
    assert decide(gopher_quality(max_doc_words=100), D.GOOD) == "gopher_long_doc"
    # "Servers ... " has none of the default stop words, but has "on" and "as".
    assert decide(gopher_quality(stop_words=["on", "as"]), D.NO_STOP_WORDS) is None


@pytest.mark.parametrize(
    "text, reason",
    [
        (D.GOOD, None),
        ("", "empty"),
        (D.DUP_PARAGRAPHS, "dup_para_frac"),
        (D.DUP_PARA_CHARS, "dup_para_char_frac"),
        (D.DUP_LINES_27, None),  # 3 duplicate lines of 11: 0.27 is not above 0.3
        (D.DUP_LINES_33, "dup_line_frac"),  # 4 of 12: 0.33 > 0.3
        (D.DUP_LINE_CHARS, "dup_line_char_frac"),
        (D.SHORT_WORDS, "top_2_gram"),  # "It is" x 15: 75 of 180 characters
        (D.DUP_NGRAMS, "duplicated_5_n_grams"),
    ],
)
def test_gopher_repetition_rules(text, reason):
    assert decide(gopher_repetition(), text) == reason


def test_gopher_repetition_checks_only_configured_ngrams():
    assert decide(gopher_repetition(dup_n_grams=()), D.DUP_NGRAMS) is None
    assert decide(gopher_repetition(top_n_grams=(), dup_n_grams=((7, 0.13),)), D.DUP_NGRAMS) == "duplicated_7_n_grams"
    assert decide(gopher_repetition(dup_line_frac=0.25), D.DUP_LINES_27) == "dup_line_frac"


@pytest.mark.parametrize(
    "text, min_sentences, reason",
    [
        (D.GOOD, 5, None),
        (D.LOREM, 5, "lorem_ipsum"),
        (D.CURLY, 5, "curly_bracket"),
        (D.THREE_SENTENCES, 5, "too_few_sentences"),
        (D.ABBREVIATIONS, 5, None),  # Dr. and Mr. do not end sentences: exactly 5
        (D.ABBREVIATIONS, 6, "too_few_sentences"),  # 7 periods, but 5 sentences
    ],
)
def test_c4_quality_rules(text, min_sentences, reason):
    assert decide(c4_quality(min_num_sentences=min_sentences), text) == reason


def test_c4_quality_keeps_only_the_good_lines_in_the_text():
    step = c4_quality()
    step.stats = StepStats()
    batch = pa.table({"id": ["noisy", "short"], "text": [D.WITH_NOISE, D.THREE_SENTENCES]})
    out = step.process(batch)
    assert out.column("id").to_pylist() == ["noisy"]
    text = out.column("text")[0].as_py()
    assert text.splitlines()[0].startswith("The Apache HTTP Server")  # the title line is gone
    assert "JavaScript" not in text and "cookies" not in text
    assert text.endswith("The server listens on port 80 by default.")  # citation removed
    assert step.stats.dropped == {"too_few_sentences": 1}
    # Without rewriting, the kept text is untouched.
    plain = c4_quality(rewrite_text=False)
    plain.stats = StepStats()
    assert plain.process(batch).column("text")[0].as_py() == D.WITH_NOISE


@pytest.mark.parametrize(
    "text, reason",
    [
        (D.GOOD, None),
        ("\n \n\t\n", "empty"),
        (D.NO_PUNCT_LINES, "line_punct_ratio"),
        (D.SHORT_LINES, "short_line_ratio"),
        (D.REPEATED_LINE, "char_dup_ratio"),
        (D.LIST_LIKE, "list_ratio"),
    ],
)
def test_fineweb_quality_rules(text, reason):
    assert decide(fineweb_quality(), text) == reason


def test_fineweb_quality_exclude_zero_keeps_documents_without_any_punctuation():
    no_punct = D.NO_PUNCT_LINES.rsplit("\n", 1)[0]  # the 9 lines without a final period
    assert decide(fineweb_quality(), no_punct) == "line_punct_ratio"
    assert decide(fineweb_quality(line_punct_exclude_zero=True), no_punct) is None


def test_filters_name_the_missing_text_column():
    step = gopher_quality(name="gq")
    step.stats = StepStats()
    with pytest.raises(KeyError, match="no column 'text'.*text_column="):
        step.process(pa.table({"id": ["a"], "content": [D.GOOD]}))
    other = gopher_quality(text_column="content")
    other.stats = StepStats()
    assert other.process(pa.table({"id": ["a"], "content": [D.GOOD]})).num_rows == 1


@pytest.mark.parametrize("text", ["a\nb", "\na\n\n\nb\n", "\n", "\n\n\n", "a", "a\n\n", "\n\na", " \n \n"])
def test_lines_and_paragraphs_are_datatroves_newline_runs(text):
    import re

    from shardflow.steps.filters.gopher_repetition import lines_of, paragraphs_of

    assert sorted(lines_of(text)) == sorted(re.split("\n+", text))
    for k in range(2, 8):
        padded = text.replace("\n\n", "\n" * k) + " x"
        assert paragraphs_of(padded) == re.split(r"\n{2,}", padded.strip()), (padded, k)
