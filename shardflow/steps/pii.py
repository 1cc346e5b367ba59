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
from typing import Any, Sequence

import pyarrow as pa

from shardflow.graph.step import Transform

EMAIL = re.compile(
    r"\b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[A-Za-z0-9](?:["
    r"A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|["
    r"01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[A-Za-z0-9-]*[A-Za-z0-9]:)])"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
# Not preceded by a digit or "digit.", not followed by a digit or ".digit".
IPV4 = re.compile(rf"(?<![0-9])(?<![0-9]\.)(?:{_OCTET}\.){{3}}{_OCTET}(?![0-9])(?!\.[0-9])")

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
            text, n_emails = _substitute(EMAIL, text, self.email_replacement, None)
        if self.ips and "." in text:
            text, n_ips = _substitute(IPV4, text, self.ip_replacement, self._is_pii_ip)
        return text, n_emails, n_ips

    def _is_pii_ip(self, address: str) -> bool:
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


def _substitute(pattern: re.Pattern, text: str, replacements: tuple[str, ...], valid) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        found = match.group(0)
        if valid is not None and not valid(found):
            return found
        count += 1
        return replacements[(count - 1) % len(replacements)]

    return pattern.sub(replace, text), count


def _as_tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    out = (value,) if isinstance(value, str) else tuple(value)
    if not out:
        raise ValueError("a replacement list must hold at least one string")
    return out


redact_pii = RedactPii
