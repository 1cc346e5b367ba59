"""Lines of a byte range, read in large blocks.

A line belongs to the range that holds its *first* byte (the Hadoop rule), so ranges that
tile a file read each line exactly once: a range skips the line it starts inside (its
predecessor owns it) and reads past its end to finish its own last line. Blocks are split
with ``bytes.split``; nothing here runs per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from .compression import open_input

BLOCK_SIZE = 4 << 20
"""Bytes per read: large enough that per-block costs vanish, small enough to stay in cache."""

_BOM = b"\xef\xbb\xbf"
_TAIL = 64 << 10  # near a range's end, read this much past it rather than a whole block


class OversizedLine(bytes):
    """Stands, empty, for a line longer than the reader's limit, which was skipped unread.

    Attributes:
        size: The line's length in bytes (without its newline).
    """

    size: int

    def __new__(cls, size: int) -> "OversizedLine":
        line = super().__new__(cls)
        line.size = size
        return line


def owned_lines(
    stream: BinaryIO,
    start: int = 0,
    end: int | None = None,
    block_size: int = BLOCK_SIZE,
    max_line_bytes: int | None = None,
) -> Iterator[list[bytes]]:
    """Yields, block by block, the lines whose first byte lies in ``[start, end)``.

    Lines come without their ``\\n`` (a ``\\r`` before it is kept: JSON parsers treat it as
    whitespace); a UTF-8 byte order mark at the start of the file is dropped. The last line
    of the file needs no newline.

    Args:
        stream: Binary stream at offset 0; it must be seekable when ``start > 0``.
        start: First byte offset of the range.
        end: Exclusive end offset, or None for the end of the stream.
        block_size: Bytes per read.
        max_line_bytes: Longer lines come as an ``OversizedLine`` in their place, and are
            never held in memory whole: reading one costs a block, not the line. None: no
            limit.

    Yields:
        Non-empty lists of consecutive lines, in file order.
    """
    limit = max_line_bytes
    if start > 0:
        block, pos = _skip_partial_line(stream, start, end, block_size)
        if block is None:
            return
    else:
        block, pos = stream.read(block_size), 0
        if block.startswith(_BOM):
            block, pos = block[len(_BOM) :], len(_BOM)
    # The unfinished line: its pieces (kept as a list, joined once: appending to bytes
    # would copy the line once per block), its length, and its start offset.
    carry: list[bytes] = []
    carry_len, carry_pos = 0, pos

    def finish(head: bytes) -> bytes:
        size = carry_len + len(head)
        if limit is not None and size > limit:
            return OversizedLine(size)
        return b"".join(carry) + head if carry else head

    while True:
        if end is not None and carry_pos >= end:
            return  # the next line starts outside the range: the next range owns it
        block_pos = carry_pos + carry_len
        if not block:
            size = block_size if end is None else min(block_size, max(end - block_pos, _TAIL))
            block = stream.read(size)
            if not block:
                break
        if end is not None and block_pos + len(block) >= end:
            # Our last line is the one holding byte end - 1; it ends at the next newline.
            k = block.find(b"\n", max(end - 1 - block_pos, 0))
            if k >= 0:
                lines = block[:k].split(b"\n")
                lines[0] = finish(lines[0])
                yield _bounded(lines, limit, len(block))
                return
        lines = block.split(b"\n")
        tail = lines.pop()
        if lines:
            lines[0] = finish(lines[0])
            carry, carry_len = [tail], len(tail)
            carry_pos = block_pos + len(block) - len(tail)
            yield _bounded(lines, limit, len(block))
        else:  # a line longer than a block
            carry.append(tail)
            carry_len += len(tail)
        if limit is not None and carry_len > limit:
            carry = []  # over the limit: only its length matters from now on
        block = b""
    if carry_len:
        yield [finish(b"")]


def _bounded(lines: list[bytes], limit: int | None, block_len: int) -> list[bytes]:
    """Replaces the lines longer than ``limit`` by ``OversizedLine``. The first line was
    checked already; the others lie inside a block, so none is longer than the block."""
    if limit is None or block_len <= limit or max(map(len, lines)) <= limit:
        return lines
    return [line if len(line) <= limit else OversizedLine(len(line)) for line in lines]


def _skip_partial_line(stream, start, end, block_size) -> tuple[bytes | None, int]:
    """Positions after the first newline at or after ``start - 1``: the first line that
    starts inside the range. Returns the rest of the block and its offset, or (None, _)
    when no line starts inside the range."""
    stream.seek(start - 1)
    pos = start - 1
    while True:
        block = stream.read(block_size)
        if not block:
            return None, pos
        k = block.find(b"\n")
        if k >= 0:
            return block[k + 1 :], pos + k + 1
        pos += len(block)
        if end is not None and pos >= end:
            return None, pos


def count_newlines(path: str, stop: int, storage_options: dict | None = None) -> int:
    """Counts ``\\n`` bytes in ``[0, stop)`` of an uncompressed file.

    This is how a range that starts mid-file learns its line numbers; readers call it only
    when a line number is needed (a generated id, an error message).
    """
    count, pos = 0, 0
    with open_input(path, storage_options) as f:
        while pos < stop:
            block = f.read(min(BLOCK_SIZE, stop - pos))
            if not block:
                break
            count += block.count(b"\n")
            pos += len(block)
    return count
