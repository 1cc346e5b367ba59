"""URL blocklist: drop documents whose URL is on a block list or contains banned words.

The same rules, order and drop reasons as datatrove's ``URLFilter`` (the RefinedWeb URL
filter). The word lists ship with shardflow; the domain and URL lists datatrove bundles (the
UT1 "adult" blacklist: 4.6 million domains, 18 MB compressed, CC BY-SA) do not: pass such a
list as ``domains_file=`` / ``urls_file=`` (one entry per line, local or fsspec path, may be
gzipped), or small ones inline with ``extra_domains=`` / ``extra_urls=``.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.url_batch import LiteralMatcher, UrlBytes, rows_with_distinct, rows_with_subword, word_matches
from shardflow.steps.filters.wordlists import any_word_regex, file_lines, shipped_lines

_NORMALIZER = re.compile(r"[^a-zA-Z0-9]+")
# tldextract's lenient_netloc, up to the authority: a leading "//" or "scheme://" (scheme
# characters only before the first "//") is skipped, then everything up to "/", "?" or "#".
# RE2 and Python agree on these ASCII classes; the rest of its parsing (userinfo, port,
# brackets, trailing dots) runs in tldextract itself, once per distinct authority.
_AUTHORITY = r"^(?://|[A-Za-z0-9+.\-]+://)?(?P<authority>[^/?#]*)"
_HOST_CACHE_SIZE = 100_000


def normalize(text: str) -> str:
    """Letters and digits only, lowercased: how the word lists are matched."""
    return _NORMALIZER.sub("", text).lower()


def parse_list(lines: Iterable[str], do_normalize: bool = True) -> set[str]:
    """A list file's entries, as datatrove reads them (``#`` lines are comments)."""
    return {normalize(x) if do_normalize else x.strip() for x in lines if x and x[0] != "#"}


