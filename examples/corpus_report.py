"""A three-branch pipeline over the shared English corpus, then its HTML report and a screenshot.

    python examples/corpus_report.py [--corpus /work/corpus] [--out /tmp/shardflow-corpus]
                                     [--tasks 8] [--workers 2] [--screenshot report.png]

Documents of every corpus set are read, cleaned once (a checkpoint), then three branches
run side by side from that checkpoint: long documents (JSONL, zstd), mostly-ASCII documents
with a word count (Parquet), short documents (JSONL). The run directory gets report.html;
``--screenshot`` photographs it with Debian's chromium through Playwright.
"""

from __future__ import annotations

import argparse
import os
import sys

import shardflow as sf
from shardflow.report.html import report_html
from shardflow.report.rundata import load_run
from shardflow.steps import filter_rows, map_rows, read_jsonl, write_jsonl, write_parquet


def ascii_ratio(text: str) -> float:
    return sum(c < "\x80" for c in text) / max(len(text), 1)


def build(corpus: str, out: str) -> sf.Pipeline:
    with sf.Pipeline("corpus_three_branches") as p:
        docs = read_jsonl([os.path.join(corpus, s, "*.jsonl.gz") for s in ("en_docs", "en_dict", "en_man")])
        clean = docs >> filter_rows(
            lambda d: True if len(d["text"].strip()) >= 50 else (False, "shorter than 50 chars"), name="clean")
        clean >> filter_rows(lambda d: len(d["text"]) > 2000, name="long") >> write_jsonl(
            f"{out}/long", compression="zstd", name="long_out")
        ascii_docs = clean >> filter_rows(
            lambda d: True if ascii_ratio(d["text"]) > 0.98 else (False, "non-ascii text"), name="ascii")
        ascii_docs >> map_rows(lambda d: {**d, "n_words": len(d["text"].split())}, name="count_words") >> write_parquet(
            f"{out}/ascii", name="ascii_out")
        clean >> filter_rows(lambda d: len(d["text"]) < 500, name="short") >> write_jsonl(f"{out}/short", name="short_out")
    return p


def screenshot(html: str, png: str) -> None:
    """Full-page screenshot of ``html`` with the system chromium (no Playwright browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"file://{os.path.abspath(html)}")
        page.screenshot(path=png, full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="/work/corpus")
    parser.add_argument("--out", default="/tmp/shardflow-corpus")
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--screenshot", help="Also save a PNG of the report here.")
    args = parser.parse_args()
    workdir = os.path.join(args.out, "run")
    try:
        result = build(args.corpus, os.path.join(args.out, "data")).run(
            workdir=workdir, tasks=args.tasks, workers=args.workers)
        print(result.stats)
    except sf.RunFailed as exc:
        print(exc, file=sys.stderr)
    html = os.path.join(workdir, "report.html")
    with open(html, "w", encoding="utf-8") as f:
        f.write(report_html(load_run(workdir)))
    print(f"report: {html}")
    if args.screenshot:
        screenshot(html, args.screenshot)
        print(f"screenshot: {args.screenshot}")


if __name__ == "__main__":
    main()
