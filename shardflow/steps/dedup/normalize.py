"""Text normalisation shared by exact and near-duplicate detection, columnar (pyarrow.compute).

Two texts count as the same when they differ only in case, Unicode compatibility forms,
punctuation, symbols or whitespace. The steps, in order:

1. Unicode NFKC (``ﬁ`` -> ``fi``, full-width letters -> ASCII, non-breaking space -> space);
2. lower case (full Unicode case mapping);
3. every run of punctuation (``\\p{P}``), symbols (``\\p{S}``) and whitespace becomes one space;
4. leading and trailing spaces are removed.

So ``"Hello,  World!"`` and ``"hello world"`` normalise to the same ``"hello world"``, and the
words of a normalised text are exactly its space-separated pieces. A null text is treated as
the empty text.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.dedup.separators import separators_to_space

# Characters common in English text that NFKC changes, replaced by their NFKD (their
# compatibility decomposition) before the NFKC check below: NFKC(x) = NFC(NFKD(x)), and NFKD
# maps each character to its full decomposition, then reorders combining marks, so a
# character replaced by its own NFKD beforehand changes neither step. Most texts that need
# NFKC need it only for these (no-break space, ellipsis, trade mark sign).
_EXPANDED = ("\u00a0", "\u2026", "\u2122")


def normalize_text(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Normalise a string column as the module docstring says; returns one ``large_string`` array."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    texts = nfkc(texts)
    texts = pc.utf8_lower(texts)
    texts = separators_to_space(texts)
    return pc.utf8_trim(texts, " ")


def text_column(batch: pa.Table, column: str, step: str) -> pa.ChunkedArray:
    """The column ``column`` of ``batch``, or an error that names the step and the columns."""
    if column not in batch.column_names:
        raise KeyError(
            f"step {step!r} needs a text column {column!r}, but the batch has {batch.column_names}; "
            f"pass column=<name> to the step"
        )
    return batch.column(column)


def nfkc(texts: pa.Array) -> pa.Array:
    """``pc.utf8_normalize(texts, "NFKC")``, computed only for the texts it can change.

    Most texts hold only characters NFKC leaves alone whatever surrounds them (see
    :func:`_nfkc_changes`); one regular-expression scan finds the others, and only those,
    with the characters of ``_EXPANDED`` expanded first, go through the normaliser, which
    is the costly part (10x the scan).
    """
    pattern, expanded = _nfkc_changes()
    changed = pc.match_substring_regex(texts, pattern)
    if not pc.any(changed).as_py():
        return texts
    some = texts.filter(changed)
    for char, decomposed in expanded:
        some = pc.replace_substring(some, char, decomposed)
    still = pc.match_substring_regex(some, pattern)
    if pc.any(still).as_py():
        some = pc.replace_with_mask(some, still, pc.utf8_normalize(some.filter(still), "NFKC"))
    return pc.replace_with_mask(texts, changed, some)


@functools.cache
def _nfkc_changes() -> tuple[str, tuple[tuple[str, str], ...]]:
    """An RE2 pattern that matches any character NFKC might change, and ``_EXPANDED``'s NFKD.

    A string made only of characters that are NFKC-stable alone (``NFKC(c) == c``), have
    combining class 0 and never end a canonical composition is NFKC-stable as a whole (the
    "quick check" of Unicode's UAX #15 answers yes for it). The pattern is the complement of
    ASCII and those characters of the Basic Multilingual Plane and the emoji blocks, per Python's Unicode
    database; a character Python does not know is left to the normaliser. Normalisation
    stability (UAX #15) keeps this true for the newer Unicode that Arrow may use.
    """
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul vowels, trailing consonants
    # Composition pairs whose second is in the BMP all have their composite in the BMP too
    # (tests/steps/test_dedup.py checks the whole range): scanning the BMP takes 10 ms, not 150.
    for cp in range(0x10000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    ranges: list[list[int]] = []
    # The BMP, and the emoji and pictograph blocks (U+1F000-U+1FAFF), common in web text;
    # no canonical composition ends in them (tests/steps/test_dedup_stages.py checks).
    for cp in itertools.chain(range(0x80, 0x10000), range(0x1F000, 0x1FB00)):
        c = chr(cp)
        if (0xD800 <= cp < 0xE000 or cp in seconds or unicodedata.combining(c)
                or unicodedata.category(c) == "Cn" or unicodedata.normalize("NFKC", c) != c):
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    stable = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    expanded = pc.utf8_normalize(pa.array(_EXPANDED, pa.large_string()), "NFKD").to_pylist()
    return f"[^\\x00-\\x7f{stable}]", tuple(zip(_EXPANDED, expanded))
