"""regex_filter's batch scan (BatchSearch) decides exactly as Python's ``re.search``, whichever
engine scans: hyperscan over the concatenated rows, RE2 row by row, or Python alone. The traps
are where a careless fast path goes wrong: matches across row boundaries, anchors at a row's
start, byte vs character offsets, case folding and ``\\w`` outside ASCII, dense patterns, and
patterns no engine but Python's can run."""

from __future__ import annotations

import pickle
import random
import re

import numpy as np
import pyarrow as pa
import pytest

import shardflow.steps as sf
from shardflow.steps.filters import batch_search
from shardflow.steps.filters.batch_search import BatchSearch, char_starts

pytest.importorskip("hyperscan")  # the ``url`` extra, part of ``test``; x86-64 only


def decisions(pattern: str, texts: list[str | None], flags: int = 0) -> tuple[list[bool], str]:
    """regex_filter's found/not found per row of ``texts``, and the engine that scanned."""
    step = sf.regex_filter(pattern, flags=flags)
    step.setup()
    keep, _ = step.filter_batch(pa.table({"text": texts}))
    return [not k for k in keep.to_pylist()], step._search.engine


def python(pattern: str, texts: list[str | None], flags: int = 0) -> list[bool]:
    regex = re.compile(pattern, flags)
    return [regex.search(t or "") is not None for t in texts]


@pytest.mark.parametrize(
    "pattern, texts",
    [
        # A superset match across two rows ("x" ending one row, "y" starting the next) must
        # not make either row match; the row after it still must when it matches itself.
        (r"(?s)x.{0,3}y", ["aax", "yb", "xy", "x", "", "y"]),
        (r"(?s)x.*y", ["aax", "yb", "zz", "x!y"]),
        # Anchors: a row's start is not the start of the concatenated data.
        (r"^abc", ["zzabc", "abc", "z\nabc", "abcz"]),
        (r"\Aab|cd\Z", ["xab", "ab", "cdx", "cd", "cd\n"]),
        (r"(?m)^ab$", ["xab", "ab", "q\nab\nz", "ab\n", "abab"]),
        (r"abc$", ["abc", "abc\n", "abcd", "abc\nx"]),
        # \b and \w are Unicode in Python: é is a word character.
        (r"\blicense\b", ["élicense", "license.", "the license", "licenseé", "_license", "٣license"]),
        (r"\w+ß", ["straße", "ß", " ß", "éß", "_ß"]),
        # Python's case folding: İ ı ſ K (Kelvin) match i i s k under (?i).
        (r"(?i)\b(?:copyright|license)\b", ["LİCENSE", "lıcense", "licenſe", "COPYRIGHT", "copyrights", "xlicense", "a License."]),
        (r"(?i)kelvin", ["\u212aelvin", "KELVIN", "kelvın", "kelvİn", "kelvxn"]),
        (r"(?i)[a-z]{3}", ["ſſſ", "İıK", "12é", "ab"]),
        # The confirming search starts a few bytes before the first match end: in bytes, so
        # multi-byte characters before a match must not push it past the match's start.
        (r"\bééé!", ["x ééé!", "xééé!", "éé é ééé! z"]),
        (r"(?<=é)x|(?<!\w)yy", ["éx", "ax", "éyy", " yy"]),
        (r"(?<=\bab)c", ["abc", "xabc", "ab c"]),
    ],
)
def test_hyperscan_decides_as_python(pattern, texts):
    found, engine = decisions(pattern, texts)
    assert engine == "hyperscan"
    assert found == python(pattern, texts)


def test_generated_rows_in_sliced_and_chunked_batches():
    rng = random.Random(11)
    pieces = ["license", "LICENSE", "lİcense", "copyright", "é", "x", " ", "\n", "ſ", "_", "ééé", "!", "k"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(600)]
    table = pa.concat_tables([pa.table({"text": texts[:250]}), pa.table({"text": texts[250:]})]).slice(7, 500)
    for pattern in [r"(?i)\b(?:copyright|license)\b", r"\bééé!", r"(?i)e\W*x", r"(?s)x.{2,6}k"]:
        step = sf.regex_filter(pattern)
        step.setup()
        keep, _ = step.filter_batch(table)
        assert step._search.engine == "hyperscan", pattern
        assert [not k for k in keep.to_pylist()] == python(pattern, texts[7:507]), pattern


