"""shardflow against datatrove 0.10.1 and a bare loop: same input, same workers, one run.

Run (from the repository root; the first run installs datatrove into bench/.venv-datatrove):

    .venv/bin/python bench/suite.py                  # every row, about 25 minutes here
    .venv/bin/python bench/suite.py --rows 1 2 7     # some rows
    .venv/bin/python bench/suite.py --repeat 3       # best of 3, engines alternating
    .venv/bin/python bench/suite.py --rows 8 --many-workers 16   # row 8 at 16 workers too

Row 8 adds the passthroughs at ``--many-workers`` workers (default 16 on a machine with 16
cores or more, none otherwise), on the same documents re-cut into that many files so that
every worker has a task.

Each row runs the engines one after the other, alternating (shardflow first, then
datatrove, then the anchors; reversed on every other repeat), each in its own process whose
tree is sampled for memory and CPU (bench/measure.py). docs/s is input documents over wall
time; MB/s is the compressed input over wall time; "peak RSS" is the largest resident set of
any one process of the run (a worker, or the driver if larger), in MB. The shardflow line
of a row gives its ratio to datatrove and, for passthroughs, to the bare loop times the
workers. Rows whose shardflow steps are not in this checkout print "pending".
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import corpus_files  # noqa: E402
from bench.measure import run_measured  # noqa: E402
from bench.suite_report import Line, print_table, save  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DT_PYTHON = os.path.join(HERE, ".venv-datatrove", "bin", "python")
SF_PYTHON = sys.executable


def inputs(root: str) -> dict[str, str]:
    """Input folders of symbolic links to the corpus (and the 4x copy for the memory row)."""
    sets = {
        "en_dict": corpus_files("en_dict"),
        "en_docs": corpus_files("en_docs"),
        "en_docs_6101": corpus_files("en_docs")[8:9],  # 6,101 documents
        "en_docs_2": corpus_files("en_docs", 2),
        "en_docs_3": corpus_files("en_docs", 3),
        "en_docs_4": corpus_files("en_docs", 4),
    }
    dirs = {}
    for name, files in sets.items():
        d = dirs[name] = os.path.join(root, name)
        os.makedirs(d)
        for f in files:
            os.symlink(f, os.path.join(d, os.path.basename(f)))
    # 4x: each file is four copies of one en_docs shard (concatenated gzip members are one
    # valid gzip file), so every task reads four times as much as in en_docs_3.
    d = dirs["en_docs_3x4"] = os.path.join(root, "en_docs_3x4")
    os.makedirs(d)
    for f in sets["en_docs_3"]:
        with open(f, "rb") as src:
            data = src.read()
        with open(os.path.join(d, os.path.basename(f)), "wb") as dst:
            dst.write(data * 4)
    return dirs


def recut(files: list[str], parts: int, out: str) -> str:
    """The documents of ``files`` re-cut into ``parts`` gzip files of about equal size, in
    order (zlib-ng level 1: input only, built once per run)."""
    from zlib_ng import gzip_ng

    os.makedirs(out)
    lines = []
    for f in files:
        with gzip_ng.open(f, "rb") as src:
            lines += src.read().splitlines(keepends=True)
    total, done = sum(map(len, lines)), 0
    cut = [[] for _ in range(parts)]
    for line in lines:
        cut[min(parts - 1, done * parts // total)].append(line)
        done += len(line)
    for k, chunk in enumerate(cut):
        with gzip_ng.open(os.path.join(out, f"part-{k:05d}.jsonl.gz"), "wb", compresslevel=1) as dst:
            dst.write(b"".join(chunk))
    return out


def input_bytes(d: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def count_docs(d: str) -> int:
    """Lines of every .jsonl.gz file of a folder (the documents datatrove reads)."""
    from zlib_ng import gzip_ng

    n = 0
    for f in os.listdir(d):
        with gzip_ng.open(os.path.join(d, f), "rb") as src:
            while block := src.read(16 << 20):
                n += block.count(b"\n")
    return n


class Runner:
    """Runs one engine on one case and returns a table line."""

    def __init__(self, scratch: str) -> None:
        self.scratch = scratch
        self.docs: dict[str, int] = {}  # input docs per input folder, counted once

    def input_docs(self, inp: str) -> int:
        if inp and inp not in self.docs:
            self.docs[inp] = count_docs(inp)
        return self.docs.get(inp, 0)

    def __call__(self, row: str, label: str, engine: str, case: str, inp: str, workers: int, **opts) -> Line:
        out = tempfile.mkdtemp(prefix=f"{engine}-{case}-", dir=self.scratch)
        if engine == "datatrove":
            cmd = [DT_PYTHON, f"{HERE}/suite_datatrove.py", case, "--out", out, "--workers", str(workers)]
        elif engine == "bare":
            cmd = [SF_PYTHON, f"{HERE}/suite_bare.py", "--out", out, "--level", str(opts.get("level", 6)),
                   "--codec", opts.get("codec", "stdlib"), "--procs", str(opts.get("procs", 1))]
        else:
            cmd = [SF_PYTHON, f"{HERE}/suite_shardflow.py", case, "--out", out, "--workers", str(workers)]
            for k in ("level", "tasks"):
                if opts.get(k) is not None:
                    cmd += [f"--{k}", str(opts[k])]
        if inp:
            cmd += ["--input", inp]
        print(f"  {label:<34} {shlex.join(cmd[1:3])} ...", end="", flush=True, file=sys.stderr)
        m = run_measured(cmd)
        kept = None
        if "kept" in m.report:
            with open(m.report["kept"]) as f:
                kept = set(f.read().split())
        shutil.rmtree(out, ignore_errors=True)
        line = Line(row=row, label=label, engine=engine, case=case, workers=workers,
                    pending=m.report.get("pending"), seconds=m.report.get("seconds", 0.0),
                    docs=m.report.get("docs") or self.input_docs(inp),
                    mb=input_bytes(inp) / 1e6 if inp else 0.0, cpu=m.cpu_seconds, rss=m.max_rss_mb,
                    kept=kept, level=opts.get("level"))
        print(f" {line.seconds:.1f} s" if not line.pending else " pending", file=sys.stderr)
        return line


def rows(run: Runner, dirs: dict[str, str], selected: set[int], flip: bool, many: int = 0) -> list[Line]:
    """Every selected row, engines alternating (their order reversed when ``flip``); row 8
    also at ``many`` workers when it is over 2 (``dirs`` then has the re-cut inputs)."""
    lines: list[Line] = []

    def group(*specs):
        for spec in (reversed(specs) if flip else specs):
            line = run(*spec[:6], **(spec[6] if len(spec) > 6 else {}))
            lines.append(line)
            if line.pending:  # the shardflow step is not here yet: no need for the others
                return

    if 1 in selected:
        group(("1", "shardflow (default: gzip 5)", "shardflow", "passthrough", dirs["en_dict"], 2),
              ("1", "datatrove (gzip 9)", "datatrove", "passthrough", dirs["en_dict"], 2),
              ("1", "bare loop (gzip 6)", "bare", "", dirs["en_dict"], 1),
              ("1", "bare loop, 2 processes (gzip 6)", "bare", "", dirs["en_dict"], 2, {"procs": 2}),
              ("1", "bare loop, zlib-ng (gzip 6)", "bare", "", dirs["en_dict"], 1, {"codec": "zlib-ng"}))
    if 2 in selected:
        group(("2", "shardflow (gzip 9)", "shardflow", "passthrough", dirs["en_docs"], 2, {"level": 9}),
              ("2", "datatrove (gzip 9)", "datatrove", "passthrough", dirs["en_docs"], 2),
              ("2", "shardflow (default: gzip 5)", "shardflow", "passthrough", dirs["en_docs"], 2),
              ("2", "bare loop (gzip 6)", "bare", "", dirs["en_docs"], 1),
              ("2", "bare loop, 2 processes (gzip 6)", "bare", "", dirs["en_docs"], 2, {"procs": 2}),
              ("2", "bare loop, zlib-ng (gzip 6)", "bare", "", dirs["en_docs"], 1, {"codec": "zlib-ng"}))
    for num, case, inp in ((3, "filters", "en_docs_6101"), (4, "exact_dedup", "en_docs"),
                           (5, "minhash_dedup", "en_docs_2"), (6, "dag", "en_docs_4")):
        if num in selected:
            workers = 1 if case == "filters" else 2
            group((str(num), "shardflow", "shardflow", case, dirs[inp], workers),
                  (str(num), "datatrove", "datatrove", case, dirs[inp], workers))
    if 7 in selected:
        group(("7", "shardflow", "shardflow", "noop", "", 2),
              ("7", "datatrove", "datatrove", "noop", "", 2))
    if 8 in selected:
        group(("8", "en_dict: shardflow (default: gzip 5)", "shardflow", "passthrough", dirs["en_dict"], 1),
              ("8", "en_dict: datatrove (gzip 9)", "datatrove", "passthrough", dirs["en_dict"], 1),
              ("8", "en_dict: bare loop (gzip 6)", "bare", "", dirs["en_dict"], 1),
              ("8", "en_docs: shardflow (default: gzip 5)", "shardflow", "passthrough", dirs["en_docs"], 1),
              ("8", "en_docs: datatrove (gzip 9)", "datatrove", "passthrough", dirs["en_docs"], 1),
              ("8", "en_docs: bare loop (gzip 6)", "bare", "", dirs["en_docs"], 1))
        for corpus in ("en_dict", "en_docs") if many > 2 else ():
            d = dirs[f"{corpus}_recut{many}"]
            group(("8", f"{corpus}: shardflow (default: gzip 5), {many} files", "shardflow", "passthrough", d, many),
                  ("8", f"{corpus}: datatrove (gzip 9), {many} files", "datatrove", "passthrough", d, many),
                  ("8", f"{corpus}: bare loop, {many} processes (gzip 6)", "bare", "", d, many, {"procs": many}))
    if 9 in selected:
        group(("9", "shardflow 1x (3 en_docs files)", "shardflow", "passthrough", dirs["en_docs_3"], 2),
              ("9", "shardflow 4x (each file 4 times)", "shardflow", "passthrough", dirs["en_docs_3x4"], 2))
    return lines


def ensure_datatrove() -> None:
    """Install datatrove into its own environment the first time (never into shardflow's)."""
    if not os.path.exists(DT_PYTHON):
        print("installing datatrove 0.10.1 into bench/.venv-datatrove ...", file=sys.stderr)
        subprocess.run(["bash", os.path.join(HERE, "setup_datatrove.sh")], check=True)


def compile_bytecode() -> None:
    """Compile shardflow's modules to bytecode, as a non-editable install does.

    datatrove is pip-installed with its bytecode; shardflow runs from this checkout, and
    where PYTHONDONTWRITEBYTECODE is set (it is on the machine these figures come from)
    every worker would otherwise compile every module again at start-up.
    """
    import compileall

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    compileall.compile_dir(os.path.join(root, "shardflow"), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="*", default=list(range(1, 10)), help="rows to run (1-9)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each line; the fastest is kept")
    ap.add_argument("--many-workers", type=int, default=16 if (os.cpu_count() or 1) >= 16 else 0,
                    help="row 8 also at this many workers (default: 16 where there are 16 cores)")
    args = ap.parse_args()
    ensure_datatrove()
    compile_bytecode()
    scratch = tempfile.mkdtemp(prefix="shardflow-suite-")
    started = time.time()
    try:
        dirs = inputs(os.path.join(scratch, "inputs"))
        if 8 in args.rows and args.many_workers > 2:
            for corpus in ("en_dict", "en_docs"):
                name = f"{corpus}_recut{args.many_workers}"
                dirs[name] = recut(corpus_files(corpus), args.many_workers, os.path.join(scratch, "inputs", name))
        run = Runner(scratch)
        lines: list[Line] = []
        for r in range(args.repeat):
            print(f"repeat {r + 1}/{args.repeat}", file=sys.stderr)
            lines += rows(run, dirs, set(args.rows), flip=bool(r % 2), many=args.many_workers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    command = shlex.join([".venv/bin/python", "bench/suite.py", *sys.argv[1:]])
    print_table(lines, command, time.time() - started)
    save(lines, command)


if __name__ == "__main__":
    main()
