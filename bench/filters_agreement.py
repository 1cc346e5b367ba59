"""Agreement and speed of shardflow's quality filters against datatrove 0.10.1's, on real text.

Both run in this one process, on one core, on the same documents (the first ``--docs`` of
en_docs plus some en_man and en_dict pages from the shared corpus), filter by filter,
alternating datatrove then shardflow. For each filter it prints the documents, the keep/drop
agreement, the drop-reason agreement, the time per document of each and the ratio, and lists
a few disagreements; then the same for the four-filter chain of issue 7 (Gopher repetition ->
Gopher quality -> C4 -> FineWeb, C4 rewriting the text as datatrove does).

Times are CPU time of this process (the machine may be shared). datatrove times are ``filter(doc)`` per document (its words cache cleared before each, as in a
one-filter pipeline, except inside the chain); shardflow times are the step's ``process(batch)``
on Arrow batches of ``--batch`` rows, as the engine calls it, from a cold word cache.

Set-up and run (from the repository root):
    bash bench/setup_datatrove.sh
    bench/.venv-datatrove/bin/python bench/filters_agreement.py
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import corpus_files  # noqa: E402

# CPU time of this process: the machine is shared, and waiting for a core is not work.
_clock = time.process_time
ANCHOR_CHAIN_DOCS_PER_S = 64  # issue 7: datatrove, this chain, 6,101 en_docs docs, 1 worker


def load_docs(n_docs: int, n_man: int, n_dict: int) -> list[dict[str, Any]]:
    docs = []
    for part, n in (("en_docs", n_docs), ("en_man", n_man), ("en_dict", n_dict)):
        with gzip.open(corpus_files(part, 1)[0], "rt", encoding="utf-8") as f:
            for line in itertools.islice(f, n):
                row = json.loads(line)
                docs.append({"id": row["id"], "text": row["text"]})
    # URLs for the URL filter: hosts and paths from the documents' own words, some of them
    # on the block lists below or with banned words, so that every rule fires sometimes.
    hosts = ["docs.example.org", "blocked.example.com", "www.sub.blocked-too.net", "mirror.example.co.uk"]
    extra = ["casino", "porn", "sex", "xxx", "cam", "free"]
    for i, doc in enumerate(docs):
        words = [w for w in doc["text"][:200].split() if w.isalnum()][:4] or ["page"]
        if i % 7 == 0:
            words.append(extra[i % len(extra)])
        if i % 11 == 0:
            words.append(extra[(i // 11) % len(extra)])
        doc["url"] = f"https://{hosts[i % len(hosts)]}/{'-'.join(words)}/{i}.html"
    return docs


@dataclass
class Result:
    name: str
    docs: int
    dt_reasons: list[str | None] = field(default_factory=list)
    sf_reasons: list[str | None] = field(default_factory=list)
    dt_seconds: float = 0.0
    sf_seconds: float = 0.0
    sf_warm_seconds: float = 0.0

    @property
    def agreement(self) -> float:
        same = sum((a is None) == (b is None) for a, b in zip(self.dt_reasons, self.sf_reasons))
        return 100.0 * same / self.docs

    @property
    def same_reason(self) -> float:
        return 100.0 * sum(a == b for a, b in zip(self.dt_reasons, self.sf_reasons)) / self.docs


def run_datatrove(make: Callable[[], Any], docs: list[dict], unnamed: str) -> tuple[list, float]:
    """datatrove's decisions and time; a drop without a reason is named ``unnamed``."""
    from datatrove.data import Document
    from datatrove.utils.text import split_into_parts

    filt = make()
    reasons, spent = [], 0.0
    for doc in docs:
        document = Document(text=doc["text"], id=doc["id"], metadata={"url": doc["url"]})
        split_into_parts.cache_clear()  # a one-filter pipeline never sees the text twice
        t0 = _clock()
        verdict = filt.filter(document)
        spent += _clock() - t0
        ok, reason = verdict if isinstance(verdict, tuple) else (verdict, None)
        reasons.append(None if ok else (reason or unnamed))
    return reasons, spent