class URLFilter(TextFilter):
    """Drop documents by their URL: block-listed domain, subdomain or URL, or banned words.

    Reasons, in the order checked: ``domain`` (registered domain listed), ``subdomain``
    (full host listed), ``url`` (exact URL listed), ``hard_blacklisted`` (a banned word is a
    word of the URL), ``soft_blacklisted`` (at least ``soft_word_threshold`` soft-banned
    words), ``blacklisted_subword`` (a banned sub-word appears in the normalized URL). Rows
    without a URL are kept and counted as ``missing_url``.

    Domains are split with tldextract's bundled public-suffix list (offline; the ``url``
    extra: ``pip install 'shardflow[url]'``). A batch is judged with Arrow kernels: the
    authority of each URL is cut out by one regex and tldextract runs once per distinct
    authority (remembered across batches), the URL's words are split and looked up in the
    lists as columns, and only rows with enough soft words are counted again in Python.

    Args:
        url_column: The column holding the URL.
        soft_word_threshold: Soft-banned words that make a URL banned.
        extra_domains: Domains to block, besides ``domains_file``.
        extra_urls: URLs to block, besides ``urls_file``.
        banned_words: Words to ban, besides the shipped list.
        banned_subwords: Sub-words to ban, besides the shipped list.
        soft_banned_words: Soft words, besides the shipped list.
        use_integrated_lists: Use the shipped word lists (and ``domains_file`` / ``urls_file``).
        domains_file: A file of domains to block, one per line.
        urls_file: A file of URLs to block, one per line.

    Example:
        ``docs >> url_filter(domains_file="lists/adult_domains.txt.gz")``
    """

    default_name = "url_filter"

    def __init__(
        self,
        url_column: str = "url",
        soft_word_threshold: int = 2,
        extra_domains: Iterable[str] | None = None,
        extra_urls: Iterable[str] | None = None,
        banned_words: Iterable[str] | None = None,
        banned_subwords: Iterable[str] | None = None,
        soft_banned_words: Iterable[str] | None = None,
        use_integrated_lists: bool = True,
        domains_file: str | None = None,
        urls_file: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(text_column=url_column, **options)
        self.soft_word_threshold = soft_word_threshold
        self.extra_domains = sorted(extra_domains or ())
        self.extra_urls = sorted(extra_urls or ())
        self.banned_words = sorted(banned_words or ())
        self.banned_subwords = sorted(banned_subwords or ())
        self.soft_banned_words = sorted(soft_banned_words or ())
        self.use_integrated_lists = use_integrated_lists
        self.domains_file = domains_file
        self.urls_file = urls_file
        self._lists: tuple | None = None
        self._blocked_hosts: dict[str, str | None] = {}  # authority -> "domain", "subdomain", None

    def setup(self) -> None:
        self._load()
        # One small batch through every check: one-off costs (hyperscan's scratch space,
        # Arrow's kernel dispatch) are paid here, once per worker, not by the first batch.
        stats, self.stats = self.stats, None
        self.filter_batch(pa.table({self.text_column: ["https://user@www.example.com:80/a-b?c#d", "//x.org", "", None]}))
        self.stats = stats

    def _load(self) -> tuple:
        if self._lists is None:
            try:
                from tldextract import TLDExtract
            except ImportError as exc:
                raise ImportError("url_filter needs tldextract: pip install 'shardflow[url]'") from exc
            domains = parse_list(self.extra_domains, do_normalize=False)
            urls = parse_list(self.extra_urls, do_normalize=False)
            words = parse_list(self.banned_words)
            subwords = parse_list(self.banned_subwords)
            soft = parse_list(self.soft_banned_words)
            if self.use_integrated_lists:
                words |= parse_list(shipped_lines("url_banned_words.txt"))
                subwords |= parse_list(shipped_lines("url_banned_subwords.txt"))
                soft |= parse_list(shipped_lines("url_soft_banned_words.txt"))
                if self.domains_file:
                    domains |= parse_list(file_lines(self.domains_file), do_normalize=False)
                if self.urls_file:
                    urls |= parse_list(file_lines(self.urls_file), do_normalize=False)
            # suffix_list_urls=(): never fetch the public-suffix list, use the bundled one.
            extract = TLDExtract(suffix_list_urls=(), cache_dir=None)
            extract("example.com")  # loads the public-suffix list now, in setup, not in a batch
            subword_regex = re.compile(any_word_regex(subwords)) if subwords else None
            # The batch side (url_batch): the word lists as arrays, a matcher of the sub-words.
            self._subwords = subwords
            self._url_array = pa.array(sorted(urls), pa.string())
            listed = sorted((words | soft) - {""})
            self._word_matcher = LiteralMatcher([f" {w} " for w in listed])
            self._listed_words = (listed, np.array([w in words for w in listed], bool), np.array([w in soft for w in listed], bool))
            self._subword_matcher = LiteralMatcher(sorted(subwords - {""}))
            self._lists = (extract, domains, urls, words, soft, subword_regex)
        return self._lists

    def judge(self, url: str) -> str | None:
        extract, domains, urls, words, soft, subword_regex = self._load()
        if not url:
            if self.stats is not None:
                self.stats.count("missing_url")
            return None
        if domains:
            info = extract(url)
            if info.top_domain_under_public_suffix in domains:
                return "domain"
            if info.fqdn in domains:
                return "subdomain"
        if url in urls:
            return "url"
        url_words = set(_NORMALIZER.split(url))
        if not words.isdisjoint(url_words):
            return "hard_blacklisted"
        if len(soft & url_words) >= self.soft_word_threshold:
            return "soft_blacklisted"
        if subword_regex is not None and subword_regex.search(normalize(url)):
            return "blacklisted_subword"
        return None

    def _host_reason(self, authority: str) -> str | None:
        """"domain", "subdomain" or None for the URLs of this authority (tldextract's host)."""
        if authority not in self._blocked_hosts:
            extract, domains = self._lists[0], self._lists[1]
            info = extract("//" + authority)  # the same host as extract(url): see _AUTHORITY
            reason = "domain" if info.top_domain_under_public_suffix in domains else "subdomain" if info.fqdn in domains else None
            if len(self._blocked_hosts) >= _HOST_CACHE_SIZE:
                self._blocked_hosts.clear()
            self._blocked_hosts[authority] = reason
        return self._blocked_hosts[authority]

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        _extract, domains, urls, words, soft, subword_regex = self._load()
        column = self.column(batch, self.text_column, "url_column").cast(pa.string())
        present = pc.fill_null(pc.not_equal(column, ""), False).to_numpy(zero_copy_only=False)
        if self.stats is not None and not present.all():
            self.stats.count("missing_url", int((~present).sum()))
        column = pc.fill_null(column, "").combine_chunks() if isinstance(column, pa.ChunkedArray) else pc.fill_null(column, "")
        data = UrlBytes(column)
        # The checks in reverse order of precedence, each overwriting the later ones.
        reasons = np.full(len(column), None, dtype=object)
        if subword_regex is not None:
            if "" in self._subwords:  # the empty sub-word is in every URL, as in judge()
                reasons[:] = "blacklisted_subword"
            else:
                reasons[rows_with_subword(self._subword_matcher, *data.normalized())] = "blacklisted_subword"
        if soft or words or self.soft_word_threshold <= 0:
            empty = np.flatnonzero(data.empty_word_rows())
            if self.soft_word_threshold <= 0:  # as judge(): no soft word is enough
                reasons[:] = "soft_blacklisted"
            # One scan for words and soft words: index i is listed[i], a word between spaces.
            listed, is_word, is_soft = self._listed_words
            rows, index = word_matches(self._word_matcher, *data.spaced())
            if "" in soft or "" in words:  # the empty word, where the split has one
                where = len(listed)
                rows, index = np.concatenate((rows, empty)), np.concatenate((index, np.full(len(empty), where)))
                is_word, is_soft = np.append(is_word, "" in words), np.append(is_soft, "" in soft)
            if soft and self.soft_word_threshold > 0:
                soft_hit = is_soft[index]
                reasons[rows_with_distinct(rows[soft_hit], index[soft_hit], self.soft_word_threshold, len(is_soft))] = "soft_blacklisted"
            reasons[rows[is_word[index]]] = "hard_blacklisted"
        if urls:
            reasons[np.flatnonzero(pc.is_in(column, self._url_array).to_numpy(zero_copy_only=False))] = "url"
        if domains:
            authorities, rows = data.authorities()
            encoded = pc.dictionary_encode(authorities)
            indices = encoded.indices.to_numpy(zero_copy_only=False)[rows]
            by_host = np.full(len(encoded.dictionary), None, dtype=object)
            for i in np.unique(indices).tolist():  # the authorities, not the gaps between them
                by_host[i] = self._host_reason(encoded.dictionary[i].as_py())
            host_reasons = by_host[indices]
            reasons = np.where(host_reasons != None, host_reasons, reasons)  # noqa: E711 (elementwise)
        reasons[~present] = None
        keep = reasons == None  # noqa: E711 (elementwise)
        return pa.array(keep), reasons.tolist()


url_filter = URLFilter
