"""The bytes of a string array, and where its non-ASCII characters are, without a Python loop.

Text in web and documentation corpora is mostly ASCII. The normalisation steps find the few
characters that need more than a byte table by decoding only those: the lead bytes of
multi-byte UTF-8 sequences (``0xC0`` and up), a few numpy operations over the whole buffer.
Arrow guarantees valid UTF-8 in its string arrays, so every lead byte is followed by its
continuation bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Chars:
    """A ``large_string`` array as bytes, with its non-ASCII characters decoded.

    Attributes:
        offsets: Where each text starts in ``data`` (``len(texts) + 1`` values from 0).
        data: The bytes of all texts (a view of the array's buffer: read only).
        pos: Byte position of each non-ASCII character in ``data``.
        size: Its length in bytes (2 to 4).
        code: Its code point.
    """

    offsets: np.ndarray
    data: np.ndarray
    pos: np.ndarray
    size: np.ndarray
    code: np.ndarray

    def texts_of(self, chars: np.ndarray) -> np.ndarray:
        """The text index of each of the given characters (a boolean mask over ``pos``)."""
        return np.searchsorted(self.offsets, self.pos[chars], side="right") - 1


def buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets from 0 and the bytes of a ``large_string`` array (slices included)."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset:texts.offset + len(texts) + 1]
    data = np.frombuffer(texts.buffers()[2] or b"", dtype=np.uint8)[offsets[0]:offsets[-1]]
    return offsets - offsets[0], data


def decode(texts: pa.Array) -> Chars:
    """Find and decode the non-ASCII characters of a ``large_string`` array."""
    offsets, data = buffers(texts)
    pos = np.flatnonzero(data >= 0xC0)
    lead = data[pos].astype(np.int64)
    size = 2 + (lead >= 0xE0) + (lead >= 0xF0)
    last = len(data) - 1  # bytes past a character's own are read (clipped) but not used
    tail = [data[np.minimum(pos + k, last)].astype(np.int64) & 0x3F for k in (1, 2, 3)]
    code = np.where(
        size == 2, (lead & 0x1F) << 6 | tail[0],
        np.where(size == 3, (lead & 0x0F) << 12 | tail[0] << 6 | tail[1],
                 (lead & 0x07) << 18 | tail[0] << 12 | tail[1] << 6 | tail[2]))
    return Chars(offsets, data, pos, size, code)
