"""Normalisation step 1: Unicode NFKC, computed only for the texts it can change.

``pc.utf8_normalize(texts, "NFKC")`` costs 10x a scan of the same bytes, and most texts do
not need it: a string made only of characters that are NFKC-stable alone (``NFKC(c) ==
c``), have combining class 0 and never end a canonical composition is NFKC-stable as a
whole (the "quick check" of Unicode's UAX #15 answers yes for it). :func:`stable_ranges`
lists those characters (in the BMP and the emoji blocks, per Python's Unicode database; a
character Python does not know is left to the normaliser); normalisation stability (UAX
#15) keeps this true for the newer Unicode that Arrow may use. Only the texts with another
character go through the normaliser, and of these only the ones that still have one after
the commonest (``_EXPANDED``) are expanded.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.dedup.utf8 import decode

# Characters common in English text that NFKC changes, replaced by their NFKD (their
# compatibility decomposition) first: NFKC(x) = NFC(NFKD(x)), and NFKD maps each character
# to its full decomposition, then reorders combining marks, so a character replaced by its
# own NFKD beforehand changes neither step. Most texts that need NFKC need it only for
# these (no-break space, ellipsis, trade mark sign).
_EXPANDED = ("\u00a0", "\u2026", "\u2122")


def nfkc(texts: pa.Array) -> pa.Array:
    """``pc.utf8_normalize(texts, "NFKC")`` of a ``large_string`` array without nulls."""
    changed = _unstable_texts(texts)
    if not changed.any():
        return texts
    some = texts.filter(changed)
    for char, decomposed in _expansions():
        some = pc.replace_substring(some, char, decomposed)
    still = _unstable_texts(some)
    if still.any():
        some = pc.replace_with_mask(some, pa.array(still), pc.utf8_normalize(some.filter(still), "NFKC"))
    return pc.replace_with_mask(texts, pa.array(changed), some)


def _unstable_texts(texts: pa.Array) -> np.ndarray:
    """A mask of the texts that hold a character outside :func:`stable_ranges`."""
    chars = decode(texts)
    starts, ends = stable_ranges()
    at = np.searchsorted(starts, chars.code, side="right") - 1
    unstable = (at < 0) | (chars.code > ends[np.maximum(at, 0)])
    mask = np.zeros(len(texts), dtype=bool)
    mask[chars.texts_of(unstable)] = True
    return mask


@functools.cache
def stable_ranges() -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)`` of the ranges of non-ASCII code points NFKC leaves alone anywhere."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul vowels, trailing consonants
    # Composition pairs whose second is in the BMP or the emoji blocks all have their
    # composite in the BMP (tests/steps/test_dedup_stages.py checks the whole range):
    # scanning the BMP takes 10 ms, all planes 150.
    for cp in range(0x10000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    ranges: list[list[int]] = []
    # The BMP, and the emoji and pictograph blocks (U+1F000-U+1FAFF), common in web text.
    for cp in itertools.chain(range(0x80, 0x10000), range(0x1F000, 0x1FB00)):
        c = chr(cp)
        if (0xD800 <= cp < 0xE000 or cp in seconds or unicodedata.combining(c)
                or unicodedata.category(c) == "Cn" or unicodedata.normalize("NFKC", c) != c):
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    table = np.array(ranges, dtype=np.int64)
    return table[:, 0], table[:, 1]


@functools.cache
def _expansions() -> tuple[tuple[str, str], ...]:
    """``_EXPANDED`` with the NFKD of each, as Arrow computes it."""
    return tuple(zip(_EXPANDED, pc.utf8_normalize(pa.array(_EXPANDED, pa.large_string()), "NFKD").to_pylist()))
