"""Filters driven by lists and simple rules: C4 bad words, URL, regex, text length, sampler."""

from __future__ import annotations

import gzip
import re

import pyarrow as pa
import pytest

from shardflow.graph.stats import StepStats
from shardflow.steps import c4_badwords, regex_filter, sampler, text_length, url_filter
from shardflow.steps.filters.wordlists import any_word_regex


def run(step, table: pa.Table) -> tuple[pa.Table, StepStats]:
    step.stats = StepStats()
    step.setup()
    return step.process(table), step.stats


def test_c4_badwords_matches_listed_words_between_non_word_characters():
    step = c4_badwords()
    assert step.judge("What a bastard.") == "document_removed_with_badwords"
    assert step.judge("He went to the strip club downtown.") == "document_removed_with_badwords"  # a phrase
    assert step.judge("A G-SPOT amplifier") == "document_removed_with_badwords"  # lowercased first
    assert step.judge("A classic assessment of the passage.") is None  # "ass" only inside words
    assert step.judge("The Scunthorpe problem is well known.") is None


def test_c4_badwords_language_lists(tmp_path):
    fr = tmp_path / "fr.txt.gz"
    fr.write_bytes(gzip.compress("merde\n".encode()))
    table = pa.table({"id": ["1", "2", "3"], "text": ["Oh merde alors.", "Oh merde alors.", "plain text"],
                      "language": ["fr", "en", "de"]})
    with pytest.raises(ValueError, match="no bad-word list for language 'de'.*word_lists="):
        run(c4_badwords(word_lists={"fr": str(fr)}), table)
    out, stats = run(c4_badwords(word_lists={"fr": str(fr)}, fail_on_missing_language=False), table)
    assert out.column("id").to_pylist() == ["2", "3"]
    assert stats.dropped == {"document_removed_with_badwords": 1}
    assert stats.counters == {"missing_badwords_lang_de": 1}


def test_c4_badwords_keep_fraction_depends_on_id_not_order():
    texts = [f"Document {i} says bastard." for i in range(200)]
    table = pa.table({"id": [f"d{i}" for i in range(200)], "text": texts})
    kept, _ = run(c4_badwords(keep_fraction=0.5, seed=3), table)
    kept_reversed, _ = run(c4_badwords(keep_fraction=0.5, seed=3), table.take(list(range(199, -1, -1))))
    assert 60 < kept.num_rows < 140
    assert sorted(kept.column("id").to_pylist()) == sorted(kept_reversed.column("id").to_pylist())


def test_trie_regex_matches_the_same_texts_as_datatroves_alternation(tmp_path):
    words = ["ass", "assmunch", "a", "ab", "g-spot", "s&m", "2 girls 1 cup", "🖕"]
    listed = tmp_path / "xx.txt"
    listed.write_text("\n".join(words) + "\n")
    ours = c4_badwords(word_lists={"xx": str(listed)})._regex("xx")
    theirs = re.compile(r"(?:\W|^)({})(?:\W|$)".format("|".join(map(re.escape, words))))  # datatrove's
    texts = ["an ab test", "assmunch!", "class", "s&m", "my 2 girls 1 cup.", "x 🖕 y", "abc", "a", "g-spots", "_a_", "é a"]
    for text in texts:
        assert bool(ours.search(text)) == bool(theirs.search(text)), text
    assert re.compile(any_word_regex(["ab", "abc"])).fullmatch("abc")


def test_url_filter_reasons_in_datatrove_order():
    step = url_filter(extra_domains=["blocked.com", "shop.example.org"], extra_urls=["https://ok.org/bad-page"])
    urls = {
        "https://www.blocked.com/x": "domain",  # registered domain listed
        "https://shop.example.org/item": "subdomain",  # full host listed
        "https://ok.org/bad-page": "url",
        "https://ok.org/free-porn-videos": "hard_blacklisted",
        "https://ok.org/teen-sexy-babes": "soft_blacklisted",  # two soft words or more
        "https://ok.org/xxxvideos": "blacklisted_subword",
        "https://docs.python.org/3/library/re.html": None,
        "https://ok.org/Porn": None,  # words are matched as written, like datatrove
    }
    out, stats = run(step, pa.table({"url": list(urls) + [None], "id": list(range(len(urls) + 1))}))
    assert out.column("url").to_pylist() == ["https://docs.python.org/3/library/re.html", "https://ok.org/Porn", None]
    assert stats.dropped == {r: 1 for r in urls.values() if r}
    assert stats.counters == {"missing_url": 1}


def test_url_filter_domains_file(tmp_path):
    listed = tmp_path / "domains.gz"
    listed.write_bytes(gzip.compress(b"# comment\nexample.net\n"))
    step = url_filter(domains_file=str(listed))
    assert step.judge("http://a.b.example.net/page") == "domain"
    assert step.judge("http://example.com/page") is None


def test_regex_filter_drops_matches_with_python_semantics():
    step = regex_filter(r"(?i)\bcopyright\b", reason="copyright")
    out, stats = run(step, pa.table({"text": ["Copyright 2024 ACME.", "copyrighted works", "naïve café"]}))
    assert out.column("text").to_pylist() == ["copyrighted works", "naïve café"]
    assert stats.dropped == {"copyright": 1}
    # \w is Unicode in Python's re (it is ASCII in Arrow's RE2): "ï" is a word character.
    assert regex_filter(r"na\wve").judge("naïve café") == "regex"
    with pytest.raises(ValueError, match="not a valid regular expression"):
        regex_filter("(unclosed")


def test_text_length_is_columnar_and_counts_characters():
    texts = ["short", "é" * 10, "a" * 11, None]
    out, stats = run(text_length(min_chars=6, max_chars=10), pa.table({"text": texts}))
    assert out.column("text").to_pylist() == ["é" * 10]  # 10 characters, 20 bytes
    assert stats.dropped == {"too_short": 2, "too_long": 1}
    with pytest.raises(ValueError, match="min_chars=, max_chars="):
        text_length()


def test_sampler_is_a_function_of_seed_and_id():
    ids = [f"doc-{i}" for i in range(2000)]
    a = sampler(rate=0.25, seed=7)
    kept = [i for i in ids if a.keeps(i)]
    assert 400 < len(kept) < 600
    assert kept == [i for i in ids if sampler(rate=0.25, seed=7).keeps(i)]
    assert kept != [i for i in ids if sampler(rate=0.25, seed=8).keeps(i)]
    out, stats = run(sampler(rate=0.25, seed=7), pa.table({"id": ids[::-1]}))
    assert sorted(out.column("id").to_pylist()) == sorted(kept)
    assert stats.dropped == {"sampled_out": 2000 - len(kept)}
    with pytest.raises(ValueError, match="between 0 and 1"):
        sampler(rate=1.5)
