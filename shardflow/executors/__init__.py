"""Executors: small adapters that run bound tasks on a backend."""

from shardflow.executors.local import LocalExecutor
from shardflow.executors.slurm import SlurmExecutor

__all__ = ["LocalExecutor", "SlurmExecutor"]
