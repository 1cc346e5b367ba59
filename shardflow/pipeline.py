"""The user-facing pipeline: a thin facade over graph (declare), plan (compile) and run.

It is the only place that knows all three layers, so no lower layer imports a higher one.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any

from shardflow.graph import Graph, building, validate
from shardflow.graph.step import Source
from shardflow.plan import Plan, compile_plan
from shardflow.report.mermaid import plan_mermaid
from shardflow.report.progress import make_progress
from shardflow.run import RunDir, RunResult, execute_run
from shardflow.run.hooks import HookList, RunHooks


class Pipeline:
    """A DAG of steps, declared in a ``with`` block and run on any executor.

    Args:
        name: The pipeline's name (shown in runs, events and reports).

    Example::

        with Pipeline("demo") as p:
            docs = read_jsonl("data/*.jsonl.gz")
            docs >> filter_rows(lambda d: len(d["text"]) > 200) >> write_jsonl("out/long")
        result = p.run(workdir="runs/demo", tasks=8, workers=2)
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.graph = Graph(name)
        self._building = None

    @classmethod
    def from_graph(cls, graph: Graph) -> "Pipeline":
        """Wrap an already built graph (e.g. from a YAML recipe)."""
        pipeline = cls(graph.name)
        pipeline.graph = graph
        return pipeline

    def __enter__(self) -> "Pipeline":
        self._building = building(self.graph)
        self._building.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._building.__exit__(*exc)
        self._building = None

    def validate(self) -> None:
        """Raise :class:`~shardflow.graph.PipelineError` listing every problem, if any."""
        validate(self.graph)

    def plan(self, tasks: int | None = None) -> Plan:
        """Validate and compile: stages, tasks and keys. Lists input files, reads no data.

        Args:
            tasks: Shards per source (balanced by bytes); None: one per input file.
        """
        self.validate()
        shards = {s.name: s.list_shards(tasks) for s in self.graph if isinstance(s, Source)}
        return compile_plan(self.graph, shards, tasks)

    def run(
        self,
        workdir: str,
        executor: Any = None,
        tasks: int | None = None,
        workers: int | None = None,
        *,
        max_retries: int = 3,
        storage_options: dict | None = None,
        raise_on_failure: bool = True,
        hooks: list[RunHooks] | None = None,
        dry_run: bool = False,
        part_rows: int | None = None,
        verify: str = "size",
        progress: bool | str | RunHooks = "auto",
    ) -> RunResult:
        """Run the pipeline; rerunning with the same workdir resumes where it stopped.

        Args:
            workdir: The run directory (local path or fsspec URL).
            executor: Where tasks run (default: a :class:`~shardflow.LocalExecutor`).
            tasks: Shards per source, balanced by bytes (None: one per input file). Output
                file names depend on it, never on ``workers``.
            workers: Tasks running at once on the default local executor (default: cores).
            max_retries: Retries of a task after an infrastructure failure (worker killed);
                an executor's own ``max_retries``, when set, wins.
            storage_options: fsspec options for ``workdir``.
            raise_on_failure: Raise :class:`~shardflow.run.RunFailed` if tasks failed.
            hooks: Extra :class:`~shardflow.run.hooks.RunHooks` told of every task event.
            dry_run: Push one small batch per source through the whole DAG, in one shard,
                writing every output under ``<workdir>/dry-run/`` (wiped first) instead of
                the real paths: a quick check that every step works on real data.
            part_rows: Commit each task's outputs every this many input rows, with a
                progress record, so a killed task resumes from its last part instead of
                from zero (files of later parts get a ``-pNNNNN`` suffix). None: one part.
            verify: How completed outputs are checked before reuse: ``"size"`` (cheap) or
                ``"checksum"`` (reads every output and compares its CRC-32).
            progress: Progress on stderr: ``"auto"`` (live on a terminal, plain lines every
                30 s in CI or when stderr is not a terminal), ``True``, ``"live"``,
                ``"log"``, ``False``, or your own hook (see
                :func:`~shardflow.report.progress.make_progress`).

        Returns:
            A :class:`~shardflow.run.RunResult` with ``.stats`` and ``.outputs``.
        """
        from shardflow.executors import LocalExecutor

        if executor is None:
            executor = LocalExecutor(workers=workers)
        elif workers is not None and getattr(executor, "workers", None) is None:
            executor.workers = workers
        scratch = None
        if dry_run:
            workdir = f"{str(workdir).rstrip('/')}/dry-run"
            fs = RunDir(workdir, storage_options).fs
            if fs.exists(workdir):
                fs.rm(workdir, recursive=True)
            scratch, tasks = f"{workdir}/outputs", 1
        if verify not in ("size", "checksum"):
            raise ValueError(f"verify={verify!r}: use 'size' or 'checksum'")
        if part_rows is not None and part_rows <= 0:
            raise ValueError(f"part_rows={part_rows} must be a positive number of rows")
        own_retries = getattr(executor, "max_retries", None)  # an executor's own setting wins
        plan = self.plan(tasks)
        rundir = RunDir(workdir, storage_options)
        rundir.fs.makedirs(rundir.url, exist_ok=True)
        rundir.fs.pipe(rundir.path("dag.mmd"), plan_mermaid(plan).encode())
        return execute_run(
            plan,
            self.graph,
            rundir,
            executor,
            command=resume_command(),
            max_retries=max_retries if own_retries is None else own_retries,
            raise_on_failure=raise_on_failure,
            hooks=HookList([h for h in [make_progress(progress), *(hooks or [])] if h is not None]),
            dry_run=scratch and RunDir(scratch, storage_options).url,
            part_rows=part_rows,
            verify=verify,
        )


def resume_command() -> str:
    """The command line that started this process: rerunning it resumes the run."""
    argv = list(sys.argv) or ["python"]
    if argv[0].endswith("shardflow") or argv[0].endswith(os.path.join("shardflow", "__main__.py")):
        return shlex.join(["shardflow", *argv[1:]])
    if argv[0] in ("", "-c"):
        return "rerun the same Python code with the same workdir"
    return shlex.join(["python", *argv])
