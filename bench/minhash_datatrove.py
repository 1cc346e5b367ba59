"""datatrove 0.10.1's MinHash pipeline on the bench input; run by bench/minhash.py in its venv.

Usage: ``bench/.venv-datatrove/bin/python bench/minhash_datatrove.py INPUT_DIR WORK_DIR WORKERS``
Prints one JSON line: ``{"seconds": ..., "kept_ids": [...]}``.

The four stages are datatrove's own, with its default MinhashConfig (5-grams, 14 buckets of 8
hashes, seed 1, 64-bit hashes). One change: words are split on whitespace by a 5-line
WordTokenizer given to MinhashDedupSignature (datatrove's extension point for tokenizers).
Its English default (NLTK) needs the punkt data, which is downloaded at run time and cannot be
here, and its WhitespaceTokenizer needs spaCy. On datatrove's simplified text (lower case, no
punctuation) a whitespace split gives the same words, faster than either: datatrove is not
slowed down by this change.
"""

import gzip
import json
import sys
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.word_tokenizers import WordTokenizer


class SplitTokenizer(WordTokenizer):
    def word_tokenize(self, text):
        return text.split()

    def sent_tokenize(self, text):
        return [text]

    def span_tokenize(self, text):
        return [(0, len(text))]


def main(inp: str, work: str, workers: int) -> None:
    files = sorted(Path(inp).glob("*.jsonl"))
    config = MinhashConfig()
    tokenizer = SplitTokenizer()
    w = Path(work)
    reader = lambda: JsonlReader(inp, glob_pattern="*.jsonl")  # noqa: E731
    stages = [
        LocalPipelineExecutor(
            [reader(), MinhashDedupSignature(str(w / "sigs"), config=config, language=tokenizer)],
            tasks=len(files), workers=workers, logging_dir=str(w / "logs/sigs")),
        LocalPipelineExecutor(
            [MinhashDedupBuckets(str(w / "sigs"), str(w / "buckets"), config=config)],
            tasks=config.num_buckets, workers=workers, logging_dir=str(w / "logs/buckets")),
        LocalPipelineExecutor(
            [MinhashDedupCluster(str(w / "buckets"), str(w / "remove"), config=config)],
            tasks=1, workers=1, logging_dir=str(w / "logs/cluster")),
        LocalPipelineExecutor(
            [reader(), MinhashDedupFilter(str(w / "remove")), JsonlWriter(str(w / "out"))],
            tasks=len(files), workers=workers, logging_dir=str(w / "logs/filter")),
    ]
    t0 = time.perf_counter()
    for stage in stages:
        stage.run()
    seconds = time.perf_counter() - t0
    kept = []
    for path in sorted((w / "out").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            kept += [json.loads(line)["id"] for line in f]
    print(json.dumps({"seconds": seconds, "kept_ids": kept}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
