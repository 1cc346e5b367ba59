"""shardflow: dataset-processing pipelines as a DAG of steps, on local cores, Ray or Slurm.

Public API: :class:`Pipeline`, :class:`LocalExecutor`, :class:`SlurmExecutor`,
:class:`RayExecutor` (imported on first use, so that ``import shardflow`` never imports Ray),
and the steps in :mod:`shardflow.steps`.
"""

from shardflow._version import __version__
from shardflow.executors import LocalExecutor, SlurmExecutor
from shardflow.graph import Composite, Filter, GlobalStep, Mapper, PipelineError, Sink, Source, Step, Transform
from shardflow.pipeline import Pipeline
from shardflow.run import RunFailed, RunResult

__all__ = [
    "Composite",
    "Filter",
    "GlobalStep",
    "LocalExecutor",
    "Mapper",
    "Pipeline",
    "PipelineError",
    "RayExecutor",
    "RunFailed",
    "RunResult",
    "SlurmExecutor",
    "Sink",
    "Source",
    "Step",
    "Transform",
    "__version__",
]


def __getattr__(name: str):
    if name == "RayExecutor":
        from shardflow.executors.ray import RayExecutor

        return RayExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
