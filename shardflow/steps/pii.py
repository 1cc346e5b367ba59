"""Email and IP address redaction: ``redact_pii`` (datatrove's PIIFormatter, made exact).

The email pattern is datatrove's. The IPv4 pattern is datatrove's with one change: an
address must stand alone, not inside a longer dotted number, so a version such as
``1.2.3.4.5`` or ``10.0.0.1.2`` is left as it is (datatrove replaces its first four parts).
Only public (globally routable) addresses are replaced by default: private, loopback and
documentation ranges are not personal data. Replacements cycle through the given lists
within each document, from the first for every document, so the output of a document does
not depend on which documents a worker saw before it (datatrove's cycle carries over).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable, Iterator, Sequence

import pyarrow as pa

from shardflow.graph.step import Transform

EMAIL = re.compile(
    r"\b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[A-Za-z0-9](?:["
    r"A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|["
    r"01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[A-Za-z0-9-]*[A-Za-z0-9]:)])"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")
# Speed: Python's re scans fastest for a pattern that opens with a plain character class and
# has no lookbehind. So candidates are found loosely, then checked: a strict match standing
# alone (no digit or "digit." before it, no digit or ".digit" after). No valid address can
# hide inside a rejected candidate: its first character would follow a digit or "digit.".
_IP_CANDIDATE = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
# An email never holds whitespace, so it lies within a whitespace-delimited word with an "@";
# running EMAIL on those words alone gives the same matches, without trying every position
# of every other word.
_EMAIL_WORD = re.compile(r"[^\s@]*@\S*")

EMAIL_REPLACEMENTS = ("email@example.com", "firstname.lastname@example.org")
IP_REPLACEMENTS = ("22.214.171.124", "126.96.36.199", "188.8.131.52", "184.108.40.206", "220.127.116.11", "18.104.22.168")


class RedactPii(Transform):
    """Replace email addresses and public IPv4 addresses in ``text``.

    Counts what it replaced in the step's counters (``emails``, ``ips``) and the documents
    it changed (``documents_redacted``). Drops nothing.

    Args:
        emails: Replace email addresses.
        ips: Replace IP addresses.
        only_public_ips: Replace only globally routable addresses (as datatrove).
        email_replacement: A string, or strings used in turn within a document.
        ip_replacement: Likewise for IP addresses.
        text_column: The column to redact.

    Example:
        ``docs >> redact_pii(ips=False)``
    """

    default_name = "redact_pii"

    def __init__(
        self,
        *,
        emails: bool = True,
        ips: bool = True,
        only_public_ips: bool = True,
        email_replacement: str | Sequence[str] = EMAIL_REPLACEMENTS,
        ip_replacement: str | Sequence[str] = IP_REPLACEMENTS,
        text_column: str = "text",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.emails = emails
        self.ips = ips
        self.only_public_ips = only_public_ips
        self.email_replacement = _as_tuple(email_replacement)
        self.ip_replacement = _as_tuple(ip_replacement)
        self.text_column = text_column

    def redact(self, text: str) -> tuple[str, int, int]:
        """The redacted text, and how many emails and IPs were replaced."""
        n_emails = n_ips = 0
        if self.emails and "@" in text:  # the cheap test skips the regex for most documents
            text, n_emails = _substitute(text, _email_spans(text), self.email_replacement)
        if self.ips and "." in text:
            text, n_ips = _substitute(text, self._ip_spans(text), self.ip_replacement)
        return text, n_emails, n_ips

    def _ip_spans(self, text: str) -> Iterator[tuple[int, int]]:
        for match in _IP_CANDIDATE.finditer(text):
            if self._is_pii_ip(text, *match.span()):
                yield match.span()

    def _is_pii_ip(self, text: str, start: int, end: int) -> bool:
        if not IPV4.fullmatch(text, start, end):
            return False
        if start and (text[start - 1].isdigit() or (text[start - 1] == "." and start > 1 and text[start - 2].isdigit())):
            return False
        if end < len(text) and (text[end].isdigit() or (text[end] == "." and end + 1 < len(text) and text[end + 1].isdigit())):
            return False
        address = text[start:end]
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return ip.is_global or not self.only_public_ips

    def process(self, batch: pa.Table) -> pa.Table:
        texts = batch.column(self.text_column).to_pylist()
        out, emails, ips, changed = [], 0, 0, 0
        for text in texts:
            if text is None:
                out.append(None)
                continue
            new, e, i = self.redact(text)
            out.append(new)
            emails, ips, changed = emails + e, ips + i, changed + (e + i > 0)
        self.stats.count("emails", emails)
        self.stats.count("ips", ips)
        self.stats.count("documents_redacted", changed)
        if not changed:
            return batch
        index = batch.column_names.index(self.text_column)
        return batch.set_column(index, self.text_column, pa.array(out, batch.schema.field(index).type))


def _email_spans(text: str) -> Iterator[tuple[int, int]]:
    for word in _EMAIL_WORD.finditer(text):
        offset = word.start()
        for match in EMAIL.finditer(word.group(0)):
            yield offset + match.start(), offset + match.end()


def _substitute(text: str, spans: Iterable[tuple[int, int]], replacements: tuple[str, ...]) -> tuple[str, int]:
    """Replace the spans (in order, not overlapping), cycling through ``replacements``."""
    pieces, last, count = [], 0, 0
    for start, end in spans:
        pieces += (text[last:start], replacements[count % len(replacements)])
        count += 1
        last = end
    if not count:
        return text, 0
    pieces.append(text[last:])
    return "".join(pieces), count


def _as_tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    out = (value,) if isinstance(value, str) else tuple(value)
    if not out:
        raise ValueError("a replacement list must hold at least one string")
    return out


redact_pii = RedactPii
