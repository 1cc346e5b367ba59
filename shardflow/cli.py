"""The command line: ``shardflow run | plan | validate | status | stats | schema``."""

from __future__ import annotations

import json
import os
import runpy
import sys

import click
from rich.console import Console
from rich.table import Table

from shardflow.graph import PipelineError
from shardflow.pipeline import Pipeline
from shardflow.recipe import RecipeError, build_graph, json_schema, load_recipe
from shardflow.report.mermaid import plan_mermaid
from shardflow.report.status import run_status
from shardflow.report.tables import stats_table
from shardflow.run import RunFailed

console = Console()
errors = Console(stderr=True)


def load_pipeline(path: str) -> tuple[Pipeline, dict]:
    """Load a YAML recipe or a Python file that defines ``pipeline``; return it and run defaults."""
    if path.endswith((".yaml", ".yml")):
        recipe = load_recipe(path)
        return Pipeline.from_graph(build_graph(recipe, path)), recipe.run.model_dump()
    if path.endswith(".py"):
        namespace = runpy.run_path(path, run_name="shardflow_pipeline")
        pipeline = namespace.get("pipeline")
        if not isinstance(pipeline, Pipeline):
            raise click.UsageError(f"{path} must define a variable `pipeline` holding a shardflow.Pipeline")
        return pipeline, dict(namespace.get("run_options", {}))
    raise click.UsageError(f"{path}: give a YAML recipe (.yaml, .yml) or a Python file (.py)")


@click.group()
@click.version_option(package_name="shardflow")
def main() -> None:
    """shardflow: dataset-processing pipelines on local cores, Ray or Slurm."""


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--workdir", help="Run directory (default: the recipe's, else runs/<pipeline>).")
@click.option("--tasks", type=int, help="Shards per source (default: one per input file).")
@click.option("--workers", type=int, help="Tasks at once (default: all cores).")
def run(file: str, workdir: str | None, tasks: int | None, workers: int | None) -> None:
    """Run a pipeline; rerun the same command to resume."""
    pipeline, defaults = _load(file)
    workdir = workdir or defaults.get("workdir") or os.path.join("runs", pipeline.name)
    try:
        result = pipeline.run(
            workdir=workdir,
            tasks=tasks or defaults.get("tasks"),
            workers=workers or defaults.get("workers"),
            max_retries=defaults.get("max_retries", 3),
        )
    except RunFailed as exc:
        errors.print(str(exc), style="red", markup=False, highlight=False)
        sys.exit(130 if not exc.result.failures and "interrupted" in str(exc) else 1)
    console.print(stats_table(result.stats.to_dict()))
    console.print(f"done in {result.seconds:.1f}s: {result.ran} tasks run, {result.reused} reused; workdir {result.workdir}")
    for leaf, files in result.outputs.items():
        console.print(f"  {leaf}: {len(files)} files", highlight=False)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--tasks", type=int, help="Shards per source.")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "json"]), default="text")
def plan(file: str, tasks: int | None, fmt: str) -> None:
    """Show the stages and tasks a pipeline compiles to, without running it."""
    pipeline, defaults = _load(file)
    compiled = _guard(lambda: pipeline.plan(tasks or defaults.get("tasks")))
    if fmt == "mermaid":
        click.echo(plan_mermaid(compiled), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps(compiled.summary(), indent=2))
        return
    table = Table(title=f"pipeline {compiled.name}: {len(compiled.stages)} stages, {len(compiled.tasks)} tasks")
    for col in ("stage", "steps", "reads", "kind", "output", "tasks", "why a stage", "key"):
        table.add_column(col)
    for sp in compiled.stages.values():
        st = sp.stage
        table.add_row(sp.id, " → ".join(st.steps), ", ".join(st.inputs) or "-", st.kind, st.output,
                      str(sp.n_tasks), st.reason, sp.key)
    console.print(table)
    click.echo(plan_mermaid(compiled), nl=False)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def validate(file: str) -> None:
    """Check a recipe or pipeline file without running it."""
    pipeline, _ = _load(file)
    _guard(pipeline.validate)
    click.echo(f"{file}: pipeline {pipeline.name!r} is valid ({len(pipeline.graph)} steps)")


@main.command()
@click.argument("workdir", type=click.Path(exists=True, file_okay=False))
def status(workdir: str) -> None:
    """Per stage: tasks done / total and failures; what is left to do."""
    info, stages = _guard(lambda: run_status(workdir))
    table = Table(title=f"{info['plan']['name']} in {workdir}")
    for col in ("stage", "steps", "done", "total", "failed"):
        table.add_column(col)
    for st in stages:
        table.add_row(st.id, " → ".join(st.steps), str(st.done), str(st.total), ", ".join(st.failed) or "")
    console.print(table)
    left = sum(st.left for st in stages)
    if left:
        console.print(f"{left} tasks left. Resume with:\n  {info.get('command', 'the command that started the run')}",
                      highlight=False)
    else:
        console.print("all tasks done.")


@main.command()
@click.argument("workdir", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print stats.json as is.")
def stats(workdir: str, as_json: bool) -> None:
    """The merged per-step stats of a run."""
    path = os.path.join(workdir, "stats.json")
    if not os.path.exists(path):
        raise click.ClickException(f"{path} does not exist: the run has not finished once yet")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    console.print(stats_table(data, title=f"stats of {workdir}"))


@main.command()
def schema() -> None:
    """Print the JSON schema of recipes (for editors)."""
    click.echo(json.dumps(json_schema(), indent=2))


def _load(file: str) -> tuple[Pipeline, dict]:
    return _guard(lambda: load_pipeline(file))


def _guard(fn):
    try:
        return fn()
    except (RecipeError, PipelineError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None


if __name__ == "__main__":
    main()
