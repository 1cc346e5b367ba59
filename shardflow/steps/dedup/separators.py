"""Normalisation step 3, vectorised: every run of separators becomes one space.

A separator is a character of RE2's ``[\\p{P}\\p{S}\\s]``: punctuation, symbols, and
``[\\t\\n\\f\\r ]``. Replacing the runs with that regular expression is correct, but RE2
stops at every punctuation mark, which made it most of a dedup's CPU. This gives the same
text in three numpy passes:

1. ASCII separators become spaces through a 256-byte table (which RE2 itself fills in);
2. every byte of a non-ASCII separator becomes a space (the few non-ASCII characters are
   decoded, see :mod:`~shardflow.steps.dedup.utf8`, and RE2 says which are separators);
3. runs of spaces within a text collapse to one space.

The runs of separators of the input are exactly the runs of spaces after steps 1 and 2 (a
space is a separator, and nothing else became one), so step 3 leaves one space for each.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.dedup.utf8 import buffers, decode

SEPARATORS = r"[\p{P}\p{S}\s]"
_SPACE = 32


def separators_to_space(texts: pa.Array) -> pa.Array:
    """Replace every run of separators of a ``large_string`` array without nulls by one space."""
    chars = decode(texts)
    mapped = _ascii_table()[chars.data]
    sep = _SeparatorCodes.of(chars.code)
    for k in range(4):  # every byte of the character, by its length
        at = chars.pos[sep & (chars.size > k)] + k
        mapped[at] = _SPACE
    mapped_texts = pa.LargeStringArray.from_buffers(len(texts), pa.py_buffer(chars.offsets), pa.py_buffer(mapped))
    return collapse_spaces(mapped_texts)


def collapse_spaces(texts: pa.Array) -> pa.Array:
    """Replace every run of spaces of a ``large_string`` array without nulls by one space."""
    offsets, data = buffers(texts)
    if not len(data):
        return texts
    space = data == _SPACE
    repeat = space[1:] & space[:-1]  # repeat[i]: byte i + 1 is a space right after a space
    starts = offsets[1:-1]
    repeat[starts[(starts > 0) & (starts < len(data))] - 1] = False  # ... of the same text
    drop = np.flatnonzero(repeat) + 1
    keep = np.ones(len(data), dtype=bool)
    keep[drop] = False
    new_offsets = offsets - np.searchsorted(drop, offsets)  # minus the bytes dropped before
    return pa.LargeStringArray.from_buffers(len(texts), pa.py_buffer(new_offsets), pa.py_buffer(data[keep]))


class _SeparatorCodes:
    """Which non-ASCII code points RE2 counts as separators, asked once per code point."""

    _known: dict[int, bool] = {}

    @classmethod
    def of(cls, codes: np.ndarray) -> np.ndarray:
        distinct = np.unique(codes)
        new = [int(c) for c in distinct if int(c) not in cls._known]
        if new:
            chars = pa.array([chr(c) for c in new], pa.large_string())
            for code, hit in zip(new, pc.match_substring_regex(chars, f"^{SEPARATORS}$").to_pylist()):
                cls._known[code] = hit
        table = np.array([cls._known[int(c)] for c in distinct], dtype=bool)
        return table[np.searchsorted(distinct, codes)] if len(codes) else np.zeros(0, dtype=bool)


@functools.cache
def _ascii_table() -> np.ndarray:
    """Byte -> byte: ASCII separators (as RE2 sees them) to a space, everything else as is."""
    ascii_chars = pa.array([chr(i) for i in range(128)], pa.large_string())
    separator = np.array(pc.match_substring_regex(ascii_chars, f"^{SEPARATORS}$").to_pylist())
    table = np.arange(256, dtype=np.uint8)
    table[:128][separator] = _SPACE
    return table
