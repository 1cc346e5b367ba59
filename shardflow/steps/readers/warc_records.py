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

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data

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
            try:
                payload = record.content_stream().read() if self._wanted(record) else None
                while record.raw_stream.read(_PAYLOAD_CHUNK):
                    pass
            except BadInputError as e:
                raise self._damaged(e, record, start) from e
            missing = record.raw_stream.limit
            if missing > 0:
                raise BadInputError(
                    self._path, None, "truncated_warc",
                    f"the file ends {missing:,} bytes before the end of {self._name(record)}, which starts "
                    f"at byte {start:,} {self._where} (its Content-Length is {record.length:,}); {self._before()}",
                    _CUT_HINT,
                )
            self._complete += 1
            self._last = self._name(record)
            yield record, payload
        left = self._stream.count - self._records.offset
        if left > 0:
            # warcio took the end of the file inside a record header for the end of the file.
            raise BadInputError(
                self._path, None, "truncated_warc",
                f"the file ends inside the header of record {self._number + 1}, which starts at byte "
                f"{self._records.offset:,} {self._where} ({left:,} bytes, no complete header); {self._before()}",
                _CUT_HINT,
            )

    def _name(self, record) -> str:
        headers = record.rec_headers
        what = ", ".join(v for v in (headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Target-URI")) if v)
        return f"record {self._number} ({what})" if what else f"record {self._number}"

    def _before(self) -> str:
        if self._last is None:
            return "no record before it"
        return f"the {self._complete:,} records before it were read (the last: {self._last})"

    def _damaged(self, error: BadInputError, record, start: int) -> BadInputError:
        """The decompression's error, with the record it stopped in."""
        if record is not None:
            where = f"it stopped inside {self._name(record)}, which starts at byte {start:,} {self._where}"
        else:
            where = f"it stopped in the header of record {self._number + 1}, at or after byte {start:,} {self._where}"
        return BadInputError(self._path, None, error.reason, f"{error.detail}; {where}; {self._before()}", error.hint)

    def _unparsable(self, error: Exception, start: int) -> BadInputError:
        message = " ".join(str(error).split()) or type(error).__name__
        left = self._stream.count - start
        return BadInputError(
            self._path, None, "corrupt_warc",
            f"record {self._number + 1}, at or after byte {start:,} {self._where}, is not a WARC record "
            f"(warcio: {message}; the file holds {left:,} more bytes from there); {self._before()}",
            _CORRUPT_HINT,
        )
