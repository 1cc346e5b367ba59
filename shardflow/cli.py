"""The command line: ``shardflow run | plan | validate | status | stats | events | report | ui | schema``."""

from __future__ import annotations

import json
import os
import runpy
import sys

import click
from rich.console import Console
from rich.table import Table

from shardflow.executors.slurm.status import slurm_status
from shardflow.graph import PipelineError
from shardflow.pipeline import Pipeline
from shardflow.recipe import RecipeError, build_graph, json_schema, load_recipe
from shardflow.report.mermaid import plan_mermaid
from shardflow.report.status import run_status
from shardflow.report.views import PLAN_FORMATS, render_plan
from shardflow.report.tables import stats_table
from shardflow.report.events import KINDS, filter_events, format_event, log_tail
from shardflow.run import RunDir, RunFailed

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
            storage_options=defaults.get("storage_options"),
        )
    except RunFailed as exc:
        # soft_wrap: never break the resume command, so that it can be copied as it is.
        errors.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        sys.exit(130 if not exc.result.failures and "interrupted" in str(exc) else 1)
    except FileNotFoundError as exc:  # an input pattern that matches nothing, at plan time
        raise click.ClickException(str(exc)) from None
    console.print(stats_table(result.stats.to_dict()))
    console.print(f"done in {result.seconds:.1f}s: {result.ran} tasks run, {result.reused} reused; workdir {result.workdir}")
    for leaf, files in result.outputs.items():
        console.print(f"  {leaf}: {len(files)} files", highlight=False)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--tasks", type=int, help="Shards per source.")
@click.option("--format", "fmt", type=click.Choice(PLAN_FORMATS), default="text",
              help="text (table + Mermaid), mermaid, dot (Graphviz), html (self-contained page), json.")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="Colour each stage by its state in this run directory.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def plan(file: str, tasks: int | None, fmt: str, workdir: str | None, output: str | None) -> None:
    """Show the stages and tasks a pipeline compiles to, without running it."""
    pipeline, defaults = _load(file)
    compiled = _guard(lambda: pipeline.plan(tasks or defaults.get("tasks")))
    states = None
    if workdir:
        status = _guard(lambda: run_status(workdir, plan=compiled.summary()))
        states = {st.id: st for st in status.stages}
    if fmt != "text":
        text = render_plan(compiled, fmt, states)
        if output:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(text, nl=False)
        return
    table = Table(title=f"pipeline {compiled.name}: {len(compiled.stages)} stages, {len(compiled.tasks)} tasks")
    for col in ("stage", "steps", "reads", "kind", "output", "tasks", "why a stage", "key") + (("state",) if states else ()):
        table.add_column(col)
    for sp in compiled.stages.values():
        st = sp.stage
        extra = (f"{states[sp.id].state} ({states[sp.id].done}/{sp.n_tasks})",) if states else ()
        reads = ", ".join(stage if exit == stage else f"{stage}:{exit}" for stage, exit in st.inputs)
        table.add_row(sp.id, " → ".join(st.steps), reads or "-", st.kind, ", ".join(st.exits),
                      str(sp.n_tasks), st.reason, sp.key, *extra)
    console.print(table)
    click.echo(plan_mermaid(compiled, states), nl=False)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def validate(file: str) -> None:
    """Check a recipe or pipeline file without running it."""
    pipeline, _ = _load(file)
    _guard(pipeline.validate)
    click.echo(f"{file}: pipeline {pipeline.name!r} is valid ({len(pipeline.graph)} steps)")


@main.command()
@click.argument("workdir")  # a folder or a URL (s3://...; credentials from the environment)
def status(workdir: str) -> None:
    """Per stage: tasks done / total, running and failed; what is left to do."""
    st = _guard(lambda: run_status(workdir))
    table = Table(title=f"{st.info['plan']['name']} in {workdir}")
    for col in ("stage", "steps", "state", "done", "total", "running", "failed"):
        table.add_column(col)
    for s in st.stages:
        table.add_row(s.id, " → ".join(s.steps), s.state, str(s.done), str(s.total), str(len(s.running)),
                      ", ".join(s.failed))
    console.print(table)
    for task, ev in sorted(st.failures.items()):
        console.print(f"[red]{task}[/red] ({ev.get('kind')}): {ev.get('message')}\n  log: {ev.get('log')}",
                      highlight=False, soft_wrap=True)
    slurm = slurm_status(workdir)
    for line in slurm.lines() if slurm else []:
        console.print(line, highlight=False, markup=False)
    if slurm and slurm.in_queue:
        console.print(f"{st.left} tasks left; the run goes on in the Slurm queue. Check again later.")
    else:
        console.print("\n".join(st.todo()), highlight=False, soft_wrap=True, markup=False)


@main.command()
@click.argument("workdir")  # a folder or a URL
@click.option("--stage", help="Only events of this stage and its tasks.")
@click.option("--kind", help="Only events of this kind: " + ", ".join(KINDS) + ", or an event name.")
@click.option("--failures", is_flag=True, help="Only failures (retried or not), with the end of their logs.")
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON lines.")
def events(workdir: str, stage: str | None, kind: str | None, failures: bool, as_json: bool) -> None:
    """The run's event log (events.jsonl), filtered."""
    try:
        found = list(filter_events(RunDir(workdir).events(), stage=stage, kind=kind, failures=failures))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--kind") from None
    for event in found:
        if as_json:
            click.echo(json.dumps(event))
            continue
        click.echo(format_event(event))
        if failures and event.get("log"):
            tail = log_tail(event["log"], 10)
            click.echo("\n".join("    | " + line for line in tail.splitlines()))
    if not found and not as_json:
        click.echo("no matching events", err=True)


@main.command()
@click.argument("workdir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The HTML file (default: WORKDIR/report.html).")
def report(workdir: str, output: str | None) -> None:
    """Write a self-contained HTML report of a run: DAG, stats, plots, failures."""
    from shardflow.report.html import report_html
    from shardflow.report.rundata import load_run

    data = _guard(lambda: load_run(workdir))
    output = output or os.path.join(workdir, "report.html")
    with open(output, "w", encoding="utf-8") as f:
        f.write(report_html(data))
    click.echo(f"wrote {output}")


@main.command()
@click.argument("workdir", type=click.Path(exists=True, file_okay=False))
@click.option("--port", type=int, default=8765, show_default=True, help="Port on 127.0.0.1 (0: any free one).")
@click.option("--refresh", type=float, default=2.0, show_default=True, help="Seconds between page refreshes.")
def ui(workdir: str, port: int, refresh: float) -> None:
    """Serve a live, read-only dashboard of a run on 127.0.0.1."""
    from shardflow.report.dashboard import make_server

    server = make_server(workdir, port=port, refresh=refresh)
    host, bound = server.server_address[:2]
    click.echo(f"dashboard of {workdir} on http://{host}:{bound}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@click.argument("workdir")  # a folder or a URL
@click.option("--json", "as_json", is_flag=True, help="Print stats.json as is.")
def stats(workdir: str, as_json: bool) -> None:
    """The merged per-step stats of a run."""
    rundir = RunDir(workdir)
    if not rundir.exists("stats.json"):
        raise click.ClickException(f"{rundir.path('stats.json')} does not exist: the run has not finished once yet")
    data = rundir.read_json("stats.json")
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
