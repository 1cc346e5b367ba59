"""WARC and WET files (web crawls): ``read_warc``. Needs ``shardflow[warc]`` (warcio)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterator

import pyarrow as pa

from shardflow.io import BadInputError, Piece, infer_compression, open_input
from shardflow.steps.files import FileSource
from shardflow.steps.readers.warc_records import CountingStream, RecordWalk

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class WarcReader(FileSource):
    """Read the HTML pages of WARC files, or the text of WET files (``.warc``, ``.warc.gz``).

    Each ``response`` record with an HTML payload becomes a document whose text is the HTML
    (pair it with :func:`~shardflow.steps.extract_html`); each WET ``conversion`` record
    becomes one whose text is the extracted plain text. The columns are ``id`` (the
    WARC-Record-ID), ``text``, ``url`` (WARC-Target-URI) and ``date`` (WARC-Date), as in
    datatrove's WarcReader. Other records (requests, metadata, images, PDFs) are not
    documents: they are counted in the step's counters (``warc_skipped:<type>``). A page is
    decoded as UTF-8, else with the charset its HTTP header or ``<meta>`` tag declares; one
    that decodes with neither is dropped and counted (``undecodable``). A damaged file is a
    bad record, raised or counted with every record before the damage kept: a file that ends
    inside a record, as after an interrupted download (``truncated_warc``; a ``.warc.gz`` cut
    inside a gzip member, ``corrupt_compressed``), a damaged gzip member
    (``corrupt_compressed``) or a record that is not WARC (``corrupt_warc``). The error names
    the byte offset and the record (number, WARC-Record-ID, URL). A file cut exactly between
    two records looks complete and cannot be told from one.

    Args:
        paths: Files, globs or directories.
        **kwargs: ``limit``, ``skip``, ``adapter``, ``path_column``, ``on_error`` ...
            (see :class:`~shardflow.steps.files.FileSource`).

    Example:
        ``pages = read_warc("crawl/*.warc.gz") >> extract_html()``
    """

    default_name = "read_warc"

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        from warcio.archiveiterator import ArchiveIterator

        parser = self.record_parser(piece.path, skipped, "document")
        rows: list[dict[str, Any]] = []
        first = 0  # documents of the file handed on so far

        def batch() -> pa.Table | None:
            nonlocal rows, first
            table = pa.Table.from_pylist(rows) if self.adapter is None else parser.records(rows, first)
            first += len(rows)
            rows = []
            return table

        # shardflow's decompression, not warcio's: warcio stops without a word at a damaged
        # or cut gzip member, where ours raises after handing over every good byte.
        with open_input(piece.path, self.storage_options) as raw:
            stream = CountingStream(raw)
            walk = RecordWalk(piece.path, ArchiveIterator(stream), stream, infer_compression(piece.path) is not None, self._wanted)
            damage = None
            records = iter(walk)
            while True:
                try:
                    record, payload = next(records)
                except StopIteration:
                    break
                except BadInputError as e:
                    damage = e  # every complete record before it is kept
                    break
                row = None if payload is None else self._document(record, payload, skipped)
                if row is not None:
                    rows.append(row)
                    if len(rows) >= self.read_batch_size and (table := batch()) is not None:
                        yield table
        if rows and (table := batch()) is not None:
            yield table
        if damage is not None:
            self.bad(skipped, damage.path, damage.line, damage.reason, damage.detail, damage.hint)

    def _wanted(self, record) -> bool:
        """Whether a record is a document (an HTML response, a WET conversion); the others
        are counted by type."""
        kind = record.rec_type
        mime = record.rec_headers.get_header("WARC-Identified-Payload-Type")
        if mime is None and kind == "response" and record.http_headers is not None:
            mime = record.http_headers.get_header("Content-Type")
        mime = (mime or "").split(";")[0].strip().lower()
        if kind == "response" and mime in HTML_TYPES:
            return True
        if kind == "conversion" and (not mime or mime == "text/plain" or mime in HTML_TYPES):
            return True
        self.note(f"warc_skipped:{kind}" if kind != "response" else f"warc_skipped:{mime or 'unknown'}")
        return False

    def _document(self, record, payload: bytes, skipped: Counter) -> dict[str, Any] | None:
        text = _decode(payload, record)
        if text is None:
            skipped["undecodable"] += 1
            return None
        headers = record.rec_headers
        return {
            "id": headers.get_header("WARC-Record-ID"),
            "text": text,
            "url": headers.get_header("WARC-Target-URI"),
            "date": headers.get_header("WARC-Date"),
        }


def _decode(payload: bytes, record) -> str | None:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = None
    if record.http_headers is not None:
        m = re.search(r"charset=([A-Za-z0-9_.:-]+)", record.http_headers.get_header("Content-Type") or "", re.I)
        declared = m.group(1) if m else None
    if declared is None:
        m = _META_CHARSET.search(payload[:4096])
        declared = m.group(1).decode("ascii") if m else None
    if declared is None:
        return None
    try:
        return payload.decode(declared)
    except (UnicodeDecodeError, LookupError):
        return None


read_warc = WarcReader
