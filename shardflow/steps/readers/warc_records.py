"""Walking the records of a WARC file with warcio, so that no damage goes unnoticed.

warcio stops without a word where a WARC file is cut short or damaged: a record whose
payload ends early is returned as if complete, a file that ends inside a record header
ends the iteration as if the file were complete, and a damaged gzip member is written to
stderr and read as empty. :class:`RecordWalk` checks each record against its
Content-Length and the end of the iteration against the bytes the file held, and turns
each kind of damage into a :class:`~shardflow.io.BadInputError` that names the file, the
byte offset and the record. The decompression is shardflow's (``open_input``), which raises
at a damaged or cut gzip member after handing over every good byte.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Callable, Iterator

from shardflow.io import BadInputError

_PAYLOAD_CHUNK = 1 << 16
_CUT_HINT = (
    "The file was cut short (an interrupted download?): download or copy it again, or pass "
    'on_error="skip" to the reader to keep the records before the damage (the file is counted '
    "in the stats under this reason)."
)
_CORRUPT_HINT = (
    "The file is damaged: download or re-create it, or pass on_error=\"skip\" to the reader to "
    "keep the records before the damage (the file is counted in the stats under this reason)."
)


class CountingStream:
    """A read-only stream that counts the bytes read through it (warcio reads it in blocks).

    Args:
        raw: The (decompressed) stream.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0
        self.eof = False  # a read has come back empty
        self._recent: list[bytes] = []  # the last two reads, to look at a cut record header

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        if data:
            self._recent = [self._recent[-1], data] if self._recent else [data]
        elif size != 0:
            self.eof = True
        return data

    def tail(self, offset: int) -> bytes | None:
        """The bytes from ``offset`` to the last one read, if the last two reads hold them."""
        recent = b"".join(self._recent)
        if offset < self.count - len(recent):
            return None
        return recent[offset - (self.count - len(recent)):]

    def tell(self) -> int:
        return self.count


