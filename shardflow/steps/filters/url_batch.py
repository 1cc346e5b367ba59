"""The URL filter's checks over a whole batch, with numpy over the column's bytes.

datatrove splits each URL on ``[^a-zA-Z0-9]+`` and looks its words up in sets (banned words,
soft-banned words), and looks for banned sub-words in the URL with its separators removed.
Here a batch of URLs becomes two byte strings built with numpy from the Arrow buffers: the
URLs with every separator byte a space (a word ``w`` of a URL is then `` w ``; every
non-ASCII byte is a separator, as ``[^a-zA-Z0-9]`` makes every non-ASCII character one), and
the URLs' letters and digits, lowercased, one after the other. One multi-literal scan
(:class:`LiteralMatcher`) of each finds every occurrence of the listed words; a match's end
offset gives its row (a sub-word straddling two rows is discarded). The host part of each URL is cut out the
way tldextract's ``lenient_netloc`` starts (see :meth:`UrlBytes.authorities`), so that
tldextract itself only runs once per distinct authority.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.filters.hyperscan_engine import hyperscan_module

_ALNUM = np.zeros(256, dtype=bool)
for _lo, _hi in ((ord("0"), ord("9")), (ord("A"), ord("Z")), (ord("a"), ord("z"))):
    _ALNUM[_lo : _hi + 1] = True
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A") : ord("Z") + 1] += 32
_SCHEME = _ALNUM.copy()  # urllib's scheme characters: letters, digits, "+-."
_SCHEME[[ord("+"), ord("-"), ord(".")]] = True
_AUTHORITY_END = np.zeros(256, dtype=bool)
_AUTHORITY_END[[ord("/"), ord("?"), ord("#")]] = True
# The same tables for bytes.translate, which classifies bytes several times faster than
# numpy's fancy indexing (one C loop, no int64 index array).
_IS_ALNUM, _IS_SCHEME, _IS_AUTHORITY_END = (bytes(t.astype(np.uint8)) for t in (_ALNUM, _SCHEME, _AUTHORITY_END))
_TO_SPACE = bytes(np.where(_ALNUM, np.arange(256), 32).astype(np.uint8))
_TO_LOWER = bytes(_LOWER)
_NOT_ALNUM = bytes(np.flatnonzero(~_ALNUM).astype(np.uint8))


def _classify(raw: bytes, table: bytes) -> np.ndarray:
    """Per byte of ``raw``, whether ``table`` (a 0/1 translate table) marks it."""
    return np.frombuffer(raw.translate(table), dtype=bool)


class LiteralMatcher:
    """Finds every occurrence of a set of ASCII literals in a text: where each ends, which.

    Hyperscan (a SIMD multi-literal engine, x86-64 only) where it is installed, else
    pyahocorasick: both report every occurrence, overlapping ones included.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words = list(words)  # index i of a match is words[i]
        self.lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        hyperscan = hyperscan_module()
        if hyperscan is not None and self.words:
            self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self._db.compile(expressions=[w.encode("ascii") for w in self.words], ids=list(range(len(self.words))), elements=len(self.words))
            self._auto = None
        else:
            import ahocorasick  # the ``url`` extra, as tldextract

            self._db = None
            self._auto = ahocorasick.Automaton()
            for i, word in enumerate(self.words):
                self._auto.add_word(word, i)
            if self.words:
                self._auto.make_automaton()

    def find(self, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(end offset, index in ``words``) of every occurrence in ``text`` (ASCII); ends exclusive."""
        if not self.words:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if self._db is not None:
            found: list[tuple[int, int]] = []
            self._db.scan(text, match_event_handler=lambda i, _start, end, _flags, _ctx: found.append((end, i)))
        else:
            found = [(end + 1, i) for end, i in self._auto.iter(text.decode("ascii"))]
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ends, index = np.array(found, dtype=np.int64).T
        return ends, index


class UrlBytes:
    """The bytes of a string column of URLs (no nulls), as the word checks need them."""

    def __init__(self, urls: pa.Array) -> None:
        n = len(urls)
        self.urls = urls
        self.buffer = urls.buffers()[2] or pa.py_buffer(b"")
        self.offsets = np.frombuffer(urls.buffers()[1], dtype=np.int32)[urls.offset : urls.offset + n + 1].astype(np.int64)
        self.base = int(self.offsets[0])
        self.raw = self.buffer.slice(self.base, int(self.offsets[-1]) - self.base).to_pybytes()
        self.rel = self.offsets - self.base  # where each row starts in self.raw
        self.rows = n
        self.alnum = _classify(self.raw, _IS_ALNUM)

    def spaced(self) -> tuple[bytes, np.ndarray]:
        """The URLs with every separator byte a space, each row after a space, one more at
        the end: a word ``w`` of a row is then `` w `` in it. Also where each row starts."""
        # Arrow joins the rows with a space between them in one call.
        rows = pa.ListArray.from_arrays(pa.array([0, self.rows], pa.int32()), self.urls)
        joined = pc.binary_join(rows, " ")[0].as_buffer() if self.rows else b""
        return (b" " + bytes(joined) + b" ").translate(_TO_SPACE), self.rel[:-1] + np.arange(self.rows) + 1

    def normalized(self) -> tuple[bytes, np.ndarray]:
        """All URLs' letters and digits, lowercased, one after the other; where each row starts."""
        separators = np.flatnonzero(~self.alnum)  # fewer than the letters: cheaper than a cumsum
        kept = self.rel[:-1] - np.searchsorted(separators, self.rel[:-1])
        return self.raw.translate(_TO_LOWER, _NOT_ALNUM), kept

    def authorities(self) -> tuple[pa.Array, np.ndarray]:
        """Each URL's authority, as tldextract's ``lenient_netloc`` cuts it before the host.

        That is: skip a leading ``//``, or ``scheme://`` when only scheme characters come
        before the first ``//``; then stop at the first ``/``, ``?`` or ``#``. Returns an
        array whose even elements are the authorities (its offsets alternate start, end)
        and the index of each row's element in it.
        """
        if not self.rows:
            return pa.array([], pa.string()), np.zeros(0, np.int64)
        starts, ends = self.rel[:-1], self.rel[1:]
        # Arrow's plain substring kernels give byte offsets, as numpy needs them.
        colon = pc.find_substring(self.urls, "://").to_numpy(zero_copy_only=False).astype(np.int64)
        first_non_scheme = _first_at_or_after(np.flatnonzero(~_classify(self.raw, _IS_SCHEME)), starts, ends)
        scheme = (colon > 0) & (first_non_scheme == starts + colon)  # only scheme characters before
        double_slash = pc.starts_with(self.urls, "//").to_numpy(zero_copy_only=False)
        begin = np.where(double_slash, starts + 2, np.where(scheme, starts + colon + 3, starts))
        stop = _first_at_or_after(np.flatnonzero(_classify(self.raw, _IS_AUTHORITY_END)), begin, ends)
        return _views(self.buffer, begin + self.base, stop + self.base), np.arange(0, 2 * self.rows, 2)

    def empty_word_rows(self) -> np.ndarray:
        """Rows whose split has an empty word: empty, or starting or ending with a separator."""
        lengths = np.diff(self.rel)
        has = lengths > 0
        first = np.zeros(self.rows, dtype=bool)
        last = np.zeros(self.rows, dtype=bool)
        first[has] = ~self.alnum[self.rel[:-1][has]]
        last[has] = ~self.alnum[self.rel[1:][has] - 1]
        return ~has | first | last


def _first_at_or_after(positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per row, the first of the sorted ``positions`` in ``[start, end)``, else ``end``."""
    found = np.searchsorted(positions, starts)
    at = np.append(positions, np.iinfo(np.int64).max)[found]
    return np.minimum(at, ends)


def _views(buffer: pa.Buffer, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """A string array over ``buffer`` whose even elements are ``buffer[starts[i]:ends[i]]``.

    Arrow's offsets must not decrease, so the pieces alternate with the gaps between them
    (the odd elements), and nothing is copied. Needs ``ends[i] <= starts[i + 1]``.
    """
    bounds = np.empty(2 * len(starts), dtype=np.int32)
    bounds[0::2], bounds[1::2] = starts, ends
    return pa.Array.from_buffers(pa.string(), len(bounds) - 1, [None, pa.py_buffer(bounds), buffer])


def rows_with_subword(matcher: LiteralMatcher, text: bytes, row_starts: np.ndarray) -> np.ndarray:
    """The rows of ``normalized()`` text where a word of ``matcher`` occurs within the row."""
    ends, index = matcher.find(text)
    lengths = matcher.lengths[index]
    rows = np.searchsorted(row_starts, ends - 1, side="right") - 1
    return rows[ends - lengths >= row_starts[rows]]  # not straddling two rows


def word_matches(matcher: LiteralMatcher, text: bytes, row_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, word index) of every `` word `` of ``matcher`` in ``spaced()`` text."""
    ends, index = matcher.find(text)
    return np.searchsorted(row_starts, ends - 1, side="right") - 1, index


def rows_with_distinct(rows: np.ndarray, index: np.ndarray, at_least: int, n_words: int) -> np.ndarray:
    """The rows with at least ``at_least`` distinct word indexes among the matches."""
    if len(rows) == 0:
        return rows
    pairs = np.unique(rows * (n_words + 1) + index)
    counts = np.bincount(pairs // (n_words + 1))
    return np.flatnonzero(counts >= at_least)
