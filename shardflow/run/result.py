"""What a run returns: merged stats per step, outputs per leaf, and what failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from shardflow.graph.stats import StepStats
from shardflow.io import Piece, read_ipc, read_jsonl
from shardflow.plan import Plan, TaskId
from shardflow.run.push import SEQ
from shardflow.run.rundir import Marker


class RunStats(Mapping[str, StepStats]):
    """Stats merged over every task of the run, per step, in pipeline order."""

    def __init__(self, steps: dict[str, StepStats]) -> None:
        self._steps = steps

    @classmethod
    def merge(cls, plan: Plan, markers: Mapping[TaskId, Marker]) -> "RunStats":
        steps = {name: StepStats() for sp in plan.stages.values() for name in sp.stage.steps}
        for tid in sorted(markers):
            if tid.stage in plan.stages:
                for name, data in markers[tid].stats.items():
                    if name in steps:
                        steps[name].merge(StepStats.from_dict(data))
        return cls(steps)

    def __getitem__(self, name: str) -> StepStats:
        return self._steps[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def to_dict(self) -> dict[str, Any]:
        return {name: s.to_dict() for name, s in self._steps.items()}

    def __str__(self) -> str:
        header = f"{'step':<28} {'tasks':>6} {'rows in':>12} {'rows out':>12} {'dropped':>10} {'seconds':>9}"
        lines = [header, "-" * len(header)]
        for name, s in self._steps.items():
            lines.append(
                f"{name:<28} {s.tasks:>6} {s.rows_in:>12,} {s.rows_out:>12,} "
                f"{sum(s.dropped.values()):>10,} {s.seconds:>9.2f}"
            )
            for reason, n in sorted(s.dropped.items()):
                lines.append(f"{'  dropped: ' + reason:<41} {n:>12,}")
        return "\n".join(lines)

    __repr__ = __str__


@dataclass
class RunResult:
    """The result of ``Pipeline.run``.

    Attributes:
        workdir: The run directory.
        stats: Merged stats per step (:class:`RunStats`).
        outputs: Per leaf step, the files it wrote (sinks) or its checkpoint files.
        branches: Per leaf step: ``"ok"`` (all its tasks done), ``"failed"`` (a task of it or
            upstream of it failed) or ``"incomplete"`` (stopped or interrupted before the end).
        reused: Tasks whose completed output was reused from an earlier run.
        ran: Tasks run by this call.
        failures: Failed tasks and why (empty on success).
        seconds: Wall time of this call.
        detached: The run goes on in its backend (a Slurm run submitted without following):
            stats and outputs are those done so far; follow it with ``shardflow status``.
    """

    workdir: str
    stats: RunStats
    outputs: dict[str, list[str]]
    branches: dict[str, str] = field(default_factory=dict)
    reused: int = 0
    ran: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    detached: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and all(s == "ok" for s in self.branches.values())

    def table(self, leaf: str) -> pa.Table:
        """Load a leaf's output as one Arrow table (files in shard order)."""
        return load_table(self._files(leaf))

    def dataset(self, leaf: str):
        """Load a leaf's output as a Hugging Face ``datasets.Dataset`` (needs ``shardflow[hf]``)."""
        try:
            import datasets
        except ImportError as exc:
            raise ImportError("loading a Dataset needs the `datasets` package: pip install 'shardflow[hf]'") from exc
        return datasets.Dataset(self.table(leaf))

    def _files(self, leaf: str) -> list[str]:
        if leaf not in self.outputs:
            raise KeyError(f"{leaf!r} is not a leaf of this run; leaves: {', '.join(self.outputs)}")
        return self.outputs[leaf]


def load_table(files: list[str]) -> pa.Table:
    """Read output files (Parquet, JSON Lines, or Arrow checkpoints) into one table."""
    tables: list[pa.Table] = []
    for path in files:
        if path.endswith(".parquet"):
            tables.append(pq.read_table(path))
        elif path.endswith(".arrow"):
            tables += [t.drop_columns([SEQ]) if SEQ in t.column_names else t for t in read_ipc(path)]
        else:
            tables += list(read_jsonl(Piece(path)))
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables, promote_options="permissive")


def branch_status(plan: Plan, markers: Mapping[TaskId, Marker], failed: set[TaskId]) -> dict[str, str]:
    """Status of each leaf: ok, failed (itself or upstream), or incomplete."""
    failed_stages = {t.stage for t in failed}
    status = {}
    for leaf in plan.leaves:
        sp = plan.stage_of_step(leaf)
        if all(TaskId(sp.id, i) in markers for i in range(sp.n_tasks)):
            status[leaf] = "ok"
        elif failed_stages & _upstream(plan, sp.id):
            status[leaf] = "failed"
        else:
            status[leaf] = "incomplete"
    return status


def _upstream(plan: Plan, stage_id: str) -> set[str]:
    seen, stack = set(), [stage_id]
    while stack:
        sid = stack.pop()
        if sid not in seen:
            seen.add(sid)
            stack.extend(u for u, _ in plan.stages[sid].stage.inputs)
    return seen


def leaf_outputs(plan: Plan, markers: Mapping[TaskId, Marker]) -> dict[str, list[str]]:
    """Files of each leaf step, in shard order."""
    outputs: dict[str, list[str]] = {}
    for leaf in plan.leaves:
        sp = plan.stage_of_step(leaf)
        files: list[str] = []
        for shard in range(sp.n_tasks):
            marker = markers.get(TaskId(sp.id, shard))
            if marker is not None:
                files += [f["path"] for part in marker.outputs.get(leaf, []) for f in part]
        outputs[leaf] = files
    return outputs


class RunFailed(RuntimeError):
    """A run ended with failed or unfinished tasks. ``result`` holds what did complete."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result
