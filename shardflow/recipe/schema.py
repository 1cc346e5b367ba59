"""The recipe schema (pydantic): a pipeline as YAML, validated before anything runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class StepSpec(BaseModel):
    """One step of a recipe.

    ``use`` names a step of :mod:`shardflow.steps` (``read_jsonl``, ``filter_rows``, ...) or
    any step class as ``package.module:ClassName``. ``input`` names the step(s) it reads; a
    list concatenates them (fan-in). ``args`` are the step's own arguments.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Unique step name, used by `input` of later steps.")
    use: str = Field(description="A step of shardflow.steps, or 'module:Class'.")
    input: str | list[str] | None = Field(default=None, description="Step(s) this one reads.")
    args: dict[str, Any] = Field(default_factory=dict, description="The step's own arguments.")
    where: str | None = Field(
        default=None, description="filter_rows only: a Python expression over `row`, e.g. len(row['text']) > 200"
    )
    expr: str | None = Field(
        default=None, description="map_rows only: a Python expression over `row` giving the new row (a dict)"
    )
    route: str | None = Field(
        default=None,
        description="route_batches only: a Python expression over `batch` and `seq` naming the successors, e.g. [seq % 3]",
    )
    cpus: float | None = None
    gpus: float | None = None
    memory: int | None = None
    on_failure: Literal["fail_fast", "continue"] | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_backoff: float | None = Field(default=None, ge=0)
    batch_size: int | None = Field(default=None, gt=0)
    checkpoint: bool | None = None
    fuse: bool | None = None
    rejected: str | None = Field(default=None, description="filters only: directory for the dropped rows")


class RunSpec(BaseModel):
    """Default run settings; command-line flags override them."""

    model_config = ConfigDict(extra="forbid")

    workdir: str | None = None
    tasks: int | None = Field(default=None, gt=0)
    workers: int | None = Field(default=None, gt=0)
    max_retries: int = Field(default=3, ge=0)
    storage_options: dict[str, Any] | None = Field(
        default=None,
        description="fsspec options for the workdir and for every reader and writer that sets none of its own "
        "(e.g. an S3 endpoint: {client_kwargs: {endpoint_url: ...}}). "
        "Credentials are better left to the environment (AWS_ACCESS_KEY_ID, ...); they are never written to the run directory.",
    )


class Recipe(BaseModel):
    """A whole recipe file."""

    model_config = ConfigDict(extra="forbid")

    pipeline: str = Field(description="The pipeline's name.")
    run: RunSpec = Field(default_factory=RunSpec)
    steps: list[StepSpec] = Field(min_length=1)


OPTION_FIELDS = (
    "cpus", "gpus", "memory", "on_failure", "retries", "retry_backoff", "batch_size", "checkpoint", "fuse", "rejected",
)


def json_schema() -> dict[str, Any]:
    """The JSON schema of recipes, for editors."""
    return Recipe.model_json_schema()
