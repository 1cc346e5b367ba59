"""WARC and WET files (web crawls): ``read_warc``. Needs ``shardflow[warc]`` (warcio)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterator

import pyarrow as pa

from shardflow.io import Piece, filesystem
from shardflow.steps.files import FileSource

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
    bad record (``corrupt_warc``): raised, or counted with every record before the damage kept.

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
        from warcio.exceptions import ArchiveLoadFailed

        fs, path = filesystem(piece.path, self.storage_options)
        rows: list[dict[str, Any]] = []
        with fs.open(path, "rb") as raw:
            try:
                for record in ArchiveIterator(raw):
                    row = self._document(record, skipped)
                    if row is not None:
                        rows.append(row)
                        if len(rows) >= self.read_batch_size:
                            yield pa.Table.from_pylist(rows)
                            rows = []
            except (ArchiveLoadFailed, EOFError, OSError) as e:
                if rows:
                    yield pa.Table.from_pylist(rows)
                    rows = []
                self.bad(skipped, piece.path, None, "corrupt_warc", f"the WARC file is damaged ({str(e).strip()}); records before it were read")
        if rows:
            yield pa.Table.from_pylist(rows)

    def _document(self, record, skipped: Counter) -> dict[str, Any] | None:
        headers = record.rec_headers
        kind = record.rec_type
        mime = headers.get_header("WARC-Identified-Payload-Type")
        if mime is None and kind == "response" and record.http_headers is not None:
            mime = record.http_headers.get_header("Content-Type")
        mime = (mime or "").split(";")[0].strip().lower()
        if kind == "response" and mime in HTML_TYPES:
            pass
        elif kind == "conversion" and (not mime or mime == "text/plain" or mime in HTML_TYPES):
            pass
        else:
            self.note(f"warc_skipped:{kind}" if kind != "response" else f"warc_skipped:{mime or 'unknown'}")
            return None
        payload = record.content_stream().read()
        text = _decode(payload, record)
        if text is None:
            skipped["undecodable"] += 1
            return None
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
