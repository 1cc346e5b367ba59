"""The table of bench/suite.py: one line per engine run, ratios against the row's anchors."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass

ROWS = {
    "1": "short-document passthrough, en_dict (301,634 docs)",
    "2": "long-document passthrough, en_docs (87,852 docs)",
    "3": "quality chain: Gopher rep. + Gopher quality + C4 + FineWeb (6,101 en_docs docs)",
    "4": "exact dedup, en_docs",
    "5": "MinHash dedup, 2 en_docs files",
    "6": "3-branch DAG (shardflow) vs 3 linear pipelines (datatrove), 4 en_docs files",
    "7": "scheduler overhead: 10,000 tasks that do nothing",
    "8": "scaling: the passthroughs at workers=1 (workers=2: rows 1 and 2; and at --many-workers where given)",
    "9": "memory: passthrough of 3 en_docs files, 1x and 4x the data per task",
}


@dataclass
class Line:
    """One run of one engine."""

    row: str
    label: str
    engine: str
    case: str
    workers: int
    pending: str | None
    seconds: float
    docs: int
    mb: float
    cpu: float
    rss: float
    kept: set | None = None
    level: int | None = None

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.seconds if self.seconds else 0.0


def best(lines: list[Line]) -> list[Line]:
    """Of repeated runs of one (row, label), the fastest, in first-run order."""
    out: dict[tuple[str, str], Line] = {}
    for line in lines:
        key = (line.row, line.label)
        if key not in out or (line.seconds and line.seconds < out[key].seconds):
            out[key] = line
    return list(out.values())


def ratio_text(line: Line, row: list[Line]) -> str:
    """The shardflow line's ratios to datatrove (same workers) and to the bare loop x workers."""
    if line.engine != "shardflow" or line.pending:
        return ""
    parts = []
    if line.case == "noop":
        dt = next((x for x in row if x.engine == "datatrove"), None)
        parts.append(f"{line.seconds / line.docs * 1e3:.2f} ms/task")
        if dt:
            parts.append(f"datatrove {dt.seconds / dt.docs * 1e3:.2f} ms/task")
        return "; ".join(parts)
    same = [x for x in row if x.docs == line.docs]  # the same input
    dt = next((x for x in same if x.engine == "datatrove" and x.workers == line.workers), None)
    if dt and dt.docs_per_s:
        parts.append(f"**{line.docs_per_s / dt.docs_per_s:.2f}x** datatrove (CPU: {dt.cpu / line.cpu:.2f}x)")
    bare = next((x for x in same if x.engine == "bare" and x.workers == 1 and "zlib-ng" not in x.label), None)
    if bare and bare.docs_per_s:
        parts.append(f"**{100 * line.docs_per_s / (bare.docs_per_s * line.workers):.0f}%** of bare x{line.workers} "
                     f"(CPU: {100 * bare.cpu / line.cpu:.0f}%)")
    parallel = next((x for x in same if x.engine == "bare" and x.workers == line.workers > 1), None)
    if parallel and parallel.docs_per_s:
        parts.append(f"{100 * line.docs_per_s / parallel.docs_per_s:.0f}% of {line.workers} bare processes")
    if line.kept is not None and dt is not None and dt.kept is not None and line.docs:
        agree = 1 - len(line.kept ^ dt.kept) / line.docs
        parts.append(f"keep/drop agreement {100 * agree:.2f}% (kept {len(line.kept):,} vs {len(dt.kept):,})")
    return "; ".join(parts)


def print_table(lines: list[Line], command: str, elapsed: float) -> None:
    lines = best(lines)
    print(f"\n{command}   ({elapsed / 60:.1f} min, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores)\n")
    print("| row | run | workers | docs | wall s | docs/s | MB/s | CPU s | peak RSS MB | shardflow ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for num, title in ROWS.items():
        row = [x for x in lines if x.row == num]
        if not row:
            continue
        print(f"| **{num}** | **{title}** | | | | | | | | |")
        for x in row:
            if x.pending:
                print(f"| {num} | {x.label} | {x.workers} | pending: {x.pending} | | | | | | |")
                continue
            rate = f"{x.docs_per_s:,.0f}" if x.case != "noop" else f"{x.docs_per_s:,.0f} tasks/s"
            print(f"| {num} | {x.label} | {x.workers} | {x.docs:,} | {x.seconds:.1f} | "
                  f"{rate} | {x.mb / x.seconds if x.mb else 0:.1f} | {x.cpu:.1f} | {x.rss:.0f} | {ratio_text(x, row)} |")


def save(lines: list[Line], command: str) -> str:
    """Keep the raw lines in bench/results/ (git-ignored) for later comparison."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"suite-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as f:
        json.dump({"command": command, "lines": [{**asdict(x), "kept": len(x.kept) if x.kept else None} for x in lines]},
                  f, indent=1)
    return path
