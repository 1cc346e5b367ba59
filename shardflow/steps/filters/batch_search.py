"""Where a Python regex may match in each row of a batch: one scan of the whole batch.

:class:`BatchSearch` translates a Python pattern into a superset pattern (see
``re2_superset``: assertions dropped, classes widened; a row it does not match cannot match
in Python) and finds, per row, the byte offset of its leftmost match, from which Python's
``re`` confirms. Arrow's RE2 kernel finds it row by row. Where hyperscan is installed and
compiles the pattern (x86-64; a SIMD engine that finds a case-insensitive alternation of
literals at memory speed, which RE2 cannot), hyperscan first scans the batch's concatenated
UTF-8 data buffer once, the row of each match found from its end offset with
``searchsorted``, and RE2 only looks at those rows. Patterns with no superset
(backreferences) are left to Python alone (``available`` is False).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from shardflow.steps.filters.hyperscan_engine import hyperscan_module
from shardflow.steps.filters.re2_superset import Untranslatable, first_match, re2_compiles, re2_superset, sre_parse

# A batch whose superset matches more often than this per row (e.g. ``\w``) would cost one
# Python callback per match: hyperscan stops and this step uses RE2's one match per row
# from then on.
_MAX_MATCHES_PER_ROW = 8
# Patterns longer than this (in characters) count as unbounded: RE2 finds where they start.
_MAX_WIDTH = 100_000


class BatchSearch:
    """Per row, the byte offset from which a Python regex search must confirm, or -1.

    Args:
        pattern: The Python regular expression.
        flags: Its ``re`` flags.

    Attributes:
        re2: The RE2 superset, or None where RE2 cannot stand in (then ``available`` is False).
        hyperscan_pattern: The superset without anchors (a row's start is not the start of the
            concatenated buffer), as hyperscan compiles it.
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        try:
            re2 = re2_superset(pattern, flags)
            self.hyperscan_pattern: str | None = re2_superset(pattern, flags, anchors=False)
        except Untranslatable:
            re2, self.hyperscan_pattern = None, None
        self.re2 = re2 if re2 is not None and re2_compiles(re2) else None
        # The most UTF-8 bytes a Python match spans (lookarounds are zero-width), if bounded.
        width = sre_parse.parse(pattern, flags).getwidth()[1]
        self.max_bytes: int | None = 4 * width if width <= _MAX_WIDTH else None
        self._db: object | None = None
        self._db_tried = False

    @property
    def available(self) -> bool:
        """Whether a batch scan can stand in for Python (else search every row in Python)."""
        return self.re2 is not None

    @property
    def engine(self) -> str:
        """"hyperscan", "re2" or "python": what scans the batches (compiles on first use)."""
        return "hyperscan" if self._hyperscan() is not None else "re2" if self.re2 is not None else "python"

    def __getstate__(self) -> dict:
        # A compiled hyperscan database does not pickle; each worker compiles its own.
        return {**self.__dict__, "_db": None, "_db_tried": False}

    def _hyperscan(self) -> object | None:
        if not self._db_tried:
            self._db_tried = True
            self._db = _compile_hyperscan(self.hyperscan_pattern) if self.re2 is not None else None
        return self._db

    def starts(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Per row of ``texts`` (no nulls), a byte offset no later than where Python's leftmost
        match starts, or -1 where Python cannot match.

        With RE2, the start of its leftmost superset match (every Python match is a superset
        match). With hyperscan, which reports where matches end: for a pattern at most
        ``max_bytes`` long, the row's first superset match end minus ``max_bytes`` (Python's
        match, a superset match too, ends no earlier); else RE2's start in the rows it found.
        """
        if self.re2 is None:
            raise ValueError("no batch scan for this pattern: check BatchSearch.available first")
        db = self._hyperscan()
        if db is None:
            return first_match(texts, self.re2)
        chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
        ends = [_hyperscan_first_ends(db, chunk) for chunk in chunks]
        if any(e is None for e in ends):
            self._db = None  # too many matches: this pattern is dense, RE2 alone suits it better
            return first_match(texts, self.re2)
        first_end = np.concatenate(ends) if ends else np.zeros(0, np.int64)
        if self.max_bytes is not None:
            return np.where(first_end >= 0, np.maximum(first_end - self.max_bytes, 0), -1)
        # Hyperscan found the rows; RE2 (with the anchors) says where in them, and drops the
        # rows only a match across a row boundary made candidates.
        rows = np.flatnonzero(first_end >= 0)
        starts = np.full(len(texts), -1, np.int64)
        if len(rows):
            starts[rows] = first_match(texts.take(rows), self.re2)
        return starts


def _compile_hyperscan(pattern: str | None) -> object | None:
    """A hyperscan block-mode database for ``pattern``, or None (not installed, or it refuses:
    too large, can never match, matches the empty string...)."""
    if pattern is None:
        return None
    hyperscan = hyperscan_module()
    if hyperscan is None:
        return None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        # UTF8: classes are code points. Not SOM_LEFTMOST: hyperscan 0.9.1 crashes (SIGBUS)
        # scanning with it for e.g. ``\w+ß``'s superset; RE2 finds the starts instead.
        db.compile(expressions=[pattern.encode("utf-8")], flags=[hyperscan.HS_FLAG_UTF8])
    except hyperscan.error:
        return None
    return db


def _hyperscan_first_ends(db: object, texts: pa.Array) -> np.ndarray | None:
    """Per row of ``texts``, where (bytes from the row's start) the first match of ``db``
    ending in the row ends, or -1; None when it matched too often."""
    import hyperscan

    if texts.type not in (pa.string(), pa.large_string()):
        texts = texts.cast(pa.string())
    n = len(texts)
    first = np.full(n, -1, np.int64)
    offset_type = np.int64 if texts.type == pa.large_string() else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=offset_type)[texts.offset : texts.offset + n + 1].astype(np.int64)
    base, data = (int(offsets[0]), texts.buffers()[2]) if n else (0, None)
    if data is None or offsets[-1] == base:
        return first
    ends: list[int] = []
    limit = _MAX_MATCHES_PER_ROW * n + 1000

    def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> bool:
        ends.append(end)
        return len(ends) > limit  # True stops the scan

    try:
        db.scan(data.slice(base, int(offsets[-1]) - base), match_event_handler=on_match)
    except hyperscan.ScanTerminated:
        return None
    # A match ending in a row may start in an earlier one (rows are concatenated): that
    # only makes an earlier first end, which is still a valid bound for the row.
    at = np.sort(np.array(ends, np.int64))
    row_starts = offsets[:-1] - base
    rows = np.searchsorted(row_starts, at - 1, side="right") - 1
    rows, index = np.unique(rows, return_index=True)
    first[rows] = at[index] - row_starts[rows]
    return first


def char_starts(texts: pa.Array | pa.ChunkedArray, strings: list[str], byte_starts: np.ndarray) -> list[int]:
    """Per row, the index in ``strings[i]`` (the row as Python text) of the character holding
    byte ``byte_starts[i]`` of its UTF-8 (rounded down to a character's first byte).

    Only the bytes before the offset are decoded, from ``texts``' own buffer: encoding each
    whole text again would cost more than the search.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if texts.type not in (pa.string(), pa.large_string()):
        texts = texts.cast(pa.string())
    n = len(texts)
    offset_type = np.int64 if texts.type == pa.large_string() else np.int32
    row_starts = np.frombuffer(texts.buffers()[1], dtype=offset_type)[texts.offset : texts.offset + n].tolist() if n else []
    data = memoryview(texts.buffers()[2] or b"")
    # "ignore" drops a character cut in two by the offset: the index rounds down.
    return [
        b if text.isascii() else len(str(data[a : a + b], "utf-8", "ignore"))
        for text, a, b in zip(strings, row_starts, byte_starts.tolist())
    ]
