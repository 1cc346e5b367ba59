"""shardflow's English tokenizer against spaCy's, on every distinct chunk of real text.

shardflow's quality filters count words with a port of spaCy 3.8's English tokenizer
(``shardflow/steps/filters/spacy_english.py``) whose shortcuts must give exactly spaCy's
tokens. This takes every distinct whitespace-free chunk of the given corpus shards, tokenizes
each with ``spacy.blank("en").tokenizer`` and with ``SpacyEnglish`` (all shortcuts on), prints
how many differ (with examples) and the CPU time of each. Runs in the datatrove venv, which has
spaCy (spaCy is never a shardflow dependency):

    bash bench/setup_datatrove.sh
    bench/.venv-datatrove/bin/python bench/tokenizer_spacy.py --corpus en_docs --shards 0 8
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import corpus_files  # noqa: E402
from shardflow.steps.filters.spacy_english import SpacyEnglish  # noqa: E402


def distinct_chunks(paths: list[str]) -> list[str]:
    """Every distinct whitespace-free chunk of the documents' texts, in first-seen order."""
    seen: dict[str, None] = {}
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                seen.update(dict.fromkeys(json.loads(line)["text"].split()))
    return list(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="en_docs", help="en_docs, en_dict or en_man")
    ap.add_argument("--shards", type=int, nargs="+", default=[0, 8], help="shard numbers of the corpus")
    args = ap.parse_args()
    import spacy

    files = corpus_files(args.corpus)
    chunks = distinct_chunks([files[i] for i in args.shards])
    print(f"{len(chunks):,} distinct chunks of {args.corpus} shards {args.shards}")
    nlp = spacy.blank("en")
    t = time.process_time()
    expected = [tuple(tok.text for tok in nlp.tokenizer(c)) for c in chunks]
    spacy_s = time.process_time() - t
    t = time.process_time()
    ours = SpacyEnglish()
    got = list(map(ours, chunks))
    ours_s = time.process_time() - t
    bad = [(c, e, g) for c, e, g in zip(chunks, expected, got) if e != g]
    print(f"spaCy {spacy_s:.2f} s CPU, shardflow {ours_s:.2f} s CPU (construction included), "
          f"{len(bad)} chunks tokenized differently")
    for c, e, g in bad[:20]:
        print(f"  {c!r}: spaCy {e} shardflow {g}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