class RecordWalk:
    """The records of one WARC file, each read in full and checked.

    Iterating yields ``(record, payload)``: the payload (the decoded content) when
    ``wanted(record)`` says so, else None; either way the record has been read to its end,
    and it was complete.

    Args:
        path: The file, for errors.
        records: A warcio ``ArchiveIterator`` over ``stream``.
        stream: The decompressed bytes of the file, counted.
        compressed: Whether offsets are in the decompressed bytes of a compressed file.
        wanted: Whether a record's payload is needed.

    Raises:
        BadInputError: ``truncated_warc`` (the file ends inside a record), ``corrupt_warc``
            (a record that warcio cannot parse), or the decompression's own error
            (``corrupt_compressed``) with the record added to its detail.
    """

    def __init__(self, path: str, records, stream: CountingStream, compressed: bool, wanted: Callable[[Any], bool]) -> None:
        self._path = path
        self._records = records
        self._stream = stream
        self._where = "of the uncompressed WARC" if compressed else "of the file"
        self._wanted = wanted
        self._number = 0  # records started
        self._complete = 0  # records read in full
        self._last: str | None = None  # the last complete record, in words

    def __iter__(self) -> Iterator[tuple[Any, bytes | None]]:
        while True:
            if self._complete:
                try:  # what warcio does on the next step; here, so that offsets name the next record
                    self._records.read_to_end()
                except BadInputError as e:  # in what follows the record: the offset is not known
                    raise self._damaged(e, None, None) from e
            start = self._records.offset
            try:
                record = next(self._records)
            except StopIteration:
                break
            except BadInputError as e:
                raise self._damaged(e, None, start) from e
            except Exception as e:  # warcio raises what its parsing hits: its own errors, EOF, attribute errors
                raise self._unparsable(e, start) from e
            self._number += 1
            start = self._records.offset  # now the start of this record
            length = record.rec_headers.get_header("Content-Length")
            if length is None or not length.strip().isdigit() or not hasattr(record.raw_stream, "limit"):
                raise self._no_length(record, start)
            try:
                payload = record.content_stream().read() if self._wanted(record) else None
                while record.raw_stream.read(_PAYLOAD_CHUNK):
                    pass
            except BadInputError as e:
                raise self._damaged(e, record, start) from e
            missing = record.raw_stream.limit
            if missing > 0:
                raise self._error(
                    "truncated_warc", f"the file ends {missing:,} bytes before the end of {self._name(record)}, which "
                    f"starts at byte {start:,} {self._where} (its Content-Length is {record.length:,})",
                )
            self._complete += 1
            self._last = self._name(record)
            yield record, payload
        left = self._stream.count - self._records.offset
        if left > 0:
            # warcio took the end of the file inside a record header for the end of the file.
            raise self._cut_header(f"record {self._number + 1}", self._records.offset, f"{left:,} bytes, no complete header")

    def _name(self, record) -> str:
        headers = record.rec_headers
        what = ", ".join(v for v in (headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Target-URI")) if v)
        return f"record {self._number} ({what})" if what else f"record {self._number}"

    def _before(self) -> str:
        if self._last is None:
            return "no record before it"
        return f"the {self._complete:,} records before it were read (the last: {self._last})"

    def _error(self, reason: str, detail: str) -> BadInputError:
        hint = _CUT_HINT if reason == "truncated_warc" else _CORRUPT_HINT
        return BadInputError(self._path, None, reason, f"{detail}; {self._before()}", hint)

    def _cut_header(self, record: str, start: int, what: str) -> BadInputError:
        return self._error(
            "truncated_warc", f"the file ends inside the header of {record}, which starts at byte {start:,} {self._where} ({what})"
        )

    def _no_length(self, record, start: int) -> BadInputError:
        """A record header without a valid Content-Length: cut (the file ends in it) or damaged."""
        value = record.rec_headers.get_header("Content-Length")
        if self._stream.eof:
            return self._cut_header(self._name(record), start, f"Content-Length: {value!r}")
        return self._error(
            "corrupt_warc", f"{self._name(record)}, at byte {start:,} {self._where}, has no valid Content-Length "
            f"({value!r}), so the records after it cannot be found",
        )

    def _damaged(self, error: BadInputError, record, start: int | None) -> BadInputError:
        """The decompression's error, with the record it stopped in (``record``), or the
        next one (at ``start``; None: somewhere after the last complete record)."""
        if record is not None:
            where = f"it stopped inside {self._name(record)}, which starts at byte {start:,} {self._where}"
        elif start is None:
            where = (f"it stopped after record {self._number} (read in full), at byte {self._stream.count:,} "
                     f"{self._where}: the damage is in what follows it")
        elif self._stream.count > start:
            where = f"it stopped in the header of record {self._number + 1}, which starts at byte {start:,} {self._where}"
        elif self._number:
            where = f"it stopped after record {self._number}, at byte {start:,} {self._where}"
        else:
            where = "it stopped before the first record"
        detail = f"{error.detail}; {where}; {self._before()}; nothing after the damage was read"
        return BadInputError(self._path, None, error.reason, detail, error.hint)

    def _unparsable(self, error: Exception, start: int) -> BadInputError:
        message = " ".join(str(error).split()) or type(error).__name__
        left = self._stream.count - start
        tail = self._stream.tail(start) if self._stream.eof else None
        if tail is not None and _looks_cut(tail):
            return self._cut_header(f"record {self._number + 1}", start, f"{left:,} bytes: {tail[:40]!r}")
        return self._error(
            "corrupt_warc", f"record {self._number + 1}, at or after byte {start:,} {self._where}, is not a WARC record "
            f"(warcio: {message}; the file holds {left:,} more bytes from there)",
        )


def _looks_cut(tail: bytes) -> bool:
    """Whether the last bytes of a file are the start of a WARC record header, cut short:
    they begin like one ("WARC/1.0") and hold no end of header (a blank line)."""
    tail = tail.lstrip(b"\r\n")
    return (tail.startswith(b"WARC/") or b"WARC/".startswith(tail)) and b"\r\n\r\n" not in tail
