"""Chaos: SIGKILL workers and whole runs at random moments; rerun until done; compare.

Each trial runs the pipeline of ``bench/chaos_pipeline.py`` (common prefix, three branches,
a global step; tasks commit in parts) as a subprocess while a killer SIGKILLs a random worker
or, in some trials, the whole run, at random moments; the trial reruns the same command until
it succeeds, then compares every output with an uninterrupted reference run: the multiset of
documents (lost, duplicated) and the bytes of every file.

Run: ``.venv/bin/python bench/chaos.py --trials 20`` (corpus: ``--docs 20000`` real
documents from the shared corpus; ``--synthetic`` for generated ones).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from bench.common import command_line, corpus_files  # noqa: E402
from bench.chaos_pipeline import RUN, build  # noqa: E402

SCRIPT = os.path.join(HERE, "chaos_pipeline.py")


@dataclass
class Trial:
    kills: int = 0
    whole_run_kills: int = 0
    reruns: int = 0
    lost: int = 0
    duplicated: int = 0
    identical: bool = False
    errors: list = field(default_factory=list)


def write_inputs(root: str, docs: int, synthetic: bool, seed: int = 0) -> str:
    """Write ``docs`` documents in 6 files (real corpus text, or generated; with duplicates)."""
    os.makedirs(root, exist_ok=True)
    rng = random.Random(seed)
    rows = []
    if synthetic:
        words = "alpha beta gamma delta shard arrow parquet filter branch merge text crawl web".split()
        for i in range(docs):
            rows.append({"id": f"s{i:06d}", "text": " ".join(rng.choice(words) for _ in range(rng.randint(5, 120)))})
    else:
        for path in corpus_files("en_docs") + corpus_files("en_dict"):
            with gzip.open(path, "rt") as f:
                for line in f:
                    rows.append(json.loads(line))
                    if len(rows) >= docs:
                        break
            if len(rows) >= docs:
                break
    for i in range(0, len(rows), 37):  # exact duplicates for the global dedup to find
        rows.append({**rows[i], "id": rows[i]["id"] + "-dup"})
    per = -(-len(rows) // 6)
    for f in range(6):
        with gzip.open(os.path.join(root, f"in-{f}.jsonl.gz"), "wt") as out:
            for row in rows[f * per:(f + 1) * per]:
                out.write(json.dumps(row) + "\n")
    return root


def outputs(out: str) -> dict[str, str]:
    found = {}
    for dirpath, _, names in os.walk(out):
        for name in names:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, out)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return found


def doc_ids(out: str) -> collections.Counter:
    """Multiset of (leaf, document id) over every output file."""
    import pyarrow.parquet as pq

    ids: collections.Counter = collections.Counter()
    for dirpath, _, names in os.walk(out):
        leaf = os.path.basename(dirpath)
        for name in names:
            path = os.path.join(dirpath, name)
            if name.endswith(".parquet"):
                ids.update((leaf, i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist())
            else:
                with gzip.open(path, "rt") as f:
                    ids.update((leaf, json.loads(line)["id"]) for line in f)
    return ids


def killer(proc: subprocess.Popen, trial: Trial, rng: random.Random, whole_run: bool, stop: threading.Event) -> None:
    """Kill random workers at random moments; in whole-run trials, once kill everything."""
    # Early enough that a run of a few seconds is still going (tasks got faster), and the
    # wait below ends at that moment rather than at the next random poll.
    kill_all_at = rng.uniform(0.3, 1.5) if whole_run else None
    started = time.monotonic()

    def pause() -> float:
        wait = rng.uniform(0.3, 1.2)
        if kill_all_at is not None:
            wait = min(wait, max(0.0, kill_all_at - (time.monotonic() - started)) + 0.01)
        return wait

    while not stop.wait(pause()):
        if proc.poll() is not None:
            return
        if kill_all_at is not None and time.monotonic() - started > kill_all_at:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
                trial.whole_run_kills += 1
                trial.kills += 1
            except ProcessLookupError:
                pass
            return
        try:
            workers = psutil.Process(proc.pid).children()
        except psutil.NoSuchProcess:
            return
        if workers:
            victim = rng.choice(workers)
            try:
                victim.kill()
                trial.kills += 1
            except psutil.NoSuchProcess:
                pass


def _failure_reason(log: str, code: int) -> str:
    """The first task failure line of a failed attempt's stderr (or its exit code)."""
    for line in open(log).read().splitlines():
        if "failed (no retry left)" in line or "failed:" in line.lower():
            return line.strip()
    return f"exit code {code}"


def run_trial(inputs: str, reference: dict[str, str], ref_ids: collections.Counter, seed: int, whole_run: bool, base: str) -> Trial:
    rng = random.Random(seed)
    trial = Trial()
    out, workdir = os.path.join(base, f"out-{seed}"), os.path.join(base, f"run-{seed}")
    env = {**os.environ, "PYTHONPATH": ROOT}
    for attempt in range(30):
        errors = open(os.path.join(base, f"attempt-{seed}-{attempt}.err"), "w")
        proc = subprocess.Popen([sys.executable, SCRIPT, inputs, out, workdir], env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=errors)
        stop = threading.Event()
        # chaos only in the first few attempts, so every trial ends
        thread = threading.Thread(target=killer, args=(proc, trial, rng, whole_run and attempt == 0, stop))
        if attempt < 3:
            thread.start()
        code = proc.wait(timeout=600)
        errors.close()
        stop.set()
        if thread.is_alive():
            thread.join()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of a killed driver
        except ProcessLookupError:
            pass
        if code == 0:
            break
        trial.reruns += 1
        if code != -signal.SIGKILL:  # the run itself reported a failure: keep the reason
            trial.errors.append(_failure_reason(errors.name, code))
    got = doc_ids(out)
    trial.lost = sum((ref_ids - got).values())
    trial.duplicated = sum((got - ref_ids).values())
    trial.identical = outputs(out) == reference
    return trial


def run_trials(trials: int, docs: int, synthetic: bool, base: str) -> list[Trial]:
    inputs = write_inputs(os.path.join(base, "inputs"), docs, synthetic)
    ref_out = os.path.join(base, "reference")
    build(inputs, ref_out).run(workdir=os.path.join(base, "reference-run"), **RUN)
    reference, ref_ids = outputs(ref_out), doc_ids(ref_out)
    return [run_trial(inputs, reference, ref_ids, seed, whole_run=seed % 3 == 1, base=base) for seed in range(trials)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--synthetic", action="store_true", help="generated documents instead of the corpus")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="chaos-")
    try:
        results = run_trials(args.trials, args.docs, args.synthetic, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{'trial':>5} {'kills':>6} {'whole-run':>9} {'reruns':>6} {'lost':>5} {'dup':>5} {'identical':>9}")
    for i, t in enumerate(results):
        print(f"{i:>5} {t.kills:>6} {t.whole_run_kills:>9} {t.reruns:>6} {t.lost:>5} {t.duplicated:>5} {str(t.identical):>9}")
    reasons = collections.Counter(re.sub(r"\d+", "N", e.split(": ", 1)[-1]) for t in results for e in t.errors)
    if reasons:
        print("why failed attempts failed (the run reported it; a rerun followed):")
        for reason, n in reasons.most_common():
            print(f"  {n:>4} x {reason}")
    print(f"total: {len(results)} trials, {sum(t.kills for t in results)} kills, {sum(t.reruns for t in results)} reruns, "
          f"{sum(t.lost for t in results)} lost, {sum(t.duplicated for t in results)} duplicated, "
          f"{sum(t.identical for t in results)}/{len(results)} identical")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
