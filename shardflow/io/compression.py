"""Stream compression for row formats: gzip and zstd, chosen by file extension.

Reading returns a plain binary stream of the decompressed bytes. Codec failures (a truncated
or corrupt file) surface as ``BadInputError`` with reason ``corrupt_compressed``, and only
*after* every byte decoded before the damage has been returned, so a reader loses no more
than it must.

Writing wraps a raw binary stream that the caller owns. Closing the wrapper finishes the
compressed stream (gzip trailer, zstd frame epilogue) and flushes, but never closes the raw
stream: the owner (``commit.PendingFile``) closes it and then renames, and must be the only
one to decide when the bytes are complete.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import BinaryIO

import zstandard
from zlib_ng import gzip_ng, zlib_ng

from .errors import BadInputError
from .fs import filesystem

COMPRESSIONS = ("gzip", "zstd")
DEFAULT_LEVELS = {"gzip": 5, "zstd": 3}
"""gzip 5: with zlib-ng, the size of level 6 within 1% (en_docs +0.7%, en_dict +0.4%;
zlib's own level 6 is 1% smaller still) at 1.36x its speed, where level 9 buys another 2%
for 2.3x the time of level 6, and levels 3 to 4 save more time for 4-9% larger files
(bench/README.md). zstd 3 is zstd's default, already smaller and much faster than gzip.

gzip goes through zlib-ng (the ``zlib-ng`` package), a drop-in zlib with SIMD match finding:
at level 6 it compresses about 3x faster than the standard library's zlib for a file within
1% of the size, and decompresses about 1.4x faster (bench/README.md). Its output is standard
gzip that every tool reads, and it is deterministic for a given zlib-ng version."""

_READ_CHUNK = 1 << 20  # compressed bytes per raw read
_CORRUPT_HINT = (
    "The file is damaged or was cut short: re-create or re-download it, or pass "
    'on_error="skip" to the reader to count it and go on with the other files.'
)


def infer_compression(path: str) -> str | None:
    """The compression implied by a file name: "gzip", "zstd" or None.

    Args:
        path: A path or URL; only its extension matters (case-insensitive).
    """
    lower = path.lower()
    if lower.endswith(".gz"):
        return "gzip"
    if lower.endswith((".zst", ".zstd")):
        return "zstd"
    return None


def open_input(path: str, storage_options: dict | None = None) -> BinaryIO:
    """Opens a file for reading, decompressing it if its extension says so.

    Uncompressed files come back as the file system's own (seekable) stream. Compressed
    ones come back as a forward-only stream; concatenated gzip members and multi-frame
    zstd files are read whole.

    Args:
        path: A path or URL.
        storage_options: Keyword arguments for the file system.

    Returns:
        A binary stream of decompressed bytes; the caller closes it.
    """
    fs, stripped = filesystem(path, storage_options)
    raw = fs.open(stripped, "rb")
    compression = infer_compression(path)
    if compression is None:
        return raw
    if compression == "gzip":
        members = _Members(raw, lambda: zlib_ng.decompressobj(_GZIP_WBITS), "gzip member", zlib_ng.error)
        return _DecompressingReader(path, "gzip", members, (raw,), _GZIP_ERRORS)
    frames = _Members(raw, zstandard.ZstdDecompressor().decompressobj, "zstd frame", zstandard.ZstdError)
    return _DecompressingReader(path, "zstd", frames, (raw,), (zstandard.ZstdError,))


def open_output(fileobj: BinaryIO, compression: str | None, level: int | None) -> BinaryIO:
    """Wraps a raw binary stream with a compressor.

    Closing the returned stream finishes the compressed data and flushes ``fileobj`` but
    does not close it. Output is deterministic: the gzip header carries no file name and
    mtime 0, so the same rows give the same bytes wherever they are written.

    Args:
        fileobj: The raw destination, owned (and later closed) by the caller.
        compression: "gzip", "zstd" or None.
        level: Compression level, or None for the default (gzip 5, zstd 3).

    Returns:
        A writable binary stream.
    """
    if compression is None:
        return _KeepOpen(fileobj)
    if compression not in COMPRESSIONS:
        raise ValueError(
            f"Unknown compression {compression!r}: use one of {COMPRESSIONS} or None."
        )
    if level is None:
        level = DEFAULT_LEVELS[compression]
    if compression == "gzip":
        return gzip_ng.GzipNGFile(filename="", mode="wb", fileobj=fileobj, compresslevel=level, mtime=0)
    return zstandard.ZstdCompressor(level=level).stream_writer(fileobj, closefd=False)


_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, zlib_ng.error)
_GZIP_WBITS = 16 + 15  # a gzip header and trailer (CRC-32 and size checked), 32 KiB window


class _DecompressingReader(io.RawIOBase):
    """Fills reads from a :class:`_Members` decoder; turns codec errors into
    ``BadInputError`` raised on the read after the last good bytes."""

    def __init__(self, path, codec, members: _Members, closables, errors) -> None:
        self._path = path
        self._codec = codec
        self._members = members
        self._read1 = members.read1
        self._closables = closables
        self._errors = errors
        self._produced = 0
        self._error: BadInputError | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._error is not None:
            raise self._error
        parts, total = [], 0
        limit = size if size is not None and size >= 0 else float("inf")
        while total < limit:
            try:
                chunk = self._read1(int(min(limit - total, 1 << 24)))
            except self._errors as e:
                self._error = BadInputError(
                    self._path,
                    None,
                    "corrupt_compressed",
                    f"{self._codec} data is corrupt or truncated after "
                    f"{self._produced + total} decompressed bytes, in the {self._members.unit} that "
                    f"starts at byte {self._members.member_at} of the file ({e})",
                    _CORRUPT_HINT,
                )
                break
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
        self._produced += total
        # A bounded read hands over the good bytes first and fails on the next call; a
        # read-all must fail now, or its caller would take the short data for all of it.
        if self._error is not None and (not parts or limit == float("inf")):
            raise self._error
        return b"".join(parts)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            for c in self._closables:
                c.close()
        super().close()


class _Members:
    """Decodes one gzip member or zstd frame after another (concatenated files are read
    whole). Unlike the codecs' own file readers, it hands over every byte decoded before
    a damaged or truncated spot, and reports a stream that ends inside a member.

    Args:
        raw: The compressed stream.
        decoder: Makes the decompressor of one member (``decompress``, ``eof``,
            ``unused_data``).
        unit: What a member is called in errors ("gzip member", "zstd frame").
        error: The codec's error type, raised for a truncated stream.
    """

    def __init__(self, raw: BinaryIO, decoder, unit: str, error: type[Exception]) -> None:
        self._raw = raw
        self._decoder = decoder
        self.unit = unit
        self._error = error
        self._raw_read = 0  # compressed bytes read so far
        self.member_at = 0  # where the member being decoded starts in the compressed file
        self._padded = unit.startswith("gzip")
        self._member = None
        self._pending = b""
        self._out, self._at = b"", 0  # decoded bytes not yet returned, and where they start

    def read1(self, size: int) -> bytes:
        """Up to ``size`` decoded bytes; b"" only at the clean end of the last member."""
        if self._at >= len(self._out):
            self._out, self._at = self._decode(), 0
        chunk = self._out[self._at : self._at + size]
        self._at += len(chunk)
        return chunk

    def _decode(self) -> bytes:
        while True:
            data, self._pending = self._pending, b""
            if not data:
                data = self._raw.read(_READ_CHUNK)
                self._raw_read += len(data)
            if self._member is None:
                if not data:
                    return b""  # clean end: between members
                if self._padded:
                    data = data.lstrip(b"\0")  # gzip allows zero padding after a member
                    if not data:
                        continue
                self.member_at = self._raw_read - len(data)
                self._member = self._decoder()
            elif not data:
                raise self._error(f"the file ends at byte {self._raw_read}, inside a {self.unit}")
            out = self._member.decompress(data)
            if self._member.eof:
                self._pending, self._member = self._member.unused_data, None
            if out:
                return out


class _KeepOpen(io.RawIOBase):
    """An uncompressed pass-through whose ``close`` flushes but leaves the raw stream open,
    so that all three ``open_output`` results behave alike."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self._raw.write(data)

    def flush(self) -> None:
        if not self.closed:
            self._raw.flush()

    def close(self) -> None:
        if not self.closed:
            self._raw.flush()
        super().close()
