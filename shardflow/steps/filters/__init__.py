"""Quality filters: the published heuristics with datatrove's parameters, defaults and reasons.

Each filter gives the keep/drop decisions of its datatrove 0.10.1 counterpart (measured in
``bench/filters_agreement.py``), many times faster, and runs offline: the word lists and
tokenizer rules they need ship in ``data/`` (origins and licences in ``data/NOTICE``).
"""

from shardflow.steps.filters.c4_badwords import C4BadWords, c4_badwords
from shardflow.steps.filters.c4_quality import C4Quality, c4_quality
from shardflow.steps.filters.fineweb_quality import FineWebQuality, fineweb_quality
from shardflow.steps.filters.gopher_quality import GopherQuality, gopher_quality
from shardflow.steps.filters.gopher_repetition import GopherRepetition, gopher_repetition
from shardflow.steps.filters.regex import RegexFilter, regex_filter
from shardflow.steps.filters.sampler import Sampler, sampler
from shardflow.steps.filters.text_length import TextLength, text_length
from shardflow.steps.filters.url import URLFilter, url_filter

__all__ = [
    "C4BadWords",
    "C4Quality",
    "FineWebQuality",
    "GopherQuality",
    "GopherRepetition",
    "RegexFilter",
    "Sampler",
    "TextLength",
    "URLFilter",
    "c4_badwords",
    "c4_quality",
    "fineweb_quality",
    "gopher_quality",
    "gopher_repetition",
    "regex_filter",
    "sampler",
    "text_length",
    "url_filter",
]