def test_unbounded_patterns_take_their_starts_from_re2():
    search = BatchSearch(r"a\w*z")
    assert search.max_bytes is None and search.engine == "hyperscan"
    texts = ["xxaéz", "a", "zza", "az", "éaz"]
    assert search.starts(pa.array(texts)).tolist() == [2, -1, -1, 0, 2]  # RE2's starts, in bytes


def test_bounded_patterns_bound_the_start_by_the_first_match_end():
    search = BatchSearch(r"ab|cde")
    assert search.max_bytes == 12
    texts = ["z" * 20 + "cde", "ab", "nothing", "é" * 10 + "ab"]
    # First match end minus 4 bytes per character of the longest match, never below 0.
    assert search.starts(pa.array(texts)).tolist() == [23 - 12, 0, -1, 22 - 12]


def test_char_starts_rounds_down_inside_a_character():
    texts = ["abc", "éé", "aé", "ééé"]
    array = pa.array(["zz"] + texts).slice(1)  # not starting at the buffer's first byte
    assert char_starts(array, texts, np.array([2, 3, 2, 6])) == [2, 1, 1, 3]


def test_dense_patterns_fall_back_to_re2(monkeypatch):
    monkeypatch.setattr(batch_search, "_MAX_MATCHES_PER_ROW", 2)
    texts = ["word " * 50, "", "!!", "a"] * 100
    step = sf.regex_filter(r"\w")
    step.setup()
    assert step._search.engine == "hyperscan"
    keep, _ = step.filter_batch(pa.table({"text": texts}))
    assert [not k for k in keep.to_pylist()] == python(r"\w", texts)
    assert step._search.engine == "re2"  # stopped hyperscan's scan, for good


def test_without_hyperscan_re2_scans(no_hyperscan):
    texts = ["LİCENSE", "élicense", "the license", "nothing"]
    found, engine = decisions(r"(?i)\blicense\b", texts)
    assert engine == "re2" and found == python(r"(?i)\blicense\b", texts)


@pytest.mark.parametrize("value, engine", [("0", "re2"), ("off", "re2"), ("1", "hyperscan")])
def test_shardflow_hyperscan_0_turns_hyperscan_off(monkeypatch, value, engine):
    monkeypatch.setenv("SHARDFLOW_HYPERSCAN", value)
    texts = ["LİCENSE", "élicense", "the license", "nothing"]
    found, used = decisions(r"(?i)\blicense\b", texts)
    assert used == engine and found == python(r"(?i)\blicense\b", texts)


@pytest.mark.parametrize(
    "pattern, engine",
    [
        (r"a*", "re2"),  # matches the empty string: hyperscan refuses
        (r"[^\x00-\U0010FFFF]", "re2"),  # can never match: hyperscan refuses
        (r"(\w)\1", "python"),  # backreference: no superset
        (r"(a)?(?(1)b|c)", "python"),  # conditional group: no superset
        (r"(?:\w{5,900}){5}", "python"),  # too large for RE2
    ],
)
def test_patterns_hyperscan_refuses_fall_back(pattern, engine):
    texts = ["aa", "", "abab", "c", "b", "ab", "héllo wörld " * 5, "x" * 30]
    found, used = decisions(pattern, texts)
    assert used == engine
    assert found == python(pattern, texts)


def test_a_set_up_step_pickles_and_recompiles():
    step = sf.regex_filter(r"(?i)\blicense\b")
    step.setup()
    assert step._search.engine == "hyperscan"
    copy = pickle.loads(pickle.dumps(step))
    copy.setup()
    keep, _ = copy.filter_batch(pa.table({"text": ["a License", "none"]}))
    assert keep.to_pylist() == [False, True] and copy._search.engine == "hyperscan"
