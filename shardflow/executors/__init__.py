"""Executors: small adapters that run bound tasks on a backend."""

from shardflow.executors.local import LocalExecutor

__all__ = ["LocalExecutor"]
