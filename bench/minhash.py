"""MinHash dedup: precision and recall on known near-duplicates, and docs/s against datatrove.

Input, built from the shared English corpus (/work/corpus/en_docs, Debian documentation pages):

1. Base: the first ``--docs`` pages of at least 20 words, with natural near-duplicates taken
   out first (exact duplicates, and every page that a sensitive LSH pass, 32 bands x 2 rows,
   seed 12345, puts in a bucket with another: pairs down to Jaccard ~0.3 are caught), so the
   base holds no known near-duplicate pair.
2. Near-duplicates: ``--copies`` pages of the base, each copied with controlled edits: a
   fraction r of the words replaced by other words of the corpus and r/3 deleted, r cycling
   through 1%, 3%, 5%, 10%, 15%, 20%. The true Jaccard similarity of each (page, copy) pair
   is computed exactly on 5-word shingles of the normalised texts.
3. Files: the base in 4 JSONL files, the copies after it in 2 more (so an original always comes
   first in input order).

Both tools run the same input with the same parameters (5-grams, 14 bands x 8 rows, seed 1)
and the same number of worker processes, reading JSONL and writing gzipped JSONL; wall time is
of the whole dedup, from reading to the written output. A removed page is a true positive when
it is one of the constructed pairs; recall is the share of pairs with one member removed.

Run (after ``python3 -m venv bench/.venv-datatrove && bench/.venv-datatrove/bin/pip install
datatrove==0.10.1 regex``)::

    .venv/bin/python bench/minhash.py --docs 10000 --copies 1000 --workers 1
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import shardflow as sf
from shardflow.steps import minhash_dedup, read_jsonl, write_jsonl
from shardflow.steps.dedup import hashing
from shardflow.steps.dedup.components import bucket_edges, component_roots
from shardflow.steps.dedup.normalize import normalize_text

HERE = Path(__file__).parent
DATA = HERE / "data" / "minhash"
RATES = [0.01, 0.03, 0.05, 0.10, 0.15, 0.20]
BINS = [(0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.0, 0.5)]


def shingle_sets(texts: list[str], ngram: int = 5) -> list[np.ndarray]:
    norm = normalize_text(pa.array(texts))
    words, counts = hashing.word_hashes(norm)
    shingles, per_doc = hashing.shingle_hashes(words, counts, ngram)
    return [np.unique(s) for s in np.split(shingles, np.cumsum(per_doc)[:-1])]


def clean_base(docs: list[dict]) -> list[dict]:
    """Drop every page in a sensitive-LSH bucket with another (and exact duplicates)."""
    norm = normalize_text(pa.array([d["text"] for d in docs]))
    words, counts = hashing.word_hashes(norm)
    shingles, per_doc = hashing.shingle_hashes(words, counts, 5)
    a, b = hashing.permutations(64, 12345)
    bands = hashing.band_hashes(hashing.signatures(shingles, per_doc, a, b), 32, 2)
    roots = component_roots(len(docs), *bucket_edges(bands))
    sizes = np.bincount(roots, minlength=len(docs))
    return [d for d, r in zip(docs, roots) if sizes[r] == 1]


def edit(text: str, rate: float, vocab: list[str], rng: random.Random) -> str:
    out = []
    for word in text.split(" "):
        x = rng.random()
        if x < rate:
            out.append(rng.choice(vocab))
        elif x < rate * 4 / 3:
            continue
        else:
            out.append(word)
    return " ".join(out)


def build_input(corpus: Path, n_docs: int, n_copies: int, seed: int = 0):
    inp = DATA / f"input-{n_docs}-{n_copies}-{seed}"
    truth_path = inp / "truth.json"
    if truth_path.exists():
        return inp, json.loads(truth_path.read_text())
    raw = []
    for shard in sorted(corpus.glob("shard-*.jsonl.gz")):
        with gzip.open(shard, "rt") as f:
            for line in f:
                d = json.loads(line)
                if len(d["text"].split()) >= 20:
                    raw.append({"id": d["id"], "text": d["text"]})
                if len(raw) >= int(n_docs * 2.5):
                    break
        if len(raw) >= int(n_docs * 2.5):
            break
    base = clean_base(raw)[:n_docs]
    rng = random.Random(seed)
    vocab = [w for d in rng.sample(base, 200) for w in d["text"].split()]
    picked = rng.sample(range(len(base)), n_copies)
    copies = [{"id": f"copy-{i}-of-{base[j]['id']}",
               "text": edit(base[j]["text"], RATES[i % len(RATES)], vocab, rng)}
              for i, j in enumerate(picked)]
    sets = shingle_sets([base[j]["text"] for j in picked] + [c["text"] for c in copies])
    pairs = []
    for i, j in enumerate(picked):
        x, y = sets[i], sets[n_copies + i]
        inter = len(np.intersect1d(x, y, assume_unique=True))
        pairs.append({"original": base[j]["id"], "copy": copies[i]["id"],
                      "rate": RATES[i % len(RATES)], "jaccard": inter / (len(x) + len(y) - inter)})
    if inp.exists():
        shutil.rmtree(inp)
    inp.mkdir(parents=True)
    parts = np.array_split(np.arange(len(base)), 4)
    groups = [[base[k] for k in p] for p in parts] + [copies[: n_copies // 2], copies[n_copies // 2:]]
    for g, docs in enumerate(groups):
        with open(inp / f"part-{g}.jsonl", "w") as out:
            out.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    truth = {"ids": [d["id"] for g in groups for d in g], "pairs": pairs}
    truth_path.write_text(json.dumps(truth))
    return inp, truth


def run_shardflow(inp: Path, work: Path, workers: int) -> tuple[float, list[str]]:
    shutil.rmtree(work, ignore_errors=True)
    with sf.Pipeline("minhash_bench") as p:
        kept = minhash_dedup(read_jsonl(str(inp / "*.jsonl")), ngram=5, bands=14, rows=8, seed=1)
        kept >> write_jsonl(str(work / "out"))
    t0 = time.perf_counter()
    result = p.run(workdir=str(work / "run"), workers=workers)
    seconds = time.perf_counter() - t0
    ids = []
    for path in sorted(result.outputs["write_jsonl"]):
        with gzip.open(path, "rt") as f:
            ids += [json.loads(line)["id"] for line in f]
    return seconds, ids


def run_datatrove(inp: Path, work: Path, workers: int) -> tuple[float, list[str]]:
    shutil.rmtree(work, ignore_errors=True)
    py = HERE / ".venv-datatrove" / "bin" / "python"
    out = subprocess.run([str(py), str(HERE / "minhash_datatrove.py"), str(inp), str(work), str(workers)],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["kept_ids"]


def quality(truth: dict, kept: list[str]) -> dict:
    removed = set(truth["ids"]) - set(kept)
    members = {p["original"] for p in truth["pairs"]} | {p["copy"] for p in truth["pairs"]}
    found = [p for p in truth["pairs"] if p["original"] in removed or p["copy"] in removed]
    tp = len(removed & members)
    by_bin = {}
    for lo, hi in BINS:
        pairs = [p for p in truth["pairs"] if lo <= p["jaccard"] < hi]
        hit = [p for p in found if lo <= p["jaccard"] < hi]
        by_bin[f"{lo:.1f}-{min(hi, 1):.1f}"] = (len(hit), len(pairs))
    near = [p for p in truth["pairs"] if p["jaccard"] >= 0.8]
    near_found = [p for p in found if p["jaccard"] >= 0.8]
    return {"removed": len(removed), "precision": tp / len(removed) if removed else 1.0,
            "recall": len(found) / len(truth["pairs"]), "recall_08": len(near_found) / len(near),
            "by_bin": by_bin}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="/work/corpus/en_docs")
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--copies", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--skip-datatrove", action="store_true")
    args = ap.parse_args()
    inp, truth = build_input(Path(args.corpus), args.docs, args.copies)
    n = len(truth["ids"])
    rows = {"shardflow": run_shardflow(inp, DATA / "work-shardflow", args.workers)}
    if not args.skip_datatrove:
        rows["datatrove 0.10.1"] = run_datatrove(inp, DATA / "work-datatrove", args.workers)
    print(f"input: {n} docs ({len(truth['pairs'])} constructed near-duplicate pairs), "
          f"{sum(p.stat().st_size for p in inp.glob('*.jsonl')) / 2**20:.0f} MB; workers={args.workers}")
    print()
    print("| tool | seconds | docs/s | removed | precision | recall (all pairs) | recall (Jaccard >= 0.8) |")
    print("|---|---|---|---|---|---|---|")
    for name, (seconds, kept) in rows.items():
        q = quality(truth, kept)
        print(f"| {name} | {seconds:.1f} | {n / seconds:,.0f} | {q['removed']} | {q['precision']:.3f} | "
              f"{q['recall']:.3f} | {q['recall_08']:.3f} |")
    if len(rows) == 2:
        (s1, _), (s2, _) = rows.values()
        print(f"\nspeed ratio shardflow / datatrove: {s2 / s1:.1f}x")
    print()
    print("Recall by true Jaccard of the pair (found / pairs); LSH theory 1-(1-J^8)^14 at the bin centre:")
    print("| Jaccard | theory | " + " | ".join(rows) + " |")
    print("|---|---|" + "---|" * len(rows))
    quals = [quality(truth, kept) for _, kept in rows.values()]
    for key in quals[0]["by_bin"]:
        lo, hi = map(float, key.split("-"))
        mid = (lo + hi) / 2
        theory = 1 - (1 - mid ** 8) ** 14
        cells = [f"{q['by_bin'][key][0]}/{q['by_bin'][key][1]}" for q in quals]
        print(f"| {key} | {theory:.2f} | " + " | ".join(cells) + " |")
    print()
    print("command: .venv/bin/python bench/minhash.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
