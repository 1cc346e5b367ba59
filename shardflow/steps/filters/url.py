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

import pyarrow as pa

from shardflow.steps.filters.base import TextFilter
from shardflow.steps.filters.wordlists import any_word_regex, file_lines, shipped_lines

_NORMALIZER = re.compile(r"[^a-zA-Z0-9]+")


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
    extra: ``pip install 'shardflow[url]'``).

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

    def setup(self) -> None:
        self._load()

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
            subword_regex = re.compile(any_word_regex(subwords)) if subwords else None
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

    def filter_batch(self, batch: pa.Table) -> tuple[Sequence[bool], Sequence[str | None]]:
        reasons = [self.judge(u) for u in self.texts(batch)]
        return [r is None for r in reasons], reasons


url_filter = URLFilter
