"""Executors: small adapters that run bound tasks on a backend.

:class:`RayExecutor` is imported on first use, so that importing shardflow never imports Ray.
"""

from shardflow.executors.local import LocalExecutor
from shardflow.executors.slurm import SlurmExecutor

__all__ = ["LocalExecutor", "RayExecutor", "SlurmExecutor"]


def __getattr__(name: str):
    if name == "RayExecutor":
        from shardflow.executors.ray import RayExecutor

        return RayExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
