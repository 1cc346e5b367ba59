"""Declare: step kinds, the DAG, and its validation when built."""

from shardflow.graph.composite import Composite
from shardflow.graph.context import building, current_graph
from shardflow.graph.dag import Graph
from shardflow.graph.stats import StepStats
from shardflow.graph.step import (
    Converge,
    Filter,
    GlobalStep,
    Mapper,
    Router,
    Sink,
    Source,
    Step,
    StepOptions,
    Transform,
    Writer,
)
from shardflow.graph.validate import PipelineError, validate

__all__ = [
    "Composite",
    "Converge",
    "Filter",
    "GlobalStep",
    "Graph",
    "Mapper",
    "PipelineError",
    "Router",
    "Sink",
    "Source",
    "Step",
    "StepOptions",
    "StepStats",
    "Transform",
    "Writer",
    "building",
    "current_graph",
    "validate",
]
