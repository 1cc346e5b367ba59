"""The job arrays of one round: which tasks each array element runs, what each array waits for.

Pure: a function of the plan and the tasks to run, tested without Slurm.

A stage's tasks to run are cut into elements of ``tasks_per_job`` tasks (in shard order), and
the elements into arrays of at most ``max_array_size``. An array waits only for the upstream
arrays holding tasks it reads, and as little as it can:

* ``aftercorr`` (element *i* waits for element *i* of the upstream array) when every element
  reads at most the element of the same index upstream: a shard flows to the next stage as
  soon as *its* upstream shard is done, not the whole upstream stage;
* ``afterok`` on the whole upstream array otherwise (a global stage reads every shard).

Tasks complete already are not in the round, so nothing waits for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from shardflow.plan import Plan, TaskId

#: Element *i* of this array waits for element *i* of the upstream array.
AFTERCORR = "aftercorr"
#: The whole array waits for the whole upstream array.
AFTEROK = "afterok"


@dataclass(frozen=True)
class Attempt:
    """One try of one task: what an array element runs."""

    task: TaskId
    attempt: int


@dataclass(frozen=True)
class Dependency:
    """What an array waits for: ``kind`` (:data:`AFTERCORR` or :data:`AFTEROK`) of ``array``."""

    kind: str
    array: str


@dataclass(frozen=True)
class ArraySpec:
    """A job array to submit.

    Attributes:
        name: Unique in the run (``r<round>.<stage>.<chunk>``).
        stage: The stage whose tasks it runs.
        elements: For each array index, the tasks it runs, in order.
        after: The upstream arrays it waits for.
    """

    name: str
    stage: str
    elements: tuple[tuple[Attempt, ...], ...]
    after: tuple[Dependency, ...] = ()

    @property
    def tasks(self) -> list[Attempt]:
        return [a for element in self.elements for a in element]


def plan_arrays(
    plan: Plan,
    todo: Mapping[TaskId, int],
    *,
    tasks_per_job: int = 1,
    max_array_size: int = 1001,
    round_no: int = 1,
) -> list[ArraySpec]:
    """Cut the tasks of ``todo`` (task -> attempt number) into job arrays, upstream first.

    Args:
        plan: The plan the tasks belong to.
        todo: The tasks to run in this round, with the attempt each will be.
        tasks_per_job: Tasks run one after the other by one array element.
        max_array_size: Most elements in one array (the cluster's ``MaxArraySize``).
        round_no: The round's number, part of each array's name.
    """
    if tasks_per_job < 1 or max_array_size < 1:
        raise ValueError(f"tasks_per_job={tasks_per_job} and max_array_size={max_array_size} must be >= 1")
    element_of: dict[TaskId, int] = {}
    arrays_of: dict[str, list[str]] = {}
    n_elements: dict[str, int] = {}
    arrays: list[ArraySpec] = []
    for sid in plan.stages:
        tids = sorted(t for t in todo if t.stage == sid)
        if not tids:
            continue
        elements = [
            tuple(Attempt(t, todo[t]) for t in tids[i : i + tasks_per_job])
            for i in range(0, len(tids), tasks_per_job)
        ]
        needs = _needs(plan, elements, element_of)
        for e, element in enumerate(elements):
            for a in element:
                element_of[a.task] = e
        n_elements[sid] = len(elements)
        arrays_of[sid] = []
        for c, start in enumerate(range(0, len(elements), max_array_size)):
            chunk = range(start, min(start + max_array_size, len(elements)))
            after: list[Dependency] = []
            for up, per_element in needs.items():
                after += _dependencies(per_element, chunk, n_elements[up], arrays_of[up], max_array_size)
            name = f"r{round_no}.{sid}.{c}"
            arrays_of[sid].append(name)
            arrays.append(ArraySpec(name, sid, tuple(elements[e] for e in chunk), tuple(after)))
    return arrays


def _needs(plan: Plan, elements: list[tuple[Attempt, ...]], element_of: dict[TaskId, int]) -> dict[str, list[set[int]]]:
    """For each upstream stage in the round: per element, the upstream elements it reads."""
    needs: dict[str, list[set[int]]] = {}
    for e, element in enumerate(elements):
        for a in element:
            for dep in plan.tasks[a.task].deps:
                if dep in element_of:
                    needs.setdefault(dep.stage, [set() for _ in elements])[e].add(element_of[dep])
    return needs


def _dependencies(
    per_element: list[set[int]], chunk: range, up_elements: int, up_arrays: list[str], size: int
) -> list[Dependency]:
    wanted = [per_element[e] for e in chunk]
    if not any(wanted):
        return []
    # Same index upstream, and the upstream array has that index: Slurm's aftercorr fits. Both
    # stages are cut into arrays at the same element boundaries, so chunk c matches chunk c.
    if all(s <= {e} for e, s in zip(chunk, wanted)) and chunk[-1] < up_elements:
        return [Dependency(AFTERCORR, up_arrays[chunk[0] // size])]
    chunks = sorted({u // size for s in wanted for u in s})
    return [Dependency(AFTEROK, up_arrays[c]) for c in chunks]