def run_shardflow(make: Callable[[], Any], table: pa.Table, batch: int) -> tuple[list, float, float]:
    """shardflow's decisions, its time from a cold start (a fresh worker), and its time on a
    second pass, when every chunk of text is already known (the steady state of a long run)."""
    from shardflow.graph.stats import StepStats
    from shardflow.steps.filters.words import english_words

    english_words().clear()  # start cold, like a fresh worker
    step = make()
    step.stats = StepStats()
    step.setup()
    captured = []
    judge = step.filter_batch

    def spy(b: pa.Table):
        out = judge(b)
        captured.append(out)
        return out

    step.filter_batch = spy
    times = []
    for _ in range(2):
        spent = 0.0
        for start in range(0, table.num_rows, batch):
            part = table.slice(start, batch)
            t0 = _clock()
            step.process(part)
            spent += _clock() - t0
        times.append(spent)
    reasons = []
    for keep, why in captured[: len(captured) // 2]:
        keep = keep.to_pylist() if hasattr(keep, "to_pylist") else keep
        reasons += [None if k else (r or step.name) for k, r in zip(keep, why)]
    return reasons, times[0], times[1]


def filters(word_list: str) -> list[tuple[str, Callable, Callable]]:
    """(name, datatrove factory, shardflow factory) with the same parameters."""
    from datatrove.pipeline.filters import (
        C4BadWordsFilter,
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        RegexFilter,
        URLFilter,
    )
    from datatrove.pipeline.filters import c4_filters
    from tldextract import TLDExtract

    import shardflow.steps as sf
    from shardflow.steps.filters.wordlists import shipped_lines

    # datatrove downloads the LDNOOBW list at run time, which cannot happen offline: give it
    # the list shardflow ships (the same revision, see shardflow/steps/filters/data/NOTICE).
    c4_filters.cached_asset_path_or_download = lambda *a, **k: word_list
    blocked = ["blocked.example.com", "sub.blocked-too.net"]

    def datatrove_url_filter() -> URLFilter:
        f = URLFilter(extra_domains=blocked, use_integrated_lists=False, **url_lists)
        # Its TLDExtract() would fetch the public-suffix list; use the bundled one, as shardflow.
        f.tldextractor = TLDExtract(suffix_list_urls=())
        # Load the bundled list now, untimed, as shardflow's setup() does (else datatrove's
        # first timed filter() call would pay for it, and shardflow's would not).
        f.tldextractor("example.com")
        return f

    url_lists = {
        "banned_words": shipped_lines("url_banned_words.txt"),
        "banned_subwords": shipped_lines("url_banned_subwords.txt"),
        "soft_banned_words": shipped_lines("url_soft_banned_words.txt"),
    }
    regex = r"(?i)\b(?:copyright|license)\b"
    return [
        ("gopher_repetition", GopherRepetitionFilter, sf.gopher_repetition),
        ("gopher_quality", GopherQualityFilter, sf.gopher_quality),
        ("c4_quality", C4QualityFilter, sf.c4_quality),
        ("fineweb_quality", FineWebQualityFilter, sf.fineweb_quality),
        ("c4_badwords", C4BadWordsFilter, sf.c4_badwords),
        ("regex_filter", lambda: RegexFilter(regex), lambda: sf.regex_filter(regex)),
        (
            "url_filter",
            datatrove_url_filter,
            lambda: sf.url_filter(extra_domains=blocked, **url_lists, use_integrated_lists=False),
        ),
    ]


def chain(docs: list[dict], table: pa.Table, batch: int) -> Result:
    """datatrove's four filters one after the other per document, then shardflow's."""
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    import shardflow.steps as sf
    from shardflow.graph.stats import StepStats
    from shardflow.steps.filters.words import english_words

    result = Result("chain (4 filters)", len(docs))
    dt = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
    t0 = _clock()
    for doc in docs:
        document = Document(text=doc["text"], id=doc["id"])
        reason = None
        for f in dt:
            verdict = f.filter(document)
            if verdict is not True:
                reason = verdict[1] if isinstance(verdict, tuple) else "dropped"
                break
        result.dt_reasons.append(reason)
    result.dt_seconds = _clock() - t0

    english_words().clear()
    steps = [sf.gopher_repetition(), sf.gopher_quality(), sf.c4_quality(), sf.fineweb_quality()]
    for s in steps:
        s.stats = StepStats()
    kept_ids: set[str] = set()
    t0 = _clock()
    for start in range(0, table.num_rows, batch):
        part = table.slice(start, batch)
        for s in steps:
            part = s.process(part)
            if part.num_rows == 0:
                break
        kept_ids.update(part.column("id").to_pylist())
    result.sf_seconds = _clock() - t0
    result.sf_reasons = [None if d["id"] in kept_ids else "dropped" for d in docs]
    result.dt_reasons = [None if r is None else "dropped" for r in result.dt_reasons]
    return result


def report(results: list[Result], docs: list[dict], command: str) -> None:
    print(
        "\n| filter | docs | keep/drop agreement | same reason | datatrove ms/doc | shardflow ms/doc "
        "| speed-up | shardflow warm ms/doc | warm speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        dt_ms, sf_ms = 1000 * r.dt_seconds / r.docs, 1000 * r.sf_seconds / r.docs
        warm = f"{1000 * r.sf_warm_seconds / r.docs:.3f} | {r.dt_seconds / r.sf_warm_seconds:.1f}x" if r.sf_warm_seconds else "- | -"
        print(
            f"| {r.name} | {r.docs:,} | {r.agreement:.2f}% | {r.same_reason:.2f}% | {dt_ms:.3f} | {sf_ms:.3f} "
            f"| {dt_ms / sf_ms:.1f}x | {warm} |"
        )
    last = results[-1]
    if last.name.startswith("chain"):  # not with --no-chain
        print(
            f"\nchain: datatrove {last.docs / last.dt_seconds:,.0f} docs/s, shardflow {last.docs / last.sf_seconds:,.0f} docs/s "
            f"(issue 7's anchor for datatrove's chain: {ANCHOR_CHAIN_DOCS_PER_S} docs/s with reading and writing)"
        )
    print("\ndisagreements (datatrove reason vs shardflow reason), up to 3 per filter:")
    for r in results:
        diffs = [(i, a, b) for i, (a, b) in enumerate(zip(r.dt_reasons, r.sf_reasons)) if a != b]
        if not diffs:
            print(f"  {r.name}: none")
        for i, a, b in diffs[:3]:
            print(f"  {r.name}: {docs[i]['id'][:90]}  datatrove={a}  shardflow={b}")
        if len(diffs) > 3:
            print(f"  {r.name}: ... {len(diffs) - 3} more")
    print(f"\nreproduce: {command}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=6101, help="documents of en_docs")
    parser.add_argument("--man", type=int, default=1000, help="documents of en_man")
    parser.add_argument("--dict", type=int, default=1000, help="documents of en_dict")
    parser.add_argument("--batch", type=int, default=1000, help="rows per Arrow batch for shardflow")
    parser.add_argument("--only", nargs="*", help="filters to run (default: all), e.g. gopher_quality")
    parser.add_argument("--no-chain", action="store_true", help="skip the four-filter chain")
    args = parser.parse_args()
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    except (AttributeError, OSError):
        pass
    from loguru import logger

    logger.remove()  # datatrove logs every download / list load
    from importlib import resources

    word_list = str(resources.files("shardflow.steps.filters").joinpath("data/c4_badwords_en.txt"))
    docs = load_docs(args.docs, args.man, args.dict)
    table = pa.Table.from_pylist(docs)
    print(f"{len(docs):,} documents ({args.docs} en_docs, {args.man} en_man, {args.dict} en_dict), one core")
    results = []
    for name, dt_make, sf_make in filters(word_list):
        if args.only and name not in args.only:
            continue
        r = Result(name, len(docs))
        r.dt_reasons, r.dt_seconds = run_datatrove(dt_make, docs, unnamed=name.replace("_filter", ""))
        r.sf_reasons, r.sf_seconds, r.sf_warm_seconds = run_shardflow(sf_make, table.select(["id", "text", "url"]), args.batch)
        print(f"  {name}: agreement {r.agreement:.2f}%, datatrove {r.dt_seconds:.1f}s, shardflow {r.sf_seconds:.2f}s (warm {r.sf_warm_seconds:.2f}s)", flush=True)
        results.append(r)
    if not args.no_chain:
        results.append(chain(docs, table, args.batch))
    report(results, docs, "bench/.venv-datatrove/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
